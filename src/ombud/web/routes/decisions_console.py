"""The console's decision pages: draft, submit, approve or refuse a proposal; re-review an
objection; cancel a remedy; close the case; the approvals queue and the policy page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import OmbudError
from ombud.config import Settings
from ombud.disputes import service as disputes
from ombud.resolution import outcomes, policies
from ombud.resolution import queries as resolution_queries
from ombud.resolution import service as resolution
from ombud.resolution.schemas import CancelIn, DecisionIn, PolicyIn
from ombud.security.permissions import Principal, require
from ombud.security.roles import Permission
from ombud.web.deps import app_settings, db
from ombud.web.routes.console import Staff, _case_page, _refused
from ombud.web.routes.decision_panels import form_values, to_proposal
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(app_settings)]
CSRF = [Depends(verify_csrf)]
NOTE = Annotated[str, Form(max_length=10_000)]
COLUMN = Annotated[list[str] | None, Form()]
FORM = "decision"  # the error slot of the decision panel's forms


def _back(request: Request, reference: str, message: str) -> Response:
    return redirect(request, f"/console/cases/{reference}#decision-h", ("ok", message))


def _config(cfg: Settings) -> resolution.Config:
    return resolution.Config.from_settings(cfg)


def _where(loc: tuple[Any, ...]) -> str:
    """``("points", 0, "point")`` → ``point 1: point``, as a person reads a form row."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in ("points", "remedies") and parts[1].isdigit():
        row = f"{parts[0][:-1] if parts[0] == 'points' else 'remedy'} {int(parts[1]) + 1}"
        return " ".join([row, *parts[2:]])
    return " ".join(parts)


def _invalid(exc: ValidationError) -> str:
    return "; ".join(f"{_where(tuple(e.get('loc', ())))}: "
                     f"{str(e.get('msg', 'is not valid')).removeprefix('Value error, ')}"
                     for e in exc.errors())


def decision_values(
    outcome: Annotated[str, Form(max_length=16)] = "", summary: NOTE = "",
    justification: NOTE = "",
    point: COLUMN = None, point_finding: COLUMN = None, point_upheld: COLUMN = None,
    point_reason: COLUMN = None, remedy_kind: COLUMN = None, remedy_clause: COLUMN = None,
    remedy_asset: COLUMN = None, remedy_amount: COLUMN = None, remedy_usd: COLUMN = None,
    remedy_finding: COLUMN = None, remedy_note: COLUMN = None,
) -> dict[str, str]:
    """The decision form as typed (one column per field, one entry per row), flattened."""
    return form_values(
        {"outcome": outcome, "summary": summary, "justification": justification},
        {"point": point or [], "finding": point_finding or [], "upheld": point_upheld or [],
         "reason": point_reason or []},
        {"kind": remedy_kind or [], "clause": remedy_clause or [], "asset": remedy_asset or [],
         "amount": remedy_amount or [], "usd": remedy_usd or [],
         "finding": remedy_finding or [], "note": remedy_note or []})


Typed = Annotated[dict[str, str], Depends(decision_values)]


@router.post("/console/cases/{reference}/decision", dependencies=CSRF)
def save_draft(request: Request, reference: str, session: DB, who: Staff,
               values: Typed) -> Response:
    """Save the decision as a draft (a new revision); refused input is shown on the form with
    everything typed."""
    try:
        out = resolution.draft(session, who, reference, to_proposal(values))
    except ValidationError as exc:
        return _case_page(request, session, who, reference, {FORM: _invalid(exc)}, values, 422)
    except OmbudError as exc:
        return _refused(request, session, who, reference, FORM, exc, values)
    note = ("It needs an approver: " + "; ".join(out.approval_reasons) + "."
            if out.needs_approval else "You may send it to the customer.")
    return _back(request, reference, f"Draft saved (revision {out.revision}). {note}")


@router.post("/console/cases/{reference}/decision/submit", dependencies=CSRF)
def submit(request: Request, reference: str, session: DB, who: Staff, cfg: Cfg) -> Response:
    """Send the draft to an approver, or straight to the customer when it needs none."""
    try:
        out = resolution.submit(session, who, reference, _config(cfg))
    except OmbudError as exc:
        return _refused(request, session, who, reference, FORM, exc)
    if out.status == "awaiting_approval":
        return _back(request, reference, "Sent for approval.")
    return _back(request, reference, "The decision letter is sent to the customer.")


@router.post("/console/cases/{reference}/decision/approve", dependencies=CSRF)
def approve(request: Request, reference: str, session: DB, who: Staff, cfg: Cfg,
            note: NOTE = "") -> Response:
    """Approve someone else's proposal; the letter goes to the customer."""
    try:
        resolution.approve(session, who, reference, DecisionIn(note=note), _config(cfg))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, "approval", exc, {"note": note})
    return _back(request, reference, "Approved; the decision letter is sent to the customer.")


@router.post("/console/cases/{reference}/decision/refuse", dependencies=CSRF)
def refuse(request: Request, reference: str, session: DB, who: Staff,
           note: NOTE = "") -> Response:
    """Send the proposal back to its proposer with a reason."""
    try:
        resolution.refuse(session, who, reference, DecisionIn(note=note))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, "approval", exc, {"note": note})
    return _back(request, reference, "Refused; the proposal is back with its proposer.")


@router.post("/console/cases/{reference}/decision/close", dependencies=CSRF)
def close(request: Request, reference: str, session: DB, who: Staff) -> Response:
    """Close a resolved case (refused while an accepted remedy is open)."""
    try:
        outcomes.close(session, who, reference)
    except OmbudError as exc:
        return _refused(request, session, who, reference, FORM, exc)
    return _back(request, reference, "The case is closed.")


@router.post("/console/cases/{reference}/remedies/{remedy_id}/cancel", dependencies=CSRF)
def cancel_remedy(request: Request, reference: str, remedy_id: int, session: DB, who: Staff,
                  reason: Annotated[str, Form(max_length=2_000)] = "") -> Response:
    """Cancel an accepted remedy that has not been carried out, with a reason."""
    slot = f"remedy-{remedy_id}"
    try:
        outcomes.cancel_remedy(session, who, reference, remedy_id, CancelIn(reason=reason))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, slot, exc, {slot: reason})
    return _back(request, reference, f"Remedy {remedy_id} is cancelled.")


@router.post("/console/cases/{reference}/objection/review", dependencies=CSRF)
def start_review(request: Request, reference: str, session: DB, who: Staff) -> Response:
    """Take the customer's objection for re-review (not the proposer)."""
    try:
        disputes.start_re_review(session, who, reference)
    except OmbudError as exc:
        return _refused(request, session, who, reference, "review", exc)
    return _back(request, reference, "You are re-reviewing the objection.")


@router.post("/console/cases/{reference}/objection/confirm", dependencies=CSRF)
def confirm(request: Request, reference: str, session: DB, who: Staff, cfg: Cfg,
            note: NOTE = "") -> Response:
    """Confirm the decision objected to; it is issued again after the re-review."""
    try:
        disputes.confirm(session, who, reference, DecisionIn(note=note), _config(cfg))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, "review", exc, {"review_note": note})
    return _back(request, reference, "Decision confirmed and issued again.")


@router.post("/console/cases/{reference}/objection/change", dependencies=CSRF)
def change(request: Request, reference: str, session: DB, who: Staff, cfg: Cfg,
           values: Typed) -> Response:
    """The reviewer changes the decision objected to; it is issued as a new revision."""
    try:
        out = disputes.change(session, who, reference, to_proposal(values), _config(cfg))
    except ValidationError as exc:
        return _case_page(request, session, who, reference, {FORM: _invalid(exc)}, values, 422)
    except OmbudError as exc:
        return _refused(request, session, who, reference, FORM, exc, values)
    if out.status == "awaiting_approval":
        return _back(request, reference, f"Decision changed (revision {out.revision}); it "
                                          "waits for an approver before it is issued.")
    return _back(request, reference, f"Decision changed and issued as revision {out.revision}.")


@router.get("/console/approvals")
def approvals(request: Request, session: DB, who: Staff) -> Response:
    """Proposals waiting for an approver other than their proposer, oldest first."""
    require(who, Permission.APPROVE)
    return render(request, "console/approvals.html", principal=who,
                  waiting=resolution_queries.awaiting_approval(session, who))


def _policy_page(request: Request, session: Session, who: Principal,
                 values: dict[str, str] | None = None, error: str = "",
                 status_code: int = 200) -> Response:
    versions = policies.list_versions(session)
    in_effect, _ = policies.in_effect(session, utcnow())
    latest = versions[0]
    shown = values or {"effective_from": f"{utcnow() + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
                       "document": latest.document, "note": ""}
    return render(request, "console/policy.html", principal=who, versions=versions,
                  in_effect=in_effect, values=shown, error=error, status_code=status_code)


@router.get("/console/policy")
def policy(request: Request, session: DB, who: Staff) -> Response:
    """The remedy policy's versions; compliance adds a new one."""
    require(who, Permission.VIEW_INTERNAL)
    return _policy_page(request, session, who)


@router.post("/console/policy", dependencies=CSRF)
def new_policy(
    request: Request, session: DB, who: Staff,
    effective_from: Annotated[str, Form(max_length=40)] = "",
    document: Annotated[str, Form(max_length=200_000)] = "",
    note: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """Add a policy version taking effect at ``effective_from`` (UTC)."""
    values = {"effective_from": effective_from, "document": document, "note": note}
    try:
        when = as_utc(dt.datetime.fromisoformat(effective_from.strip()))
    except ValueError:
        return _policy_page(request, session, who, values,
                            "effective from: give a date and time (UTC)", 422)
    try:
        out = policies.create_version(session, who, PolicyIn(
            effective_from=when, document=document, note=note.strip()))
    except ValidationError as exc:
        return _policy_page(request, session, who, values, _invalid(exc), 422)
    except OmbudError as exc:
        return _policy_page(request, session, who, values, exc.detail, exc.status)
    return redirect(request, "/console/policy",
                    ("ok", f"Policy version {out.version} takes effect "
                           f"{out.effective_from:%Y-%m-%d %H:%M} UTC."))
