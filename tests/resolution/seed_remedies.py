"""Helpers of the execution tests: cases standing where ``outcomes.accept`` leaves them
(``executing``, an accepted proposal, its remedies ``accepted`` with their client ids and one
``resolution.execute`` job each), customers with accounts on the simulated exchange, and the
ledger facts the tests check."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.common.faults import NONE, Faults
from ombud.db import tx
from ombud.exchange import SimExchange
from ombud.jobs import service as jobs
from ombud.jobs.service import Handler
from ombud.jobs.tables import Job
from ombud.resolution import execution
from ombud.resolution.tables import Proposal, Remedy
from ombud.storage.blobs import LocalBlobStore
from tests.conftest import World


@dataclass(frozen=True)
class Spec:
    """One remedy to seed, on the ``case``-th case."""

    kind: str = "compensation"
    amount: Decimal | None = Decimal("25.5")
    asset: str | None = "USDT"
    case: int = 0


def uid(n: int) -> str:
    """The exchange UID of the customer of the ``n``-th seeded case."""
    return f"UID-EXEC-{n}"


def seed(session: Session, world: World, sim: SimExchange, specs: list[Spec],
         language: Literal["en", "zh-Hans", "zh-Hant"] = "en") -> list[int]:
    """Seed the remedies of ``specs``; returns their ids in order. The customer of a case with
    an unfreeze remedy has a frozen account."""
    refs: dict[int, tuple[int, str]] = {}
    for n in sorted({s.case for s in specs}):
        sim.open_account(uid(n))
        if any(s.case == n and s.kind == "unfreeze" for s in specs):
            sim.freeze_account(uid(n), "reported theft")
        case, _ = filing.open_case(session, world.staff["agent"], CaseIn(
            summary=f"Seeded complaint {n}", customer_uid=uid(n), language=language))
        refs[n] = (session.scalars(select(Case.id).where(Case.reference == case.reference))
                   .one(), case.reference)
    ids: list[int] = []
    with tx(session):
        session.execute(update(Job).values(status=jobs.DONE))  # no acknowledgement, no triage
        proposals: dict[int, int] = {}
        for n, (case_id, _ref) in refs.items():
            session.execute(update(Case).where(Case.id == case_id).values(status="executing"))
            proposal = Proposal(case_id=case_id, revision=1, status="accepted", outcome="upheld",
                                policy_version=1, proposer_id=world.staff["specialist"].id,
                                total_usd=Decimal(0), created_at=utcnow())
            session.add(proposal)
            session.flush()
            proposals[n] = proposal.id
        for spec in specs:
            case_id, ref = refs[spec.case]
            money = spec.kind != "unfreeze"
            remedy = Remedy(proposal_id=proposals[spec.case], case_id=case_id, kind=spec.kind,
                            clause_id="TD-1", asset=spec.asset if money else None,
                            amount=spec.amount if money else None, usd=spec.amount,
                            account=uid(spec.case), status="accepted", attempts=0)
            session.add(remedy)
            session.flush()
            remedy.client_id = execution.client_id_for(ref, remedy.id)
            jobs.enqueue(session, execution.EXECUTE, {"remedy_id": remedy.id},
                         f"remedy:{remedy.id}")
            ids.append(remedy.id)
    return ids


def handlers(sim: SimExchange, blobs: LocalBlobStore,
             faults: Faults = NONE) -> dict[str, Handler]:
    """The execution handler bound to ``sim`` (other kinds are not run by these tests)."""
    return {execution.EXECUTE: functools.partial(execution.execute_remedy, lambda: sim, blobs,
                                                 faults)}


def remedies(session: Session, ids: list[int]) -> list[Remedy]:
    """The remedies ``ids`` as stored now."""
    session.expire_all()
    rows = {r.id: r for r in session.scalars(select(Remedy).where(Remedy.id.in_(ids)))}
    return [rows[i] for i in ids]


def ledger_counts(sim: SimExchange) -> Counter[str]:
    """How many customer-side bills the exchange booked per client id (1 = paid once)."""
    return Counter(b.client_id for account, bills in sim.state.bills.items()
                   if account != "treasury" for b in bills if b.client_id)
