"""Chat across processes: two real ``ombud serve`` processes sharing Redis pub/sub; the
customer talks to one, staff to the other."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import World
from tests.intake.conftest import free_port

REDIS_URL = os.environ.get("OMBUD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
OMBUD = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "ombud"
pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.usefixtures("kb_seeded")]


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a loaded CI machine imports slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server on {port} exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server on {port} did not become ready")


@pytest.fixture
def two_servers(world: World, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two ``ombud serve`` processes on one database and one Redis."""
    assert redis.Redis.from_url(REDIS_URL).ping(), f"Redis is not running at {REDIS_URL}"
    cfg = world.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUD_")}
    env.update({"OMBUD_DATABASE_URL": cfg.database_url, "OMBUD_REDIS_URL": REDIS_URL,
                "OMBUD_SECRET_KEY": cfg.secret_key, "OMBUD_JOBS_INLINE": "false",
                "OMBUD_CUSTOMER_TOKEN_SECRET": cfg.customer_token_secret,
                "OMBUD_DATA_DIR": str(tmp_path / "var"), "OMBUD_LOG_LEVEL": "WARNING"})
    ports = (free_port(), free_port())
    procs = [subprocess.Popen([str(OMBUD), "serve", "--port", str(p)], env=env,
                              stdout=(tmp_path / f"serve-{p}.log").open("wb"),
                              stderr=subprocess.STDOUT) for p in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_ready(port, proc)
        yield ports
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _until(ws: ClientConnection, **match: Any) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if all(frame.get(k) == v for k, v in match.items()):
            return frame


async def _conversation(world: World, customer_port: int, staff_port: int) -> list[str]:
    carol = {"Authorization": f"Bearer {world.customer_token('carol')}"}
    agent = {"Authorization": f"Bearer {world.staff_token('agent')}"}
    async with connect(f"ws://127.0.0.1:{customer_port}/chat/ws", additional_headers=carol) as c:
        key = (await _until(c, type="hello"))["chat"]["key"]
        await c.send(json.dumps({"type": "message", "body": "deposit missing", "client_id": "1"}))
        await _until(c, author_kind="bot", seq=3)
        async with connect(f"ws://127.0.0.1:{staff_port}/console/chats/ws",
                           additional_headers=agent) as lobby:
            await _until(lobby, type="ready")
            await c.send(json.dumps({"type": "handover"}))
            assert (await _until(lobby, type="lobby"))["chat"] == key
        async with connect(f"ws://127.0.0.1:{staff_port}/console/chats/{key}/ws?since=4",
                           additional_headers=agent) as s:
            await s.send(json.dumps({"type": "pick_up"}))
            seen = [(await _until(c, kind="joined"))["body"]]
            await s.send(json.dumps({"type": "message", "body": "hello from B",
                                     "client_id": "s1"}))
            seen.append((await _until(c, author_kind="staff", kind="text"))["body"])
            await c.send(json.dumps({"type": "message", "body": "hello from A",
                                     "client_id": "2"}))
            seen.append((await _until(s, author_kind="customer"))["body"])
    return seen


def test_customer_on_one_process_and_staff_on_another(
    world: World, two_servers: tuple[int, int],
) -> None:
    first, second = two_servers
    assert asyncio.run(_conversation(world, first, second)) == [
        "Agent has joined the chat.", "hello from B", "hello from A"]
