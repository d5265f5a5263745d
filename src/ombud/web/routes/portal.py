"""The customer portal (server-rendered): sign in, file a complaint, follow it, reply."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.cases import attachments, filing, queries
from ombud.cases import service as cases
from ombud.cases.schemas import CaseFilter, MessageIn
from ombud.cases.taxonomy import LABELS
from ombud.common.errors import OmbudError
from ombud.common.ids import token as new_token
from ombud.config import Settings
from ombud.customers.service import LANGUAGES
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.storage.blobs import BlobStore
from ombud.web import forms
from ombud.web.deps import blobs, cookie_principal, db, settings
from ombud.web.routes import decision_panels
from ombud.web.templating import (
    redirect,
    render,
    sign_in,
    sign_in_first,
    sign_out,
    verify_csrf,
)

router = APIRouter(prefix="/portal", include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(settings)]
Store = Annotated[BlobStore, Depends(blobs)]
CSRF = [Depends(verify_csrf)]
LANGUAGE_NAMES = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
TEXT = Annotated[str, Form(max_length=100_000)]


def customer(request: Request, session: DB) -> Principal:
    """The signed-in customer, or a redirect to the portal's sign-in page."""
    who = cookie_principal(request, session)
    if who is None or who.kind != "customer":
        raise sign_in_first("/portal")
    return who


Customer = Annotated[Principal, Depends(customer)]


@router.get("")
def landing(request: Request, session: DB) -> Response:
    """How to file a complaint, and the two ways to sign in."""
    who = cookie_principal(request, session)
    return render(request, "portal/landing.html", principal=who, email="", error="")


@router.get("/login")
def token_login(request: Request, session: DB, cfg: Cfg, token: str = "") -> Response:
    """Sign in with the token the exchange's app or website hands over."""
    who = security.principal_from_customer_token(session, cfg, token)
    response = redirect(request, "/portal/cases", ("ok", f"Signed in as {who.name}."))
    return sign_in(request, response, security.customer_session_token(cfg, who.id))


@router.post("/magic", dependencies=CSRF)
def ask_for_link(
    request: Request, session: DB, cfg: Cfg, email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Mail a one-time sign-in link."""
    try:
        security.request_magic_link(session, cfg, email)
    except OmbudError as exc:
        return render(request, "portal/landing.html", principal=None, email=email,
                      error=exc.detail, status_code=exc.status)
    return redirect(request, "/portal", (
        "ok", f"We sent a sign-in link to {email.strip()}. It works once, for "
              f"{cfg.magic_link_minutes} minutes."))


@router.get("/magic/{link}")
def confirm_link(request: Request, link: str) -> Response:
    """Ask before spending the link, so that mail scanners opening it do not use it up."""
    return render(request, "portal/magic.html", principal=None, link=link)


@router.post("/magic/{link}", dependencies=CSRF)
def use_link(request: Request, link: str, session: DB, cfg: Cfg) -> Response:
    """Spend a one-time link and sign in."""
    who = security.use_magic_link(session, link)
    response = redirect(request, "/portal/cases", ("ok", "You are signed in."))
    return sign_in(request, response, security.customer_session_token(cfg, who.id))


@router.post("/logout", dependencies=CSRF)
def logout(request: Request) -> Response:
    """Sign out."""
    return sign_out(redirect(request, "/portal", ("ok", "You are signed out.")))


@router.get("/cases")
def my_cases(request: Request, session: DB, who: Customer, cursor: str = "") -> Response:
    """The customer's cases, newest first."""
    page = queries.list_cases(session, who, CaseFilter(sort="received", cursor=cursor or None))
    return render(request, "portal/cases.html", principal=who, page=page)


def _new_form(
    request: Request, who: Principal, values: dict[str, str], errors: forms.FormErrors,
    status_code: int = 200,
) -> Response:
    return render(request, "portal/new.html", principal=who, values=values, errors=errors.fields,
                  categories=LABELS, languages=LANGUAGE_NAMES, status_code=status_code)


@router.get("/cases/new")
def new_case(request: Request, who: Customer) -> Response:
    """The complaint form."""
    values = {"key": new_token(16), "language": "en"}
    return _new_form(request, who, values, forms.FormErrors())


@router.post("/cases", dependencies=CSRF)
def file_case(
    request: Request, session: DB, who: Customer, cfg: Cfg, store: Store,
    summary: TEXT = "", description: TEXT = "", desired_outcome: TEXT = "",
    category: TEXT = "", asset: TEXT = "", amount: TEXT = "", language: TEXT = "",
    key: Annotated[str, Form(max_length=64)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """File the complaint, then store each file; a refused file never loses the complaint."""
    values = {"summary": summary, "description": description, "desired_outcome": desired_outcome,
              "category": category, "asset": asset, "amount": amount,
              "language": language if language in LANGUAGES else "en", "key": key}
    try:
        data = forms.complaint(values)
        case, created = filing.open_case(session, who, data, idempotency_key=key or None)
    except ValidationError as exc:
        return _new_form(request, who, values, forms.errors_of(exc), 422)
    except OmbudError as exc:
        errors = forms.FormErrors()
        errors.add(exc.pointer or "", exc.detail)
        return _new_form(request, who, values, errors, exc.status)
    notes = [("ok", f"Your complaint {case.reference} is filed. We will acknowledge it shortly.")]
    for upload in forms.chosen_files(files) if created else []:
        try:
            attachments.add_attachment(
                session, who, case.reference, filename=upload.filename or "file",
                data=upload.file.read(cfg.max_attachment_bytes + 1), store=store,
                max_bytes=cfg.max_attachment_bytes)
        except OmbudError as exc:
            notes.append(("error", f"A file was not attached: {exc.detail}. You can attach "
                                   "another file below."))
    return redirect(request, f"/portal/cases/{case.reference}", *notes)


def _case_page(
    request: Request, session: DB, who: Principal, reference: str,
    reply: str = "", error: str = "", status_code: int = 200,
) -> Response:
    detail = queries.case_detail(session, who, reference)
    decision = decision_panels.portal_panel(
        session, who, detail, dt.timedelta(days=settings(request).reopen_days))
    return render(request, "portal/case.html", principal=who, case=detail, reply=reply,
                  error=error, decision=decision, status_code=status_code)


@router.get("/cases/{reference}")
def case_page(request: Request, reference: str, session: DB, who: Customer) -> Response:
    """One case: where it stands, its deadline, the public timeline and files."""
    return _case_page(request, session, who, reference)


@router.post("/cases/{reference}/messages", dependencies=CSRF)
def reply(
    request: Request, reference: str, session: DB, who: Customer, body: TEXT = "",
) -> Response:
    """Write to the people handling the case."""
    try:
        cases.add_message(session, who, reference, MessageIn(body=body.strip()))
    except ValidationError:
        return _case_page(request, session, who, reference, body, "Write a message first.", 422)
    except OmbudError as exc:
        if exc.status == 404:
            raise
        return _case_page(request, session, who, reference, body, exc.detail, exc.status)
    return redirect(request, f"/portal/cases/{reference}", ("ok", "Your message was sent."))


@router.post("/cases/{reference}/attachments", dependencies=CSRF)
def upload(
    request: Request, reference: str, session: DB, who: Customer, cfg: Cfg, store: Store,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Attach more files to the case."""
    notes: list[tuple[str, str]] = []
    for item in forms.chosen_files(files):
        try:
            added = attachments.add_attachment(
                session, who, reference, filename=item.filename or "file",
                data=item.file.read(cfg.max_attachment_bytes + 1), store=store,
                max_bytes=cfg.max_attachment_bytes)
            notes.append(("ok", f"{added.filename} is attached."))
        except OmbudError as exc:
            if exc.status == 404:
                raise
            notes.append(("error", f"A file was not attached: {exc.detail}"))
    return redirect(request, f"/portal/cases/{reference}",
                    *(notes or [("error", "Choose a file to attach first.")]))


@router.get("/cases/{reference}/attachments/{attachment_id}")
def download(
    reference: str, attachment_id: int, session: DB, who: Customer, store: Store,
) -> Response:
    """One of the case's files, as a download."""
    meta, data = attachments.read_attachment(session, who, reference, attachment_id, store)
    return download_response(meta.filename, meta.media_type, data)


def download_response(filename: str, media_type: str, data: bytes) -> Response:
    """Bytes served as a download that the browser never renders in place."""
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        "X-Content-Type-Options": "nosniff", "X-Detected-Type": media_type,
        "Cache-Control": "private, no-store"})
