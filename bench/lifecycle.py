"""Lifecycle benchmark: 10,000 complaints from intake to closed, their remedies paid on the
simulated exchange by two ``ombud worker`` processes on PostgreSQL.

Rerun from the repo root:

    .venv/bin/python bench/lifecycle.py                     # 10,000 cases, 3 drivers
    .venv/bin/python bench/lifecycle.py --cases 500 --dry   # a quick look, nothing recorded

The database ``bench_lifecycle`` (URL in OMBUD_BENCH_LIFECYCLE_URL; created if missing, its
schema dropped and migrated afresh) starts with a trading team (trade disputes, liquidation,
fees; English and Chinese), a specialist and an approver, and the exchange's customers (one
per complaint; the simulated exchange under /tmp/ombud-bench/lifecycle-var has an account for
each). Three phases, each timed on its own:

1. Intake and investigation: ``ombud serve --workers 2`` and two ``ombud worker``. 16 HTTP
   clients post the complaints (English, Simplified and Traditional Chinese trade disputes
   with an order id) with each customer's exchange-issued token; the workers acknowledge and
   triage them (classified, prioritised, routed to the trading team, clocks set); then the
   drivers start each investigation as the specialist, and the workers capture its evidence
   from the exchange and run its analysis.
2. Decision: ``--drivers`` processes, as staff and customer would, per case: the
   specialist's finding (platform fault, a measured loss of 5-900 USDT, citing the captured
   evidence), ``suggest``, ``draft`` (the policy's compensation, precedents compared),
   ``submit``, ``approve`` by the approver above the specialist's 500 USD limit, the
   customer's ``accept``.
3. Execution and closing: two ``ombud worker`` (timed from when both finished training the
   triage classifier) run every job that follows - remedy execution through the exchange
   with its receipt and notice, letter and notice delivery, surveys - while this process
   closes each case as soon as it is resolved (``outcomes.close``), and then until the
   notices and surveys queued meanwhile are sent.

Checked at the end against the exchange's ledger: every remedy paid exactly once (one
customer bill per client id, no transfer Ombud does not know), none missing, Ombud's rows
agreeing (``ombud reconcile``'s comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from _results import record
from _server import OMBUD, SECRET, WORK, env_for, process, reset_database, serve
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import TransitionIn
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.customers.tables import Customer
from ombud.db import make_engine, session_factory
from ombud.evidence import findings
from ombud.evidence.schemas import FindingIn
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SimExchange
from ombud.exchange.factory import sim_path
from ombud.jobs import service as jobs
from ombud.jobs.tables import Job
from ombud.resolution import outcomes, policies, reconcile, service
from ombud.resolution.schemas import DecisionIn, PointIn, ProposalIn
from ombud.resolution.service import Config
from ombud.resolution.tables import Approval, Remedy
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from ombud.security.tables import Staff
from ombud.security.tokens import customer_token
from ombud.triage.tables import TriageIncident

BENCH = "lifecycle"
URL = os.environ.get("OMBUD_BENCH_LIFECYCLE_URL",
                     "postgresql://postgres@127.0.0.1:5432/bench_lifecycle")
DATA = WORK / "lifecycle-var"
CFG = Config(public_url="http://127.0.0.1:8000")
PATIENCE = 3 * 3600.0  # a guard against a hung worker, not a target


TEXTS = (  # what customers write: trade disputes with an order id, in three languages
    ("en", "Order filled late", "My limit order {o} to buy BTC-USDT was filled late, at "
     "14:02 UTC on 3 March, after the market had moved. The fill price was far worse than the "
     "price when I placed it."),
    ("en", "Market order slipped", "Order {o} (sell ETH-USDT, market) executed 9 seconds after I "
     "submitted it at 09:15 UTC yesterday and got a much worse price."),
    ("zh-Hans", "成交太慢", "我的BTC-USDT限价买单 {o} 在3月3日14:02成交太慢，市场已经变化，"
     "成交价格差很多。"),
    ("zh-Hant", "成交延遲", "我的ETH-USDT市價賣單 {o} 在昨天09:15下單，延遲了9秒才成交，"
     "價格差很多。"),
)
CLIENTS = 16  # concurrent HTTP clients at intake
PORT = 8741


def uid_of(i: int) -> str:
    """The exchange UID of the ``i``-th customer."""
    return f"70{i:08d}"


def seed(url: str, n: int) -> None:
    """A fresh database with the trading team, its specialist and approver, the policy in
    effect and ``n`` customers; the simulated exchange with an account for each."""
    reset_database(url)
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as s:
        team = security.create_team(s, "trading", ["trade_dispute", "liquidation", "fees"],
                                    ["en", "zh-Hans", "zh-Hant"]).id
        for name, role in (("specialist", Role.SPECIALIST), ("approver", Role.APPROVER)):
            security.create_staff(s, username=name, password="bench-password-1", role=role,
                                  team_id=team, display_name=name.title())
        policies.in_effect(s, utcnow())  # the default policy, before drivers race to make it
    with engine.begin() as conn:
        conn.execute(insert(Customer), [
            {"uid": uid_of(i), "name": f"Customer {i}", "language": TEXTS[i % 4][0],
             "jurisdiction": ("GB", "DE", "HK", "MT")[i % 4], "tier": "regular",
             "created_at": utcnow()} for i in range(n)])
    engine.dispose()
    for suffix in ("", ".journal", ".lock"):
        (DATA / f"exchange.json{suffix}").unlink(missing_ok=True)
    DATA.mkdir(parents=True, exist_ok=True)
    SimExchange.open(DATA / "exchange.json").open_accounts(uid_of(i) for i in range(n))


async def _post_all(n: int) -> tuple[int, list[int]]:
    """File ``n`` complaints over HTTP, ``CLIENTS`` at a time: (created, other statuses)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    created, failed = 0, []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        async def one_client() -> None:
            nonlocal created
            while not queue.empty():
                i = queue.get_nowait()
                language, summary, body = TEXTS[i % 4]
                token = customer_token(SECRET, uid_of(i), ttl_seconds=86_400)
                r = await client.post("/api/v1/cases", headers={
                    "Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{i}"},
                    json={"summary": summary, "description": body.format(o=6_200_000_000 + i),
                          "desired_outcome": "Refund the difference.", "language": language})
                if r.status_code == 201:
                    created += 1
                else:
                    failed.append(r.status_code)
        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return created, failed


def waiting_jobs(session: Session) -> int:
    """Jobs due now that no worker has finished."""
    session.rollback()
    return session.scalar(select(func.count()).select_from(Job).where(
        Job.status.in_((jobs.QUEUED, jobs.RUNNING)), Job.run_at <= utcnow())) or 0


def drain(session: Session, started: float) -> None:
    """Wait until the workers have no job due."""
    while waiting_jobs(session) and time.monotonic() - started < PATIENCE:
        time.sleep(0.5)


@contextmanager
def workers(env: dict[str, str], name: str) -> Iterator[None]:
    """Two ``ombud worker`` processes, ready (classifier trained) when the block starts."""
    logs = [WORK / f"lifecycle-{name}-worker-{i}.log" for i in range(2)]
    with process([OMBUD, "worker"], env, logs[0]), process([OMBUD, "worker"], env, logs[1]):
        while not all(log.exists() and "started" in log.read_text() for log in logs):
            time.sleep(0.2)  # each worker trains the triage classifier first
        yield


@dataclass(frozen=True)
class Intake:
    """Phase 1's figures."""

    created: int
    failed: list[int]
    filed_s: float  # posting every complaint
    triaged_s: float  # until every acknowledgement and triage job was done
    investigated_s: float  # until every capture and analysis job was done
    statuses: dict[str, int]  # after triage
    incidents: int  # major incidents opened by spike detection (a burst of alike complaints)


def run_intake(url: str, n: int, drivers: int, env: dict[str, str]) -> Intake:
    """Phase 1: file, acknowledge, triage, start the investigations, capture, analyse."""
    engine = make_engine(Settings(database_url=url, db_pool_size=1))
    with workers(env, "intake"), session_factory(engine)() as s:
        with serve(env, PORT, 2, WORK / "lifecycle-serve.log"):
            started = time.monotonic()
            created, failed = asyncio.run(_post_all(n))
            filed_s = time.monotonic() - started
        drain(s, started)
        triaged_s = time.monotonic() - started
        statuses = dict(Counter(s.scalars(select(Case.status))))
        incidents = s.scalar(select(func.count()).select_from(TriageIncident)) or 0
        refs = list(s.scalars(select(Case.reference).where(  # the customers' own cases
            Case.status == "triaged", Case.id.not_in(select(TriageIncident.case_id)))
            .order_by(Case.id)))
        in_parallel(investigate, url, refs, drivers)
        drain(s, started)
        investigated_s = time.monotonic() - started
    engine.dispose()
    return Intake(created, failed, filed_s, triaged_s, investigated_s, statuses, incidents)


def in_parallel(target: Callable[[str, list[str]], None], url: str, refs: list[str],
                drivers: int) -> None:
    """``target(url, share)`` in ``drivers`` processes, the cases dealt out between them."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=target, args=(url, refs[i::drivers])) for i in range(drivers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    if any(proc.exitcode for proc in procs):
        raise SystemExit("a driver failed (its traceback is above)")


def staff_of(session: Session) -> dict[str, Principal]:
    """The benchmark's specialist and approver."""
    return {s.username: Principal("staff", s.id, s.display_name, Role(s.role), s.team_id)
            for s in session.scalars(select(Staff))}


def investigate(url: str, refs: list[str]) -> None:
    """Driver process: the specialist starts each case's investigation (which queues the
    capture of its evidence from the exchange)."""
    engine = make_engine(Settings(database_url=url, db_pool_size=2))
    with session_factory(engine)() as s:
        specialist = staff_of(s)["specialist"]
        for ref in refs:
            cases.apply_transition(s, specialist, ref,
                                   TransitionIn(event=Event.START_INVESTIGATION))
    engine.dispose()


def decide(url: str, refs: list[str]) -> None:
    """Driver process: each case's finding, then suggest, draft, submit, (approve,) accept."""
    engine = make_engine(Settings(database_url=url, db_pool_size=2))
    rng = random.Random(refs[0] if refs else 0)
    with session_factory(engine)() as s:
        staff = staff_of(s)
        specialist, approver = staff["specialist"], staff["approver"]
        for ref in refs:
            case_id, customer = s.execute(select(Case.id, Case.customer_id)
                                          .where(Case.reference == ref)).one()
            cited = list(s.scalars(select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)))
            loss = Decimal(rng.randrange(500, 90_000)) / 100
            findings.add_finding(s, specialist, ref, FindingIn(
                fault="platform", verdict="platform_fault", summary="The fill came after the "
                "market moved: the matching engine was late.", loss_asset="USDT",
                loss_amount=loss, loss_usd=loss, evidence_ids=cited))
            hint = service.suggest(s, specialist, ref)
            finding = hint.remedies[0].finding_id
            service.draft(s, specialist, ref, ProposalIn(
                outcome="upheld", summary="Our engine filled your order late.",
                points=[PointIn(point="My order was filled late.", finding_id=finding,
                                upheld=True, reason="The replay shows the fill came late.")],
                remedies=hint.remedies))
            if service.submit(s, specialist, ref, CFG).status == "awaiting_approval":
                service.approve(s, approver, ref, DecisionIn(note="checked"), CFG)
            outcomes.accept(s, Principal("customer", customer, "Customer"), ref)
    engine.dispose()


def close_resolved(session: Session, who: Principal) -> int:
    """Close every resolved case now (through ``outcomes.close``); how many."""
    session.rollback()
    refs = list(session.scalars(select(Case.reference).where(Case.status == "resolved")))
    for ref in refs:
        outcomes.close(session, who, ref)
    return len(refs)


@dataclass(frozen=True)
class Checked:
    """What the exchange's ledger says of Ombud's remedies."""

    remedies: int
    transfers: int
    duplicated: int  # bills beyond the first per client id, and transfers Ombud does not know
    missing: int  # remedies not executed, or executed without a bill at the exchange
    differences: list[reconcile.Difference]
    statuses: dict[str, int]
    approvals: int
    executing_s: float  # from the first remedy executed to the last


def check(url: str) -> Checked:
    """The exchange's ledger against Ombud's remedies."""
    engine = make_engine(Settings(database_url=url))
    sim = SimExchange.open(sim_path(Settings(database_url=url, data_dir=DATA)))
    with session_factory(engine)() as s:
        rows = list(s.scalars(select(Remedy).where(Remedy.kind == "compensation")))
        report = reconcile.run(s, sim)
        first, last = s.execute(select(func.min(Remedy.executed_at),
                                       func.max(Remedy.executed_at))).one()
        statuses = Counter(s.scalars(select(Case.status)))
        approvals = s.scalar(select(func.count()).select_from(Approval)) or 0
    engine.dispose()
    bills = Counter(b.client_id for account, bs in sim.state.bills.items()
                    if account != "treasury" for b in bs if b.client_id)
    ours = {r.client_id for r in rows}
    return Checked(
        remedies=len(rows), transfers=len(sim.state.transfers),
        duplicated=sum(n - 1 for n in bills.values() if n > 1) + len(set(bills) - ours),
        missing=sum(1 for r in rows if r.status != "executed" or not bills[r.client_id or ""]),
        differences=report.differences, statuses=dict(statuses), approvals=approvals,
        executing_s=(last - first).total_seconds() if first and last else 0.0)


def close_all(env: dict[str, str], n: int) -> tuple[float, float, int]:
    """Phase 3: workers execute; close each case once resolved, then let the notices and
    surveys go. (seconds to all closed, seconds to all sent, jobs left at the closing)."""
    closer = make_engine(Settings(database_url=URL, db_pool_size=1))
    with workers(env, "execute"), session_factory(closer)() as s:
        started = time.monotonic()
        closed, shown = 0, 0.0
        who = staff_of(s)["specialist"]
        while closed < n and time.monotonic() - started < PATIENCE:
            closed += close_resolved(s, who)
            if time.monotonic() - shown > 60:
                shown = time.monotonic()
                print(f"{shown - started:.0f} s: {closed} closed", flush=True)
            time.sleep(0.5)
        closed_s, left = time.monotonic() - started, waiting_jobs(s)
        drain(s, started)
        drained_s = time.monotonic() - started
    closer.dispose()
    return closed_s, drained_s, left


def main() -> None:
    """Seed, run the three phases, check, record."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--drivers", type=int, default=3)
    parser.add_argument("--dry", action="store_true")
    args = parser.parse_args()
    n, load = args.cases, os.getloadavg()
    seed(URL, n)
    env = env_for(URL, OMBUD_DATA_DIR=str(DATA), OMBUD_DB_POOL_SIZE="4",
                  OMBUD_JOB_POLL_SECONDS="0.1")
    intake = run_intake(URL, n, args.drivers, env)
    print(f"phase 1: {intake.created} filed in {intake.filed_s:.0f} s, triaged by "
          f"{intake.triaged_s:.0f} s, investigated by {intake.investigated_s:.0f} s; "
          f"{intake.statuses}", flush=True)
    engine = make_engine(Settings(database_url=URL))
    with session_factory(engine)() as s:
        refs = list(s.scalars(select(Case.reference).where(Case.status == "investigating")
                              .order_by(Case.id)))
    engine.dispose()
    started = time.monotonic()
    in_parallel(decide, URL, refs, args.drivers)
    decided_s = time.monotonic() - started
    print(f"phase 2: {len(refs)} decisions accepted in {decided_s:.0f} s", flush=True)
    closed_s, drained_s, left = close_all(env, n)
    result = check(URL)
    total_s = intake.investigated_s + decided_s + closed_s
    closed = result.statuses.get("closed", 0)
    executed = result.remedies / result.executing_s if result.executing_s else 0.0
    note = (f"postgresql; {n} trade disputes (EN/zh-Hans/zh-Hant) filed over HTTP by "
            f"{CLIENTS} clients to `ombud serve --workers 2` ({intake.created} created, "
            f"{len(intake.failed)} refused) and acknowledged and triaged by 2 `ombud worker` "
            f"({intake.statuses}, {intake.incidents} major incidents opened by spike detection, "
            f"left to the incident workflow); investigations started by {args.drivers} driver "
            f"processes, evidence captured and analysed by the workers; then the drivers' finding, "
            f"suggest, draft, submit, {result.approvals} approvals above 500 USD, accept; then "
            f"2 `ombud worker` running the jobs that follow (remedy, letter and notice "
            f"delivery, survey) + a closing loop; {result.remedies} remedies, "
            f"{result.transfers} exchange transfers, {len(result.differences)} reconcile "
            f"differences, case statuses {result.statuses}; phase times: filed "
            f"{intake.filed_s:.0f} s, triaged {intake.triaged_s:.0f} s, investigated "
            f"{intake.investigated_s:.0f} s, decided {decided_s:.0f} s, executed and closed "
            f"{closed_s:.0f} s (the {left} notices and surveys still queued then sent "
            f"{drained_s - closed_s:.0f} s later); loadavg at start "
            f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(note)
    figures = [
        ("cases/s intake to closed (postgresql)", f"{n / total_s:.1f}", "recorded",
         closed == n),
        ("complaints/s filed over HTTP (postgresql)", f"{intake.created / intake.filed_s:.0f}",
         "recorded", intake.created == n),
        ("decisions/s finding..accept (postgresql)", f"{len(refs) / decided_s:.1f}",
         "recorded", len(refs) == n),
        ("remedies/s executed by 2 workers (postgresql)", f"{executed:.1f}", "recorded", True),
        ("duplicated remedies (postgresql)", str(result.duplicated), "0",
         result.duplicated == 0),
        ("missing remedies (postgresql)", str(result.missing), "0",
         result.missing == 0 and result.remedies == n),
    ]
    for metric, value, target, met in figures:
        if args.dry:
            print(f"{metric}: {value} (target {target})")
        else:
            record(BENCH, metric, value, target, met, note)


if __name__ == "__main__":
    main()
