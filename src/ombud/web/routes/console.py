"""The agent console (server-rendered): sign in, the queue, the case page, the job queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.cases import attachments, queries
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.schemas import AssignIn, MessageIn, TransitionIn
from ombud.cases.taxonomy import LABELS, SUBCATEGORIES, Priority
from ombud.common.errors import OmbudError
from ombud.config import Settings
from ombud.evidence import findings as evidence_findings
from ombud.evidence import queries as evidence_queries
from ombud.evidence import service as evidence
from ombud.evidence.schemas import Analysis, Fault, FindingIn
from ombud.feedback import queries as feedback_queries
from ombud.intake import replies
from ombud.intake.social import merge as merging
from ombud.jobs import queries as job_queries
from ombud.jobs import service as jobs
from ombud.security import service as security
from ombud.security.permissions import Principal, can_see_internal, require
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore
from ombud.triage import queries as triage_queries
from ombud.triage import service as triage
from ombud.triage.schemas import CorrectionIn
from ombud.web import forms
from ombud.web.deps import blobs, cookie_principal, db, settings
from ombud.web.routes import decision_panels
from ombud.web.routes.portal import download_response
from ombud.web.templating import (
    redirect,
    render,
    sign_in,
    sign_in_first,
    sign_out,
    verify_csrf,
)

router = APIRouter(include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(settings)]
Store = Annotated[BlobStore, Depends(blobs)]
CSRF = [Depends(verify_csrf)]
TEXT = Annotated[str, Form(max_length=100_000)]
JOB_STATUSES = ("parked", "queued", "running", "done")


def staff(request: Request, session: DB) -> Principal:
    """The signed-in member of staff, or a redirect to the console's sign-in page."""
    who = cookie_principal(request, session)
    if who is None or who.kind != "staff":
        raise sign_in_first("/console/login")
    return who


Staff = Annotated[Principal, Depends(staff)]


@router.get("/")
def home(request: Request, session: DB) -> Response:
    """The front page: the portal for customers, the console for staff."""
    return render(request, "home.html", principal=cookie_principal(request, session))


@router.get("/console/login")
def login_form(request: Request) -> Response:
    """The staff sign-in form."""
    return render(request, "console/login.html", principal=None, username="", error="")


@router.post("/console/login", dependencies=CSRF)
def login(
    request: Request, session: DB, cfg: Cfg,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Check password and TOTP code; lockouts and rate limits are shown on the form."""
    ip = request.client.host if request.client else "?"
    try:
        token = security.login(session, cfg, username=username, password=password,
                               code=code.strip(), ip=ip)
    except OmbudError as exc:
        return render(request, "console/login.html", principal=None, username=username,
                      error=exc.detail, status_code=exc.status)
    return sign_in(request, redirect(request, "/console"), token)


@router.post("/console/logout", dependencies=CSRF)
def logout(request: Request) -> Response:
    """Sign out."""
    return sign_out(redirect(request, "/console/login", ("ok", "You are signed out.")))


def _people(session: Session) -> dict[str, dict[int, str]]:
    """Names of teams and staff, for selects and for showing ids as names."""
    return {
        "teams": {t.id: t.name for t in security.list_teams(session)},
        "staff": {s.id: s.display_name for s in security.list_staff(session) if s.active},
    }


@router.get("/console")
def queue(request: Request, session: DB, who: Staff) -> Response:
    """The case queue: filters, sort, 50 rows a page."""
    error = ""
    try:
        chosen = forms.queue(request.query_params, who)
        page = queries.list_cases(session, who, chosen.filter)
    except OmbudError as exc:
        chosen = forms.queue(type(request.query_params)(), who)
        page = queries.list_cases(session, who, chosen.filter)
        error = exc.detail
    return render(request, "console/queue.html", principal=who, page=page, chosen=chosen,
                  error=error, statuses=list(Status), categories=LABELS,
                  priorities=list(Priority), **_people(session),
                  status_code=422 if error else 200)


def _case_page(
    request: Request, session: Session, who: Principal, reference: str,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    detail = queries.case_detail(session, who, reference)
    detail = detail.model_copy(update={"next_events": [  # decisions go through their panel
        e for e in detail.next_events if e not in cases.VERB_EVENTS]})
    found = (evidence_queries.evidence_page(session, who, reference)
             if can_see_internal(who) else None)
    decision = (decision_panels.console_panel(session, who, detail, values or {})
                if can_see_internal(who) else None)
    return render(request, "console/case.html", principal=who, case=detail,
                  errors=errors or {}, values=values or {}, **_people(session),
                  evidence=found, analyses=list(Analysis), faults=list(Fault), decision=decision,
                  triage=triage_queries.case_triage(session, who, reference),
                  survey=feedback_queries.case_survey(session, who, reference),
                  subcategories=SUBCATEGORIES, status_code=status_code)


def _back(request: Request, reference: str, message: str) -> Response:
    return redirect(request, f"/console/cases/{reference}", ("ok", message))


def _refused(
    request: Request, session: Session, who: Principal, reference: str, form: str,
    exc: OmbudError | ValidationError, values: dict[str, str] | None = None,
) -> Response:
    """Show the case page again with the form's error and what was typed."""
    if isinstance(exc, OmbudError) and exc.status == 404:
        raise exc
    detail = exc.detail if isinstance(exc, OmbudError) else "; ".join(
        forms.errors_of(exc).fields.values())
    status = exc.status if isinstance(exc, OmbudError) else 422
    return _case_page(request, session, who, reference, {form: detail}, values, status)


@router.get("/console/cases/{reference}")
def case_page(request: Request, reference: str, session: DB, who: Staff) -> Response:
    """One case: every field, the whole timeline with notes, the audit trail, the actions."""
    return _case_page(request, session, who, reference)


@router.post("/console/cases/{reference}/messages", dependencies=CSRF)
def message(
    request: Request, reference: str, session: DB, who: Staff, body: TEXT = "",
    visibility: Annotated[str, Form(pattern="^(public|internal)$")] = "public",
) -> Response:
    """A reply to the customer, or an internal note."""
    form = "note" if visibility == "internal" else "reply"
    try:
        replies.reply(session, who, reference,
                      MessageIn(body=body.strip(), visibility=visibility))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, form, exc, {form: body})
    return _back(request, reference, "Note added." if form == "note" else "Reply sent.")


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@router.post("/console/cases/{reference}/assignment", dependencies=CSRF)
def assign(
    request: Request, reference: str, session: DB, who: Staff,
    team: Annotated[str, Form()] = "", assignee: Annotated[str, Form()] = "",
) -> Response:
    """Give the case to a team and/or a handler (none: unassigned); ``assignee=me`` takes it."""
    mine = assignee == "me"
    data = AssignIn(assignee_id=who.id) if mine else AssignIn(team_id=_id(team),
                                                              assignee_id=_id(assignee))
    try:
        cases.assign(session, who, reference, data)
    except OmbudError as exc:
        return _refused(request, session, who, reference, "assign", exc)
    return _back(request, reference, "You took the case." if mine else "Assignment saved.")


@router.post("/console/cases/{reference}/transitions", dependencies=CSRF)
def transition(
    request: Request, reference: str, session: DB, who: Staff,
    event: Annotated[str, Form()] = "", reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Move the case by a lifecycle event."""
    values = {"event": event, "reason": reason}
    if event not in Event._value2member_map_:
        return _case_page(request, session, who, reference,
                          {"transition": "choose the next step"}, values, 422)
    try:
        moved = cases.apply_transition(session, who, reference,
                                       TransitionIn(event=Event(event), reason=reason.strip()))
    except OmbudError as exc:
        return _refused(request, session, who, reference, "transition", exc, values)
    return _back(request, reference, f"The case is now {moved.status.value.replace('_', ' ')}.")


@router.post("/console/cases/{reference}/triage", dependencies=CSRF)
def correct_triage(
    request: Request, reference: str, session: DB, who: Staff,
    label: Annotated[str, Form(max_length=90)] = "",
) -> Response:
    """Correct the category and sub-category (kept for retraining, audited)."""
    category, _, sub = label.partition("/")
    try:
        triage.correct(session, who, reference, CorrectionIn.model_validate(
            {"category": category, "subcategory": sub}))
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, "triage", exc)
    return _back(request, reference, "Correction saved; the case is triaged again.")


@router.post("/console/cases/{reference}/attachments", dependencies=CSRF)
def upload(
    request: Request, reference: str, session: DB, who: Staff, cfg: Cfg, store: Store,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Attach files to the case."""
    chosen = forms.chosen_files(files)
    if not chosen:
        return _case_page(request, session, who, reference, {"upload": "choose a file first"},
                          status_code=422)
    names = []
    for item in chosen:
        try:
            added = attachments.add_attachment(
                session, who, reference, filename=item.filename or "file",
                data=item.file.read(cfg.max_attachment_bytes + 1), store=store,
                max_bytes=cfg.max_attachment_bytes)
        except OmbudError as exc:
            return _refused(request, session, who, reference, "upload", exc)
        names.append(added.filename)
    return _back(request, reference, f"Attached {', '.join(names)}.")


@router.get("/console/cases/{reference}/attachments/{attachment_id}")
def download(
    reference: str, attachment_id: int, session: DB, who: Staff, store: Store,
) -> Response:
    """One of the case's files, as a download."""
    meta, data = attachments.read_attachment(session, who, reference, attachment_id, store)
    return download_response(meta.filename, meta.media_type, data)


@router.get("/console/cases/{reference}/duplicates")
def duplicates(request: Request, reference: str, session: DB, who: Staff) -> Response:
    """Open cases that are likely the same matter, each with a merge button."""
    return render(request, "console/duplicates.html", principal=who, reference=reference,
                  suggestions=merging.duplicates(session, who, reference))


@router.post("/console/cases/{reference}/merge", dependencies=CSRF)
def merge(request: Request, reference: str, session: DB, who: Staff,
          into: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Merge this case into another one (with its customer, if they differ)."""
    try:
        merging.merge_cases(session, who, reference, into.strip())
    except OmbudError as exc:
        return _refused(request, session, who, reference, "merge", exc, {"into": into})
    return redirect(request, f"/console/cases/{into.strip()}",
                    ("ok", f"Case {reference} was merged into this case."))


@router.post("/console/cases/{reference}/evidence", dependencies=CSRF)
def pull_evidence(request: Request, reference: str, session: DB, who: Staff) -> Response:
    """Queue a fresh pull of the case's evidence from the exchange."""
    try:
        evidence.request_capture(session, who, reference)
    except OmbudError as exc:
        return _refused(request, session, who, reference, "evidence", exc)
    return _back(request, reference, "Evidence capture queued.")


@router.post("/console/cases/{reference}/analyses", dependencies=CSRF)
def run_analysis(
    request: Request, reference: str, session: DB, who: Staff,
    analysis: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Queue an analysis of the case's latest evidence."""
    if analysis not in Analysis._value2member_map_:
        return _case_page(request, session, who, reference,
                          {"analysis": "choose an analysis"}, status_code=422)
    try:
        evidence.request_analysis(session, who, reference, Analysis(analysis))
    except OmbudError as exc:
        return _refused(request, session, who, reference, "analysis", exc)
    return _back(request, reference, f"The {analysis} analysis is queued.")


@router.post("/console/cases/{reference}/findings", dependencies=CSRF)
def add_finding(
    request: Request, reference: str, session: DB, who: Staff,
    fault: Annotated[str, Form(max_length=16)] = "",
    verdict: Annotated[str, Form(max_length=48)] = "",
    summary: Annotated[str, Form(max_length=20_000)] = "",
    loss_asset: Annotated[str, Form(max_length=16)] = "",
    loss_amount: Annotated[str, Form(max_length=60)] = "",
    loss_usd: Annotated[str, Form(max_length=60)] = "",
    evidence_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """A finding written by staff, citing evidence of the case."""
    values = {"fault": fault, "verdict": verdict, "finding": summary, "loss_asset": loss_asset,
              "loss_amount": loss_amount, "loss_usd": loss_usd}
    try:
        data = FindingIn.model_validate({
            "fault": fault, "verdict": verdict, "summary": summary,
            "loss_asset": loss_asset.strip().upper() or None,
            "loss_amount": loss_amount.strip() or None, "loss_usd": loss_usd.strip() or None,
            "evidence_ids": [int(i) for i in evidence_ids or [] if i.isdigit()]})
        evidence_findings.add_finding(session, who, reference, data)
    except (OmbudError, ValidationError) as exc:
        return _refused(request, session, who, reference, "finding", exc, values)
    return _back(request, reference, "Finding saved.")


@router.get("/console/cases/{reference}/evidence/{evidence_id}")
def evidence_body(
    reference: str, evidence_id: int, session: DB, who: Staff, store: Store,
) -> Response:
    """The stored body of one piece of evidence: a chart as a PNG, records as JSON."""
    meta, data = evidence_queries.evidence_bytes(session, who, reference, evidence_id, store)
    return Response(data, media_type=meta.media_type, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})


@router.get("/console/jobs")
def jobs_page(request: Request, session: DB, who: Staff, status: str = "parked") -> Response:
    """Background jobs by status; parked ones show their error and can be retried."""
    require(who, Permission.VIEW_JOBS)
    status = status if status in JOB_STATUSES else "parked"
    return render(request, "console/jobs.html", principal=who, status=status,
                  statuses=JOB_STATUSES, counts=jobs.counts(session),
                  jobs=job_queries.list_jobs(session, status))


@router.post("/console/jobs/{job_id}/retry", dependencies=CSRF)
def retry(request: Request, job_id: int, session: DB, who: Staff) -> Response:
    """Put a parked job back in the queue."""
    require(who, Permission.VIEW_JOBS)
    jobs.retry_parked(session, job_id)
    return redirect(request, "/console/jobs", ("ok", f"Job {job_id} is queued again."))
