"""Helpers of the investigation tests: stage a scenario, open its case, run the jobs."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseIn, TransitionIn
from ombud.cases.taxonomy import Category
from ombud.config import Settings
from ombud.exchange import SCENARIOS, Scenario
from ombud.exchange.factory import open_sim
from ombud.jobs.service import run_due
from ombud.security.permissions import Principal
from ombud.worker import handlers

CATEGORY = {"trade_dispute": Category.TRADE_DISPUTE, "account_security":
            Category.ACCOUNT_SECURITY, "deposit_withdrawal": Category.DEPOSIT_WITHDRAWAL,
            "derivatives_liquidation": Category.LIQUIDATION}
ASSET = {"slippage_on_thin_book": "USDT", "delayed_fill": "USDT",
         "liquidation_on_mark_wick": "USDT", "auto_deleverage": "USDT",
         "withdrawal_stuck_in_review": "BTC", "deposit_wrong_network": "USDT",
         "deposit_missing_memo": "XRP", "login_new_country_then_withdrawal": "BTC"}


def complaint(s: Scenario) -> str:
    """What the customer writes: the transaction id (and network) of a deposit."""
    if "chain" not in s.evidence:
        return s.truth.summary
    tx = s.evidence["chain"][0]
    network = " on BSC" if tx.network == "BSC" else ""
    return f"I sent {tx.amt} {tx.ccy}{network}, txid {tx.tx_id}, and it never arrived."


def stage(settings: Settings, session: Session, name: str, account: str) -> tuple[Scenario, str]:
    """Stage scenario `name` on the deployment's simulator and open the customer's case."""
    s = SCENARIOS[name](open_sim(settings), account)
    case, _ = filing.open_case(session, Principal("system", 0, "Ombud"), CaseIn(
        summary=name.replace("_", " "), description=complaint(s),
        category=CATEGORY[s.truth.category], asset=ASSET[name], amount=Decimal(1),
        customer_uid=account), received_at=s.window.end)
    return s, case.reference


def investigate(settings: Settings, session: Session, who: Principal, reference: str) -> None:
    """Triage and start investigating the case, then run every job that follows."""
    for event in (Event.TRIAGE, Event.START_INVESTIGATION):
        cases.apply_transition(session, who, reference, TransitionIn(event=event))
    run_jobs(settings, session)


def run_jobs(settings: Settings, session: Session) -> None:
    """Run the queued jobs (capture, analysis, acknowledgement) until none is due."""
    run_due(session, "test", handlers(settings), limit=100)
