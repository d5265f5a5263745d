"""Helpers of the decision tests: a case ready for a decision, decisions made through the
verbs (to seed precedents), the job runner, and the decision routes of the access matrix."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseIn, TransitionIn
from ombud.cases.taxonomy import Category
from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.evidence import findings
from ombud.evidence import service as evidence
from ombud.evidence.schemas import Fault, FindingIn
from ombud.exchange.factory import open_sim
from ombud.jobs.service import run_due
from ombud.resolution import outcomes
from ombud.resolution import service as resolution
from ombud.resolution.default_policy import DEFAULT_POLICY
from ombud.resolution.policy import RemedyKind
from ombud.resolution.schemas import PointIn, ProposalIn, RemedyIn
from ombud.security import service as security
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import LocalBlobStore
from ombud.worker import handlers
from tests.conftest import World

SUMMARY = "Market buy filled a second late"


def ready_case(world: World, session: Session, *, customer: str = "carol",
               loss: str = "200", on_exchange: bool = True) -> tuple[str, int]:
    """An investigating trade dispute of ``customer`` (with an account on the simulated
    exchange unless ``on_exchange`` is false) with one platform-fault finding that cites
    evidence and measures a loss of ``loss`` USDT; returns its reference and finding."""
    if on_exchange:
        open_sim(world.settings).open_account(world.customers[customer])
    case, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary=SUMMARY, description="My 1.5 BTC market buy filled 1.2 s after I sent it.",
        category=Category.TRADE_DISPUTE, asset="USDT", amount=Decimal(loss),
        customer_uid=world.customers[customer], jurisdiction="GB"))
    for event in (Event.TRIAGE, Event.START_INVESTIGATION):
        cases.apply_transition(session, SYSTEM, case.reference, TransitionIn(event=event))
    case_id = cases.load(session, SYSTEM, case.reference, Permission.VIEW_CASE).id
    cited = evidence.store_receipt(session, LocalBlobStore(world.settings.blob_dir), case_id,
                                   "fills", "sim", {"ord_id": "42", "lag_ms": 1200})
    finding = findings.add_finding(session, world.staff["specialist"], case.reference,
                                   FindingIn(fault=Fault.PLATFORM, verdict="platform_fault",
                                             summary="Filled 1.2 s late in a matching incident.",
                                             loss_asset="USDT", loss_amount=Decimal(loss),
                                             loss_usd=Decimal(loss), evidence_ids=[cited]))
    return case.reference, finding.id


def compensation(finding_id: int, amount: str, justification: str = "") -> ProposalIn:
    """An upheld decision paying ``amount`` USDT of compensation for the finding."""
    return ProposalIn(
        outcome="upheld", summary="The order was filled late by our fault.",
        justification=justification,
        points=[PointIn(point="The order filled late", finding_id=finding_id, upheld=True,
                        reason="The replay shows a 1.2 s delay during an incident.")],
        remedies=[RemedyIn(kind=RemedyKind.COMPENSATION, clause_id="TD-1", asset="USDT",
                           amount=Decimal(amount), finding_id=finding_id)])


def customer(world: World, session: Session, name: str = "carol") -> Principal:
    """The customer principal of ``name``."""
    return security.principal_from_customer_token(session, world.settings,
                                                  world.customer_token(name))


def decided(world: World, session: Session, *, loss: str = "200", paid: str = "200") -> str:
    """A case decided within the specialist's limit and accepted: a precedent."""
    ref, finding = ready_case(world, session, loss=loss)
    specialist = world.staff["specialist"]
    resolution.draft(session, specialist, ref, compensation(finding, paid))
    resolution.submit(session, specialist, ref, resolution.Config.from_settings(world.settings))
    outcomes.accept(session, customer(world, session), ref)
    return ref


def run_jobs(settings: Settings, session: Session) -> int:
    """Run every due job (remedies, letters, surveys); returns how many ran."""
    return run_due(session, "test", handlers(settings), limit=200)


_DRAFT = {"outcome": "rejected", "points": [{"point": "The fill was late"}]}
#: The decision API as the access matrix calls it on carol's trading case (received, no
#: finding): path suffix, request arguments.
ACCESS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/suggestion"): ("/suggestion", {}),
    ("GET", "/proposals"): ("/proposals", {}),
    ("POST", "/proposals"): ("/proposals", {"json": _DRAFT}),
    ("POST", "/proposals/submit"): ("/proposals/submit", {}),
    ("POST", "/proposals/approve"): ("/proposals/approve", {"json": {}}),
    ("POST", "/proposals/refuse"): ("/proposals/refuse", {"json": {"note": "Pay less"}}),
    ("POST", "/proposals/accept"): ("/proposals/accept", {}),
    ("POST", "/objections"): ("/objections", {"json": {"body": "I object to it"}}),
    ("POST", "/objections/review"): ("/objections/review", {}),
    ("POST", "/objections/confirm"): ("/objections/confirm", {"json": {}}),
    ("POST", "/objections/change"): ("/objections/change", {"json": _DRAFT}),
    ("POST", "/remedies/{remedy_id}/cancel"): ("/remedies/999999/cancel",
                                               {"json": {"reason": "Account closed"}}),
    ("POST", "/reopen"): ("/reopen", {"json": {"reason": "Please look again"}}),
    ("POST", "/close"): ("/close", {}),
}
APPROVERS = {"approver", "supervisor", "admin"}


def access_requests(case_url: str) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """The matrix's requests for the decision routes (``case_url``: /api/v1/cases/<ref>)."""
    later = (utcnow() + dt.timedelta(days=1)).isoformat()
    document = json.dumps(DEFAULT_POLICY)
    table: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
        (method, f"/api/v1/cases/{{reference}}{suffix}"): (case_url + path, kwargs)
        for (method, suffix), (path, kwargs) in ACCESS.items()}
    table[("GET", "/api/v1/policy/versions")] = ("/api/v1/policy/versions", {})
    table[("POST", "/api/v1/policy/versions")] = (
        "/api/v1/policy/versions", {"json": {"effective_from": later, "document": document}})
    return table


def access_expected(route: tuple[str, str], who: str, sees: set[str]) -> int | None:
    """What ``who`` (not anonymous) gets from a decision route on carol's case (which ``sees``
    may see); None for a route that is not one of them."""
    method, path = route
    if path == "/api/v1/policy/versions":
        if method == "GET":
            return 403 if who in ("carol", "dave") else 200
        return 201 if who in ("compliance", "admin") else 403
    suffix = path.removeprefix("/api/v1/cases/{reference}")
    if (method, suffix) not in ACCESS:
        return None
    if suffix in ("/proposals/approve", "/proposals/refuse"):  # the role before the case
        return 409 if who in APPROVERS else 403
    if suffix.endswith("/cancel"):
        return 422 if who in APPROVERS else 403  # remedy 999999 is not the case's
    if who not in sees:
        return 404
    if (method, suffix) == ("GET", "/proposals"):
        return 200
    if who == "carol":
        return 409 if suffix in ("/proposals/accept", "/objections", "/reopen") else 403
    if who == "compliance":
        return 403
    return 200 if suffix == "/suggestion" else 409  # a received case has nothing to decide
