"""Finding verbs: a finding is saved only with the evidence it cites, and the case learns how
many of its findings cite evidence (the lifecycle's proposal guard reads that count)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.tables import Case
from ombud.common.clock import utcnow
from ombud.common.errors import Invalid
from ombud.db import tx
from ombud.evidence.schemas import FindingIn, FindingOut
from ombud.evidence.tables import Citation, EvidenceItem, Finding
from ombud.security.permissions import Principal
from ombud.security.roles import Permission


def add_finding(session: Session, principal: Principal, reference: str,
                data: FindingIn) -> FindingOut:
    """A finding written by staff; refused unless it cites evidence of this case."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.TRANSITION)
        return save(session, case, data, cited=data.evidence_ids, actor=principal.actor,
                    origin="staff")


def save(session: Session, case: Case, data: FindingIn, *, cited: Iterable[int], actor: str,
         origin: str, analysis: str | None = None, key: str | None = None) -> FindingOut:
    """Write a finding and its citations in the caller's transaction (at least one citation,
    each of the case's own evidence), audit it, and update the case's count."""
    ids = sorted(set(cited))
    if not ids:
        raise Invalid("a finding must cite at least one piece of evidence",
                      pointer="evidence_ids")
    with tx(session):
        known = set(session.scalars(select(EvidenceItem.id).where(
            EvidenceItem.case_id == case.id, EvidenceItem.id.in_(ids))))
        if missing := [i for i in ids if i not in known]:
            raise Invalid(f"evidence {', '.join(map(str, missing))} is not evidence of "
                          f"{case.reference}", pointer="evidence_ids")
        row = Finding(case_id=case.id, fault=data.fault.value, verdict=data.verdict,
                      summary=data.summary, loss_asset=data.loss_asset,
                      loss_amount=data.loss_amount, loss_usd=data.loss_usd, origin=origin,
                      analysis=analysis, key=key, created_by=actor, created_at=utcnow())
        session.add(row)
        session.flush()
        session.add_all([Citation(finding_id=row.id, evidence_id=i) for i in ids])
        session.flush()
        audit.append(session, actor=actor, action="finding.added", chain=case.reference,
                     case_id=case.id, data={"finding_id": row.id, "fault": row.fault,
                                            "verdict": row.verdict, "origin": origin,
                                            "evidence_ids": ids,
                                            "loss": _loss(row.loss_amount, row.loss_asset)})
        cases.record_cited_findings(session, case.id, cited_count(session, case.id))
        return FindingOut.model_validate({**_fields(row), "evidence_ids": ids})


def cited_count(session: Session, case_id: int) -> int:
    """How many findings of the case cite at least one piece of evidence."""
    return int(session.scalar(
        select(func.count(func.distinct(Citation.finding_id)))
        .join(Finding, Finding.id == Citation.finding_id).where(Finding.case_id == case_id))
        or 0)


def _loss(amount: Decimal | None, asset: str | None) -> str | None:
    return None if amount is None else f"{format(amount, 'f')} {asset or ''}".strip()


def _fields(row: Finding) -> dict[str, object]:
    return {c: getattr(row, c) for c in FindingOut.model_fields if c != "evidence_ids"}
