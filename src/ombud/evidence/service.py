"""Evidence verbs: queue a capture or an analysis; capture from the exchange and freeze it;
run an analysis on the frozen evidence and store its result, chart and suggested finding.

Evidence is only ever inserted: each item keeps the request, the time, the SHA-256 of its
canonical body (the body itself is in the blob store under that digest) and the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.tables import Case, Message
from ombud.common.clock import as_utc, utcnow
from ombud.common.ids import token
from ombud.customers import service as customers
from ombud.db import tx
from ombud.evidence import analyses, findings
from ombud.evidence.analysis_model import Captured, Outcome
from ombud.evidence.capture import CaseFacts, Piece, canonical, pull, source_of
from ombud.evidence.schemas import Analysis, FindingIn, QueuedOut
from ombud.evidence.tables import EvidenceItem
from ombud.exchange.gateway import ExchangeReader
from ombud.jobs import service as jobs
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore

CAPTURE, ANALYSE = "evidence.capture", "evidence.analyse"
RECEIPT = "receipt"  # kind of an exchange's receipt of an action taken for the case


def request_capture(session: Session, principal: Principal, reference: str) -> QueuedOut:
    """Queue a fresh pull of the case's evidence from the exchange."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.TRANSITION)
        run = token(9)
        key = f"{CAPTURE}:{case.id}:{run}"
        jobs.enqueue(session, CAPTURE, {"case_id": case.id, "run": run}, key)
        audit.append(session, actor=principal.actor, action="evidence.capture_requested",
                     chain=reference, case_id=case.id, data={"run": run})
        return QueuedOut(job_key=key)


def request_analysis(session: Session, principal: Principal, reference: str,
                     analysis: Analysis) -> QueuedOut:
    """Queue an analysis of the case's latest evidence."""
    with tx(session):
        case = cases.load(session, principal, reference, Permission.TRANSITION)
        run = token(9)
        key = f"{ANALYSE}:{case.id}:{analysis.value}:{run}"
        jobs.enqueue(session, ANALYSE, {"case_id": case.id, "analysis": analysis.value,
                                        "run": run}, key)
        audit.append(session, actor=principal.actor, action="evidence.analysis_requested",
                     chain=reference, case_id=case.id,
                     data={"analysis": analysis.value, "run": run})
        return QueuedOut(job_key=key)


def _facts(session: Session, case: Case) -> CaseFacts:
    said = session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.direction == "in").order_by(Message.id))
    uid = customers.get_customer(session, case.customer_id).uid or ""
    return CaseFacts(account=uid, category=case.category, asset=case.asset,
                     received_at=as_utc(case.received_at),
                     text="\n".join([case.summary, case.description, *said]))


def _store(session: Session, blobs: BlobStore, case: Case, run: str, source: str,
           piece: Piece, body: bytes, actor: str) -> EvidenceItem:
    digest = blobs.put(body)
    row = EvidenceItem(
        case_id=case.id, kind=piece.kind, source=source, run=run,
        request=canonical(piece.request).decode(), captured_at=utcnow(), sha256=digest,
        media_type=piece.media_type, size=len(body), error=piece.error, created_by=actor,
        data=body.decode() if piece.media_type == "application/json" else None)
    session.add(row)
    session.flush()
    return row


def capture_case(session: Session, connect: Callable[[], ExchangeReader], blobs: BlobStore,
                 case_id: int, run: str) -> None:
    """Pull and freeze the evidence of one case (once per run), then queue its analysis."""
    with tx(session):
        case = cases.get_by_id(session, case_id)
        if session.scalars(select(EvidenceItem.id).where(
                EvidenceItem.case_id == case.id, EvidenceItem.run == run)).first():
            return
        facts = _facts(session, case)
        gateway = connect()
        source = source_of(gateway)
        if not facts.account:
            pieces = [Piece("account", {}, error="the customer has no exchange UID on file")]
        else:
            pieces = pull(gateway, facts)
        rows = [_store(session, blobs, case, run, source, p,
                       canonical(p.data if p.error is None else {"error": p.error}), "system")
                for p in pieces]
        audit.append(session, actor="system", action="evidence.captured", chain=case.reference,
                     case_id=case.id, data={"run": run, "source": source, "items": {
                         r.kind: {"id": r.id, "sha256": r.sha256} for r in rows}})
        analysis = analyses.FOR_CATEGORY.get(case.category)
        if analysis is not None:
            jobs.enqueue(session, ANALYSE, {"case_id": case.id, "analysis": analysis.value,
                                            "run": run},
                         f"{ANALYSE}:{case.id}:{analysis.value}:{run}")


def store_receipt(session: Session, blobs: BlobStore, case_id: int, run: str, source: str,
                  receipt: Any) -> int:
    """Freeze the exchange's receipt of an action taken for the case (e.g. a remedy carried
    out) as evidence, once per ``run``; returns the evidence item's id."""
    with tx(session):
        found = session.scalars(select(EvidenceItem.id).where(
            EvidenceItem.case_id == case_id, EvidenceItem.run == run,
            EvidenceItem.kind == RECEIPT)).first()
        if found is not None:
            return found
        row = _store(session, blobs, cases.get_by_id(session, case_id), run, source,
                     Piece(RECEIPT, {"action": run}), canonical(receipt), "system")
        return row.id


def latest_evidence(session: Session, case_id: int) -> dict[str, Captured]:
    """The newest captured item of each kind (analysis results and charts left out)."""
    out: dict[str, Captured] = {}
    for row in session.scalars(select(EvidenceItem).where(
            EvidenceItem.case_id == case_id, EvidenceItem.source != "ombud")
            .order_by(EvidenceItem.id)):
        data = json.loads(row.data) if row.data is not None and row.error is None else None
        out[row.kind] = Captured(row.id, data, row.error)
    return out


def analyse_case(session: Session, blobs: BlobStore, case_id: int, analysis: Analysis,
                 run: str) -> None:
    """Run one analysis on the case's latest evidence (once per run): store its result and
    chart as evidence and its conclusion as a suggested finding citing what it read."""
    with tx(session):
        case = cases.get_by_id(session, case_id)
        tag = f"{analysis.value}:{run}"[:64]
        if session.scalars(select(EvidenceItem.id).where(
                EvidenceItem.case_id == case.id, EvidenceItem.run == tag)).first():
            return
        facts = _facts(session, case)
        outcome = analyses.run(analysis, latest_evidence(session, case.id), facts.text,
                               facts.received_at)
        request = {"analysis": analysis.value, "inputs": list(outcome.cites)}
        result = _store(session, blobs, case, tag, "ombud",
                        Piece(f"analysis.{analysis.value}", request), _result_body(outcome),
                        "system")
        cited = [*outcome.cites, result.id]
        if outcome.chart is not None:
            chart = _store(session, blobs, case, tag, "ombud",
                           Piece(f"chart.{analysis.value}", request, media_type="image/png"),
                           outcome.chart, "system")
            cited.append(chart.id)
        audit.append(session, actor="system", action="evidence.analysed", chain=case.reference,
                     case_id=case.id, data={"analysis": analysis.value, "run": run,
                                            "verdict": outcome.verdict,
                                            "fault": outcome.fault.value,
                                            "result_id": result.id})
        findings.save(session, case, FindingIn(
            fault=outcome.fault, verdict=outcome.verdict, summary=outcome.summary,
            loss_asset=outcome.loss_asset, loss_amount=outcome.loss_amount,
            loss_usd=outcome.loss_usd), cited=cited, actor="system", origin="analysis",
            analysis=analysis.value, key=tag)


def _result_body(outcome: Outcome) -> bytes:
    payload: dict[str, Any] = {
        "analysis": outcome.analysis.value, "verdict": outcome.verdict,
        "fault": outcome.fault.value, "summary": outcome.summary, "figures": outcome.figures,
        "loss": {"asset": outcome.loss_asset, "amount": outcome.loss_amount,
                 "usd": outcome.loss_usd}}
    return canonical(payload)
