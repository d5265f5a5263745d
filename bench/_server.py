"""Benchmark helpers: databases, a real ``ombud serve`` / ``ombud worker``, process RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from ombud import migrate
from ombud.config import Settings
from ombud.db import make_engine

REPO = Path(__file__).resolve().parents[1]
OMBUD = str(REPO / ".venv" / "bin" / "ombud")
WORK = Path(os.environ.get("OMBUD_BENCH_DIR", "/tmp/ombud-bench"))
PG_URL = os.environ.get("OMBUD_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench")
SECRET = "bench-exchange-token-secret"


def database_url(kind: str, name: str) -> str:
    """The benchmark database of ``kind`` ("sqlite" or "postgresql"); on PostgreSQL each
    benchmark has its own schema ``name`` of the database ``bench``."""
    if kind == "sqlite":
        return f"sqlite:///{WORK / name}.db"
    return f"{PG_URL}?options=-csearch_path%3D{name}"


def env_for(url: str, **extra: str) -> dict[str, str]:
    """Environment of a server or worker process on ``url`` (jobs not inline by default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUD_")}
    env.update({
        "OMBUD_DATABASE_URL": url, "OMBUD_DATA_DIR": str(WORK / "var"),
        "OMBUD_CUSTOMER_TOKEN_SECRET": SECRET, "OMBUD_SECRET_KEY": "bench-secret-key",
        "OMBUD_JOBS_INLINE": "false", "OMBUD_DB_POOL_SIZE": "20",
    })
    env.update(extra)
    return env


def create_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist (a fresh machine)."""
    base, name = url.split("?", 1)[0].rsplit("/", 1)
    admin = make_engine(Settings(database_url=f"{base}/postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def reset_database(url: str) -> None:
    """An empty, migrated database at ``url`` (drops what was there)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        create_database(url)
    engine = make_engine(Settings(database_url=url))
    if not url.startswith("sqlite"):
        schema = url.rsplit("%3D", 1)[1] if "%3D" in url else "public"
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    migrate.upgrade(engine)
    engine.dispose()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (stdout+stderr to ``log``) for the block; SIGTERM it (by pid) afterwards."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as fh:
        proc = subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@contextmanager
def serve(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    """``ombud serve --workers N`` on ``port`` until the block ends; yields its pid."""
    args = [OMBUD, "serve", "--port", str(port), "--workers", str(workers)]
    with process(args, env, log) as proc:
        _wait_ready(port, proc)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker process finish starting
        yield proc.pid


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (uvicorn's worker processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def python() -> str:
    """The interpreter running the benchmark."""
    return sys.executable
