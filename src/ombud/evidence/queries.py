"""Read side of evidence: a case's evidence and findings, and the bytes of a chart."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.common.errors import NotFound
from ombud.evidence.schemas import EvidenceOut, EvidencePage, FindingOut
from ombud.evidence.tables import Citation, EvidenceItem, Finding
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore


def evidence_page(session: Session, principal: Principal, reference: str) -> EvidencePage:
    """Every piece of the case's evidence and every finding with the evidence it cites
    (staff who may read internal material only)."""
    case = cases.load(session, principal, reference, Permission.VIEW_INTERNAL)
    return for_case(session, case.id)


def for_case(session: Session, case_id: int) -> EvidencePage:
    """The evidence and findings of a case, for another domain that has checked access."""
    items = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case_id)
                            .order_by(EvidenceItem.id))
    rows = list(session.scalars(select(Finding).where(Finding.case_id == case_id)
                                .order_by(Finding.id)))
    cited: dict[int, list[int]] = defaultdict(list)
    for fid, eid in session.execute(
            select(Citation.finding_id, Citation.evidence_id)
            .where(Citation.finding_id.in_([r.id for r in rows]))
            .order_by(Citation.finding_id, Citation.evidence_id)):
        cited[fid].append(eid)
    return EvidencePage(
        evidence=[EvidenceOut.model_validate(i) for i in items],
        findings=[FindingOut.model_validate(
            {**{c: getattr(r, c) for c in FindingOut.model_fields if c != "evidence_ids"},
             "evidence_ids": cited[r.id]}) for r in rows])


def evidence_bytes(session: Session, principal: Principal, reference: str, evidence_id: int,
                   store: BlobStore) -> tuple[EvidenceOut, bytes]:
    """One evidence item and its stored body (a chart's PNG, or the canonical JSON)."""
    case = cases.load(session, principal, reference, Permission.VIEW_INTERNAL)
    row = session.get(EvidenceItem, evidence_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"evidence {evidence_id} not found on {reference}")
    try:
        return EvidenceOut.model_validate(row), store.get(row.sha256)
    except KeyError:
        raise NotFound(f"the body of evidence {evidence_id} is missing") from None
