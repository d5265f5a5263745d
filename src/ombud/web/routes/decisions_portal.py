"""The portal's decision forms: the customer accepts or objects to the decision (with files),
or reopens a resolved case within the window."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.cases import attachments, queries
from ombud.common.errors import OmbudError
from ombud.config import Settings
from ombud.disputes import service as disputes
from ombud.resolution import outcomes
from ombud.resolution import service as resolution
from ombud.resolution.schemas import ObjectionIn
from ombud.security.permissions import Principal
from ombud.storage.blobs import BlobStore
from ombud.web import forms
from ombud.web.deps import app_settings, blobs, db
from ombud.web.routes.decision_panels import portal_panel
from ombud.web.routes.portal import Customer
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(prefix="/portal", include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(app_settings)]
Store = Annotated[BlobStore, Depends(blobs)]
CSRF = [Depends(verify_csrf)]
TEXT = Annotated[str, Form(max_length=100_000)]
WRITE_FIRST = "Write what you think is wrong with the decision (a few words at least)."


def _page(request: Request, session: Session, who: Principal, reference: str, cfg: Settings,
          form: str, exc: OmbudError | ValidationError, values: dict[str, str]) -> Response:
    """The case page again, with the form's error and what was typed."""
    if isinstance(exc, OmbudError) and exc.status == 404:
        raise exc
    if isinstance(exc, ValidationError):
        detail, status = WRITE_FIRST, 422
    else:
        detail, status = exc.detail, exc.status
    case = queries.case_detail(session, who, reference)
    panel = portal_panel(session, who, case, dt.timedelta(days=cfg.reopen_days),
                         {form: detail}, values)
    return render(request, "portal/case.html", principal=who, case=case, reply="", error="",
                  decision=panel, status_code=status)


def _back(request: Request, reference: str, *notes: tuple[str, str]) -> Response:
    return redirect(request, f"/portal/cases/{reference}#decision-h", *notes)


@router.post("/cases/{reference}/decision/accept", dependencies=CSRF)
def accept(request: Request, reference: str, session: DB, who: Customer,
           cfg: Cfg) -> Response:
    """Accept the decision; a second click answers the same and changes nothing."""
    try:
        outcomes.accept(session, who, reference)
    except OmbudError as exc:
        return _page(request, session, who, reference, cfg, "accept", exc, {})
    return _back(request, reference, ("ok", "Thank you: you accepted the decision. We will "
                                            "tell you when it has been carried out."))


@router.post("/cases/{reference}/decision/objection", dependencies=CSRF)
def object_to(
    request: Request, reference: str, session: DB, who: Customer, cfg: Cfg, store: Store,
    body: TEXT = "", files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Object to the decision, then attach each file; a refused file never loses the
    objection."""
    try:
        disputes.object_to(session, who, reference, ObjectionIn(body=body))
    except (OmbudError, ValidationError) as exc:
        return _page(request, session, who, reference, cfg, "objection", exc,
                     {"objection": body})
    notes = [("ok", "Your objection is received. Someone who did not make the decision will "
                    "review it.")]
    for upload in forms.chosen_files(files):
        try:
            attachments.add_attachment(
                session, who, reference, filename=upload.filename or "file",
                data=upload.file.read(cfg.max_attachment_bytes + 1), store=store,
                max_bytes=cfg.max_attachment_bytes)
        except OmbudError as exc:
            notes.append(("error", f"A file was not attached: {exc.detail}. You can attach "
                                   "another file below."))
    return _back(request, reference, *notes)


@router.post("/cases/{reference}/reopen", dependencies=CSRF)
def reopen(request: Request, reference: str, session: DB, who: Customer, cfg: Cfg,
           reason: Annotated[str, Form(max_length=2_000)] = "") -> Response:
    """Reopen a resolved or closed case within the window, saying why."""
    try:
        outcomes.reopen(session, who, reference, reason,
                        resolution.Config.from_settings(cfg))
    except OmbudError as exc:
        return _page(request, session, who, reference, cfg, "reopen", exc, {"reopen": reason})
    return _back(request, reference, ("ok", "Your case is reopened; we will look at it again."))
