"""Delivery of a message posted on a case to the customer, on the channel they use.

Job ``notify.customer`` (queued by other domains with the message's id): an email case, or a
web/API case of a customer with an email address, gets a mail on the case's thread; a social
case gets a private message where the customer last wrote from. Chat and portal customers
read it on the case page. One job per message, so each is delivered once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.tables import Message
from ombud.cases.taxonomy import Channel
from ombud.common.errors import NotFound
from ombud.customers import service as customers
from ombud.db import tx
from ombud.intake.social.service import reply_address
from ombud.jobs import service as jobs

#: Channels whose customers are also mailed when they have an address.
_MAILED = {Channel.EMAIL.value, Channel.WEB.value, Channel.API.value}
_SOCIAL = {Channel.TELEGRAM.value, Channel.MESSENGER.value, Channel.X.value}


def deliver(session: Session, payload: dict[str, Any]) -> None:
    """Job ``notify.customer``: send message ``message_id`` of case ``case_id`` out."""
    with tx(session):
        case = cases.get_by_id(session, int(payload["case_id"]))
        message = session.get(Message, int(payload["message_id"]))
        if message is None or message.case_id != case.id or message.visibility != "public":
            raise NotFound(f"message {payload['message_id']} is not a public message of "
                           f"{case.reference}")
        customer = customers.get_customer(session, case.customer_id)
        if case.channel in _SOCIAL:
            target = reply_address(session, case.id)
            if target is not None:
                jobs.enqueue(session, "social.send", {
                    "platform": target[0], "mode": "private", "to": target[1],
                    "text": message.body, "case_id": case.id,
                    "human": message.author_kind == "staff"}, f"social-reply:{message.id}")
                return
        if customer.email and (case.channel in _MAILED or case.channel in _SOCIAL):
            jobs.enqueue(session, "notify.email", {
                "to": customer.email, "subject": str(payload.get("subject") or case.reference),
                "body": message.body, "case_reference": case.reference,
            }, f"email:message:{message.id}")
