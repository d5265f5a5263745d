"""Read side of intake: the quarantine list and a received mail's raw bytes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.common.errors import NotFound
from ombud.intake.schemas import QuarantineOut
from ombud.intake.tables import InboundMail, Quarantine
from ombud.security import permissions
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore


def list_quarantine(
    session: Session, principal: Principal, *, status: str = "held", limit: int = 50,
    before_id: int | None = None,
) -> list[QuarantineOut]:
    """Quarantined mails, newest first (``before_id`` pages on); staff who route work only."""
    permissions.require(principal, Permission.ASSIGN)
    q = (select(Quarantine, InboundMail).join(InboundMail, InboundMail.id == Quarantine.mail_id)
         .where(Quarantine.status == status).order_by(Quarantine.id.desc())
         .limit(max(1, min(limit, 200))))
    if before_id is not None:
        q = q.where(Quarantine.id < before_id)
    return [
        QuarantineOut.model_validate(held).model_copy(update={
            "from_address": mail.from_address, "subject": mail.subject, "size": mail.size,
            "sha256": mail.sha256})
        for held, mail in session.execute(q).all()
    ]


def raw_mail(session: Session, principal: Principal, mail_id: int, store: BlobStore) -> bytes:
    """The bytes of a received mail exactly as they arrived (for a quarantined one's review)."""
    permissions.require(principal, Permission.ASSIGN)
    row = session.get(InboundMail, mail_id)
    if row is None:
        raise NotFound(f"mail {mail_id} not found")
    try:
        return store.get(row.sha256)
    except KeyError:
        raise NotFound(f"the bytes of mail {mail_id} are missing") from None
