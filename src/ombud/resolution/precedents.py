"""The precedent index: decided cases by their facts, the nearest ones to a new proposal,
and the fairness figure (spread of remedies across similar facts)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.db import tx
from ombud.resolution import similarity as sim
from ombud.resolution.schemas import PrecedentOut
from ombud.resolution.tables import Precedent, Proposal, Remedy

#: Candidates read per search: the most recent decided cases of the same category and size.
CANDIDATES = 500


def facts_of(case: Case, fault: str, loss_usd: Decimal, asset: str | None) -> sim.Facts:
    """The facts a case is compared on."""
    return sim.Facts(category=case.category, subcategory=case.subcategory or "", fault=fault,
                     jurisdiction=case.jurisdiction or "", asset=asset, loss_usd=loss_usd,
                     text=f"{case.summary}\n{case.description}"[:4000])


def index(session: Session, case: Case, proposal: Proposal, facts: sim.Facts) -> None:
    """Record (or replace) the case's decision as a precedent, in the caller's transaction."""
    with tx(session):
        remedies = list(session.scalars(select(Remedy).where(
            Remedy.proposal_id == proposal.id, Remedy.status != "cancelled")))
        session.execute(delete(Precedent).where(Precedent.case_id == case.id))
        session.add(Precedent(
            case_id=case.id, proposal_id=proposal.id, reference=case.reference,
            category=facts.category, subcategory=facts.subcategory, fault=facts.fault,
            jurisdiction=facts.jurisdiction, asset=facts.asset, loss_usd=facts.loss_usd,
            loss_band=sim.loss_band(facts.loss_usd),
            remedy_usd=sum((r.usd or Decimal(0) for r in remedies), Decimal(0)),
            remedy_kinds=",".join(sorted({r.kind for r in remedies})),
            outcome=proposal.outcome, text=facts.text, decided_at=utcnow()))


def _decided(row: Precedent) -> sim.Decided:
    return sim.Decided(
        reference=row.reference,
        facts=sim.Facts(category=row.category, subcategory=row.subcategory, fault=row.fault,
                        jurisdiction=row.jurisdiction, asset=row.asset, loss_usd=row.loss_usd,
                        text=row.text),
        remedy_usd=row.remedy_usd,
        remedy_kinds=tuple(k for k in row.remedy_kinds.split(",") if k), outcome=row.outcome)


def nearest(session: Session, facts: sim.Facts, *, exclude_case: int | None = None,
            k: int = 5) -> list[sim.Neighbour]:
    """The decided cases most like ``facts``: same category, a loss of similar size."""
    band = sim.loss_band(facts.loss_usd)
    q = (select(Precedent).where(Precedent.category == facts.category,
                                 Precedent.loss_band.between(band - 1, band + 1))
         .order_by(Precedent.decided_at.desc()).limit(CANDIDATES))
    if exclude_case is not None:
        q = q.where(Precedent.case_id != exclude_case)
    return sim.nearest(facts, (_decided(r) for r in session.scalars(q)), k=k)


def shown(neighbours: list[sim.Neighbour]) -> list[PrecedentOut]:
    """Neighbours as the proposer sees them."""
    return [PrecedentOut(
        reference=n.case.reference, similarity=n.similarity, category=n.case.facts.category,
        subcategory=n.case.facts.subcategory, fault=n.case.facts.fault,
        jurisdiction=n.case.facts.jurisdiction, loss_usd=n.case.facts.loss_usd,
        remedy_usd=n.case.remedy_usd, ratio=sim.ratio(n.case.remedy_usd, n.case.facts.loss_usd),
        remedy_kinds=list(n.case.remedy_kinds), outcome=n.case.outcome) for n in neighbours]


def fairness(session: Session, category: str | None = None) -> Decimal | None:
    """The spread of remedy/loss ratios across decided cases with the same category,
    sub-category, fault and loss size (see ``similarity.spread``); None with too few."""
    q = select(Precedent.category, Precedent.subcategory, Precedent.fault, Precedent.loss_band,
               Precedent.loss_usd, Precedent.remedy_usd)
    if category:
        q = q.where(Precedent.category == category)
    groups: dict[tuple[str, str, str, int], list[Decimal]] = defaultdict(list)
    for cat, sub, fault, band, loss, remedy in session.execute(q):
        if loss > 0:
            groups[(cat, sub, fault, band)].append(sim.ratio(remedy, loss))
    return sim.spread(groups.values())
