"""Attachment verbs: check, store content-addressed, and read back through the gate."""

from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases.schemas import AttachmentOut
from ombud.cases.service import load
from ombud.cases.tables import Attachment, Message
from ombud.common.clock import utcnow
from ombud.common.errors import NotFound, TooLarge, UnsupportedMedia
from ombud.db import tx
from ombud.security.permissions import Principal, can_see_internal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore
from ombud.storage.sniff import Refused, sniff


def clean_filename(name: str) -> str:
    """A display-safe file name: no path, no control characters, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    return name.strip().lstrip(".")[:255] or "file"


def add_attachment(
    session: Session,
    principal: Principal,
    reference: str,
    *,
    filename: str,
    data: bytes,
    store: BlobStore,
    max_bytes: int,
    message_id: int | None = None,
) -> AttachmentOut:
    """Check and store one file on a case. Too big → 413; a program, however named → 415."""
    if len(data) > max_bytes:
        raise TooLarge(f"the file is {len(data)} bytes; the limit is {max_bytes}", pointer="file")
    if not data:
        raise UnsupportedMedia("the file is empty", pointer="file")
    name = clean_filename(filename)
    try:
        kind = sniff(data, name)
    except Refused as exc:
        raise UnsupportedMedia(f"{name}: {exc}", pointer="file") from None
    with tx(session):
        case = load(session, principal, reference, Permission.UPLOAD)
        if message_id is not None:
            msg = session.get(Message, message_id)
            if msg is None or msg.case_id != case.id:
                raise NotFound(f"message {message_id} not found on {reference}")
        digest = store.put(data)
        row = Attachment(
            case_id=case.id, message_id=message_id, sha256=digest, filename=name,
            media_type=kind.media_type, size=len(data), uploaded_by=principal.actor,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        audit.append(session, actor=principal.actor, action="attachment.added", chain=reference,
                     case_id=case.id, data={"attachment_id": row.id, "sha256": digest,
                                            "media_type": kind.media_type, "size": len(data),
                                            "filename": name})
        return AttachmentOut.model_validate(row)


def read_attachment(
    session: Session, principal: Principal, reference: str, attachment_id: int, store: BlobStore
) -> tuple[AttachmentOut, bytes]:
    """An attachment's record and bytes, if ``principal`` may see the case and the message."""
    case = load(session, principal, reference, Permission.VIEW_CASE)
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"attachment {attachment_id} not found on {reference}")
    if row.message_id is not None and not can_see_internal(principal):
        msg = session.get(Message, row.message_id)
        if msg is not None and msg.visibility == "internal":
            raise NotFound(f"attachment {attachment_id} not found on {reference}")
    try:
        return AttachmentOut.model_validate(row), store.get(row.sha256)
    except KeyError:
        raise NotFound(f"the bytes of attachment {attachment_id} are missing") from None
