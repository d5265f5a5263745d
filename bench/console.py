"""Console benchmark: the agent's queue page and a case page over 1,000,000 cases.

Rerun from the repo root:

    .venv/bin/python bench/console.py                   # SQLite and PostgreSQL
    .venv/bin/python bench/console.py --db sqlite --cases 1000000

The database (SQLite file /tmp/ombud-bench/console.db, or schema ``console`` of the
PostgreSQL database ``bench``, URL in OMBUD_BENCH_PG_URL) is seeded once by the fast bulk
path ``ombud.cases.bulk.bulk_seed`` (COPY / executemany: customers, cases, first messages,
audit events and heads) and reused while it holds the asked number of cases.

A real ``ombud serve`` (one web process) answers, one request at a time, a member of staff
(role agent, team "trading") asking for:
- the queue: GET /api/v1/cases?team_id=..&status=..&sort=due&limit=50 (first pages of a
  few status filters, and the next page through the cursor), and /console with the same
  filters when the console page exists;
- a case page: GET /api/v1/cases/{reference} of random cases of the team (and
  /console/cases/{reference}); a staff view also writes its ``case.viewed`` audit event.
Server time is the ``ms`` of each request in the server's JSON access log (time inside the
app, from the first byte read to the last byte sent). RSS is read from /proc of the web
process after the run. Targets: queue p50 < 50 ms, case page p50 < 20 ms, RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select

from _results import record
from _server import WORK, database_url, env_for, reset_database, rss_mb, serve
from ombud.cases.bulk import bulk_seed, count_cases
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.security import service as security
from ombud.security.roles import Role
from ombud.security.tables import Staff, Team

BENCH = "console"
PORT = 8741
SECRET_KEY = "bench-secret-key"
QUEUE_P50_MS, CASE_P50_MS, RSS_MB = 50.0, 20.0, 200.0
STATUS_FILTERS = (["triaged"], ["investigating"], ["received", "triaged"],
                  ["investigating", "awaiting_customer", "proposed"])


def ensure_seeded(url: str, n_cases: int) -> tuple[str, int]:
    """Seed ``url`` with ``n_cases`` unless it holds them already; returns a staff session
    token of the agent and the agent's team id."""
    settings = Settings(database_url=url, secret_key=SECRET_KEY)
    engine = make_engine(settings)
    try:
        have = count_cases(engine)
    except Exception:  # no schema yet
        have = -1
    if have != n_cases:
        engine.dispose()
        reset_database(url)
        engine = make_engine(settings)
        with session_factory(engine)() as s:
            teams = [security.create_team(s, name).id for name in ("trading", "wallets",
                                                                    "security")]
            security.create_staff(s, username="agent", password="bench-password-1",
                                  role=Role.AGENT, team_id=teams[0], display_name="Agent")
        start = time.monotonic()
        bulk_seed(engine, n_cases, team_ids=[*teams, None],
                  progress=lambda n: print(f"  seeded {n} more cases", flush=True))
        print(f"seeded {n_cases} cases in {time.monotonic() - start:.0f} s")
    with session_factory(engine)() as s:
        agent = s.scalars(select(Staff).where(Staff.username == "agent")).one()
        team = s.scalars(select(Team).where(Team.id == agent.team_id)).one()
        token = security.staff_session_token(settings, agent)
        refs = list(s.scalars(select(Case.reference).where(Case.team_id == team.id)
                              .order_by(Case.id).limit(200_000)))
    engine.dispose()
    (WORK / "console-refs.json").write_text(json.dumps(refs))
    return token, team.id


def _get(path: str, token: str, cookie: bool = False) -> tuple[int, bytes]:
    headers = ({"Cookie": f"ombud_session={token}"} if cookie
               else {"Authorization": f"Bearer {token}"})
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _access_log(log: Path, offset: int) -> list[dict[str, str]]:
    """The server's access-log entries written after byte ``offset`` of its log."""
    with log.open("rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode().splitlines()
    return [json.loads(line) for line in lines if '"ombud.http"' in line]


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench(kind: str, n_cases: int, rounds: int, dry: bool) -> None:
    """Seed (or reuse) the database of ``kind``, measure, record."""
    url = database_url(kind, "console")
    token, team_id = ensure_seeded(url, n_cases)
    refs = json.loads((WORK / "console-refs.json").read_text())
    rng = random.Random(11)
    log = WORK / f"console-{kind}.log"
    env = env_for(url, OMBUD_SECRET_KEY=SECRET_KEY, OMBUD_DB_POOL_SIZE="5")
    timings: dict[str, list[float]] = {}
    with serve(env, PORT, 1, log) as pid:
        console = _get("/console", token, cookie=True)[0] == 200
        plan: list[tuple[str, str, bool]] = []
        for i in range(rounds):
            status = STATUS_FILTERS[i % len(STATUS_FILTERS)]
            query = f"team_id={team_id}&" + "&".join(f"status={s}" for s in status) + \
                "&sort=due&limit=50"
            plan.append(("queue (API)", f"/api/v1/cases?{query}", False))
            ref = rng.choice(refs)
            plan.append(("case page (API)", f"/api/v1/cases/{ref}", False))
            if console:
                form = query.replace("team_id=", "team=").replace("&limit=50", "")
                plan.append(("queue (/console)", f"/console?{form}", True))
                plan.append(("case page (/console)", f"/console/cases/{ref}", True))
        for _label, path, cookie in plan[:8]:  # warm the process (imports, templates)
            _get(path, token, cookie)
        time.sleep(0.2)
        offset = log.stat().st_size
        for _label, path, cookie in plan:
            status, body = _get(path, token, cookie)
            if status != 200:
                raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        time.sleep(0.5)
        rss = rss_mb(pid)
    for e in _access_log(log, offset):
        path = str(e["path"])
        label = ("case page" if "/cases/" in path else "queue") + \
            (" (/console)" if path.startswith("/console") else " (API)")
        timings.setdefault(label, []).append(float(e["ms"]))
    lines = []
    for label, values in sorted(timings.items()):
        lines.append(f"{label}: n={len(values)} p50 {statistics.median(values):.1f} ms "
                     f"p90 {_p(values, 0.9):.1f} ms p99 {_p(values, 0.99):.1f} ms")
    summary = "; ".join(lines)
    print(f"{kind}: {n_cases} cases; RSS {rss:.0f} MB; {summary}")
    if dry:
        return
    cond = (f"{kind}, {n_cases:,} bulk-seeded cases, one `ombud serve` process, agent of team "
            f"{team_id}, sequential requests, server time from the access log")
    for label, target in (("queue (API)", QUEUE_P50_MS), ("queue (/console)", QUEUE_P50_MS),
                          ("case page (API)", CASE_P50_MS),
                          ("case page (/console)", CASE_P50_MS)):
        if label in timings:
            p50 = statistics.median(timings[label])
            record(BENCH, f"{label} p50 ms ({kind})",
                   f"{p50:.1f} (p99 {_p(timings[label], 0.99):.1f})", f"< {target:.0f}",
                   p50 < target, cond)
    record(BENCH, f"web process RSS MB ({kind})", f"{rss:.0f}", f"< {RSS_MB:.0f}",
           rss < RSS_MB, f"{cond}; after {len(plan)} requests. {summary}")


def main() -> None:
    """Parse arguments and run the benchmark on each database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--dry", action="store_true", help="print figures, record nothing")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        bench(kind, args.cases, args.rounds, args.dry)


if __name__ == "__main__":
    main()
