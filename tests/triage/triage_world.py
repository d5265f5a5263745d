"""Helpers of the triage integration tests: skilled teams, filing and triaging a case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Channel
from ombud.security import service as security
from ombud.security.permissions import SYSTEM
from ombud.triage import service
from ombud.triage.pipeline import TriageConfig
from ombud.triage.schemas import DecisionOut

CFG = TriageConfig()
SKILLED = {
    "Trading desk": (["trade_dispute", "liquidation", "fees"], ["en", "zh-Hans"]),
    "Wallet ops": (["deposit_withdrawal"], ["en", "zh-Hans", "zh-Hant"]),
    "Security": (["account_security"], ["en", "zh-Hans", "zh-Hant"]),
}


def skilled_teams(session: Session) -> dict[str, int]:
    """Teams with category and language skills; returns name -> id."""
    return {name: security.create_team(session, name, cats, langs).id
            for name, (cats, langs) in SKILLED.items()}


def file(session: Session, text: str, *, summary: str = "A complaint", uid: str = "UID-T-1",
         jurisdiction: str = "GB", language: str = "en", amount: str | None = None,
         asset: str | None = None, received_at: dt.datetime | None = None) -> Case:
    """Open a case for customer ``uid`` and return its row."""
    out, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary=summary, description=text, customer_uid=uid, jurisdiction=jurisdiction,
        language=language, channel=Channel.WEB, asset=asset,
        amount=Decimal(amount) if amount else None), received_at=received_at)
    return session.scalars(select(Case).where(Case.reference == out.reference)).one()


def run(session: Session, case: Case, now: dt.datetime | None = None,
        cfg: TriageConfig = CFG) -> DecisionOut:
    """Triage ``case`` and refresh it."""
    decision = service.triage_case(session, cfg, case.id, now=now)
    assert decision is not None
    session.refresh(case)
    return decision
