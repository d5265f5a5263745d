"""Console pages of intake: the mail quarantine, each held mail's raw bytes for review, and
its release (parsed again, leniently, and registered)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ombud.common.errors import OmbudError
from ombud.config import Settings
from ombud.intake import queries
from ombud.intake import service as intake
from ombud.intake.email.listener import intake_config
from ombud.security.permissions import Principal, require
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore
from ombud.web.deps import blobs, db, settings
from ombud.web.routes.console import staff
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(include_in_schema=False)

DB = Annotated[Session, Depends(db)]
Cfg = Annotated[Settings, Depends(settings)]
Staff = Annotated[Principal, Depends(staff)]
Store = Annotated[BlobStore, Depends(blobs)]
PAGE = "/console/quarantine"


@router.get(PAGE)
def quarantine(request: Request, session: DB, who: Staff, status: str = "held") -> Response:
    """Mails that could not be registered, with the reason (held) or released."""
    require(who, Permission.ASSIGN)
    status = status if status in ("held", "released") else "held"
    return render(request, "console/quarantine.html", principal=who, status=status,
                  mails=queries.list_quarantine(session, who, status=status, limit=200))


@router.get(PAGE + "/mails/{mail_id}.eml")
def raw_mail(mail_id: int, session: DB, who: Staff, store: Store) -> Response:
    """A held mail exactly as it arrived, as a download (never rendered in the page)."""
    data = queries.raw_mail(session, who, mail_id, store)
    return Response(data, media_type="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="mail-{mail_id}.eml"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.post(PAGE + "/{quarantine_id}/release", dependencies=[Depends(verify_csrf)])
def release(request: Request, quarantine_id: int, session: DB, who: Staff, cfg: Cfg,
            store: Store) -> Response:
    """Parse the mail again (leniently) and register it; if it still cannot be, it stays
    held with the new reason."""
    try:
        result = intake.reprocess_quarantined(session, who, quarantine_id,
                                              intake_config(cfg, store))
    except OmbudError as exc:
        if exc.status == 404:
            raise
        return redirect(request, PAGE, ("error", exc.detail))
    if result.outcome == "quarantined":
        return redirect(request, PAGE, ("error", f"Still held: {result.note}"))
    what = {"case_opened": f"opened {result.case_reference}",
            "follow_up": f"added to {result.case_reference}",
            "automatic": "recorded as an automatic mail (no case)"}.get(result.outcome,
                                                                        result.outcome)
    return redirect(request, PAGE, ("ok", f"Mail {result.mail_id} released: {what}."))
