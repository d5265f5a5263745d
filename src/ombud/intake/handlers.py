"""Job handlers of intake: outbound mail on an email case goes out on the case's thread."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.taxonomy import Channel
from ombud.common.clock import utcnow
from ombud.common.errors import NotFound
from ombud.customers import service as customers
from ombud.db import insert_ignore
from ombud.intake.email import outbound, threading
from ombud.intake.tables import MailThread
from ombud.notify import handlers as notify
from ombud.notify.senders import Sender
from ombud.security.permissions import SYSTEM
from ombud.security.roles import Permission


def send_email(sender: Sender, mail_from: str, session: Session, payload: dict[str, Any]) -> None:
    """Job ``notify.email``: a mail about an email case (named by ``case_reference`` or by the
    reference in its Message-ID) answers the customer's last mail, with References, and the
    case reference in the subject; any other mail goes out as notify sends it."""
    message_id = str(payload.get("message_id") or "")
    reference = payload.get("case_reference") or threading.reference_in_ids([message_id])
    case = None
    if reference:
        try:
            case = cases.load(session, SYSTEM, str(reference), Permission.VIEW_CASE)
        except NotFound:
            case = None
    if case is None or case.channel != Channel.EMAIL.value:
        notify.send_email(sender, mail_from, session, payload)
        return
    domain = mail_from.rsplit("@", 1)[-1] or "ombud.local"
    message_id = message_id or outbound.new_message_id(case.reference, domain)
    thread = session.execute(
        select(MailThread.message_id, MailThread.direction)
        .where(MailThread.case_id == case.id).order_by(MailThread.id)).all()
    ids = [m for m, _d in thread if not m.startswith("sha256:") and m != message_id]
    inbound = [m for m, d in thread if d == "in" and not m.startswith("sha256:")]
    name = payload.get("to_name") or customers.get_customer(session, case.customer_id).name
    msg = outbound.compose(
        sender=mail_from, to=payload["to"], to_name=str(name or ""), subject=payload["subject"],
        body=payload["body"], reference=case.reference, message_id=message_id,
        in_reply_to=inbound[-1] if inbound else None, references=ids)
    insert_ignore(session, MailThread.__table__, {
        "message_id": threading.msgid_key(message_id), "case_id": case.id, "direction": "out",
        "created_at": utcnow()})
    sender.send(msg)
