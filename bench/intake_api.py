"""Intake benchmark: 16 concurrent HTTP clients create cases against ``ombud serve``.

Rerun from the repo root (needs Debian's ``wrk``: ``apt-get install -y wrk``):

    .venv/bin/python bench/intake_api.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/intake_api.py --db sqlite --duration 30

Setup per database: a fresh, migrated database (SQLite file under /tmp/ombud-bench, or the
PostgreSQL database ``bench``, URL in OMBUD_BENCH_PG_URL), ``ombud serve --workers 2`` with
OMBUD_JOBS_INLINE=false, and one ``ombud worker`` process draining the acknowledgement jobs
while the load runs (it competes for the same 2 cores). ``wrk`` (2 threads, 16 connections)
POSTs /api/v1/cases with a 1 KB description and an exchange-issued customer Bearer token
(64 customers, made with ``ombud.security.tokens.customer_token``), after a short warm-up.

Afterwards it checks that the cases in the database equal the 201 answers (zero lost), that
references are gapless, that every case has its acknowledgement job, waits for the worker to
drain the queue, verifies the audit record, and records throughput, p50 and p99 (wrk's own
latency, client side) with ``bench/_results.record``. Target: >= 700 cases/s, p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import record
from _server import (
    OMBUD,
    SECRET,
    WORK,
    cpu_seconds,
    database_url,
    env_for,
    process,
    reset_database,
    serve,
)
from ombud.audit.verify import verify
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.customers.service import find_or_register
from ombud.db import make_engine, session_factory
from ombud.jobs.tables import Job
from ombud.security.tokens import customer_token

BENCH = "intake_api"
PORT = 8731
TARGET_RATE, TARGET_P99_MS = 700.0, 100.0
CUSTOMERS = 64
REFS = WORK / "intake-refs.txt"

LUA = r"""
local tokens = {%(tokens)s}
local body = [[%(body)s]]
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
  refs = {}
end
function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. tokens[(counter %% #tokens) + 1]
  return wrk.format("POST", "/api/v1/cases", headers, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    table.insert(refs, string.match(body, '"reference":"([^"]+)"'))
  end
end
function done(summary, latency, requests)
  local counts = {}
  local out = io.open("%(refs)s", "w")
  for _, t in ipairs(threads) do
    for _, ref in ipairs(t:get("refs")) do
      out:write(ref, "\n")
    end
    for status, n in pairs(t:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%%s": %%d', status, n))
  end
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.2f, "p90_ms": %%.2f, ' ..
    '"p99_ms": %%.2f, "max_ms": %%.2f, "errors": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, table.concat(parts, ", ")))
  out:close()
end
"""


@dataclass
class Run:
    """What one wrk run reported."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    statuses: dict[str, int]
    references: list[str]

    @property
    def created(self) -> int:
        """Number of 201 answers."""
        return self.statuses.get("201", 0)


def _lua_script() -> Path:
    """The wrk script: a 1 KB complaint, tokens of CUSTOMERS customers, status counting."""
    tokens = [customer_token(SECRET, f"uid-{i:04d}", ttl_seconds=86400) for i in range(CUSTOMERS)]
    words = "My market order filled far from the quoted price during the outage. "
    body = json.dumps({
        "summary": "Slippage on BTC-USDT market order",
        "description": (words * 20)[:1024],
        "desired_outcome": "Refund the difference", "category": "trade_dispute",
        "asset": "USDT", "amount": "125.50", "channel": "api",
    })
    path = WORK / "intake.lua"
    path.write_text(LUA % {"tokens": ", ".join(f'"{t}"' for t in tokens), "body": body,
                           "refs": REFS})
    return path


def _register_customers(url: str) -> None:
    """The exchange's customers, known before the load (first-sight registration is not
    what this measures)."""
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as s:
        for i in range(CUSTOMERS):
            find_or_register(s, uid=f"uid-{i:04d}")
    engine.dispose()


def _wrk(script: Path, seconds: int, connections: int) -> Run:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         f"http://127.0.0.1:{PORT}"], capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return Run(**json.loads(line[len("RESULT "):]), references=REFS.read_text().split())


def _check(
    url: str, answered: list[str], in_flight: int, drain_timeout: float
) -> tuple[list[str], float, str]:
    """Problems found after the load (lost cases, gaps, missing jobs), seconds to drain the
    acknowledgement queue, and a summary of the counts and the audit verification.

    wrk closes its connections when time is up; requests in flight then (at most
    ``in_flight``) are still served and committed, but their 201 is never read. So: every
    reference answered 201 must be in the database, once, and at most ``in_flight`` more."""
    engine = make_engine(Settings(database_url=url))
    problems: list[str] = []
    with session_factory(engine)() as s:
        refs = s.scalars(select(Case.reference)).all()
        lost = set(answered) - set(refs)
        if lost or len(set(answered)) != len(answered):
            problems.append(f"{len(lost)} cases answered 201 are not in the database, or a "
                            "reference was answered twice")
        if not 0 <= len(refs) - len(answered) <= in_flight:
            problems.append(f"{len(refs)} cases in the database but {len(answered)} answers 201")
        by_year: dict[str, list[int]] = {}
        for ref in refs:
            m = re.match(r"C-(\d{4})-(\d+)$", ref)
            assert m is not None
            by_year.setdefault(m.group(1), []).append(int(m.group(2)))
        for year, numbers in by_year.items():
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                problems.append(f"references of {year} have gaps or duplicates")
        jobs = s.scalar(select(func.count()).select_from(Job)
                        .where(Job.kind == "cases.acknowledge")) or 0
        if jobs != len(refs):
            problems.append(f"{jobs} acknowledgement jobs for {len(refs)} cases")
    start = time.monotonic()
    while time.monotonic() - start < drain_timeout:
        with session_factory(engine)() as s:
            left = s.scalar(select(func.count()).select_from(Job)
                            .where(Job.status.in_(["queued", "running"]))) or 0
        if not left:
            break
        time.sleep(0.5)
    else:
        problems.append(f"{left} jobs still queued after {drain_timeout:.0f} s")
    drained = time.monotonic() - start
    with session_factory(engine)() as s:
        report = verify(s)
    if not report.ok:
        problems.append(f"audit verify: {report.problems[0]}")
    engine.dispose()
    return problems, drained, (f"{len(refs)} cases in the database for {len(answered)} 201s "
                               f"(+{len(refs) - len(answered)} in flight at wrk's cut-off); "
                               f"{report.events} audit events in {report.chains} chains")


def bench(kind: str, seconds: int, connections: int, note: str, dry: bool = False) -> None:
    """Run the intake benchmark on ``kind`` and record its figures."""
    url = database_url(kind, "intake")
    reset_database(url)
    _register_customers(url)
    script = _lua_script()
    env = env_for(url)
    logs = WORK / f"logs-{kind}"
    with serve(env, PORT, 2, logs / "serve.log") as pid, \
            process([OMBUD, "worker"], env, logs / "worker.log") as worker:
        warm = _wrk(script, 3, connections)
        cpu0 = cpu_seconds(worker.pid)
        run = _wrk(script, seconds, connections)
        worker_cpu = cpu_seconds(worker.pid) - cpu0
        problems, drained, audit = _check(url, warm.references + run.references,
                                          2 * connections, 120)
        print(f"serve pid {pid}; worker used {worker_cpu:.1f} CPU s during the run")
    rate = run.created / run.seconds
    others = {k: v for k, v in run.statuses.items() if k != "201"}
    summary = (f"{kind}: {run.created} created in {run.seconds:.1f} s, p50 {run.p50_ms:.1f} ms, "
               f"p90 {run.p90_ms:.1f} ms, max {run.max_ms:.0f} ms, other statuses {others}, "
               f"socket errors {run.errors}; ack queue drained {drained:.1f} s after the load; "
               f"{audit}; {'; '.join(problems) or 'zero lost, references gapless'}")
    print(summary)
    ok = not problems and not others and not run.errors
    conditions = (f"{kind}, 2 web processes + 1 ombud worker (jobs not inline), wrk -t2 "
                  f"-c{connections} {seconds}s, 1 KB body. {note}").strip()
    if dry:
        return
    record(BENCH, f"creates/s ({kind})", f"{rate:.0f}", f">= {TARGET_RATE:.0f}",
           ok and rate >= TARGET_RATE, f"{conditions} {summary}")
    record(BENCH, f"p99 ms ({kind})", f"{run.p99_ms:.1f} (p50 {run.p50_ms:.1f})",
           f"< {TARGET_P99_MS:.0f}", ok and run.p99_ms < TARGET_P99_MS, conditions)


def main() -> None:
    """Parse arguments and run the benchmark on each database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--note", default="")
    parser.add_argument("--dry", action="store_true", help="print figures, record nothing")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        bench(kind, args.duration, args.connections, args.note, args.dry)


if __name__ == "__main__":
    main()
