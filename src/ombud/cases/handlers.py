"""Job handlers of the cases domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases.service import get_by_id
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import Channel
from ombud.common.clock import as_utc, utcnow
from ombud.customers import service as customers
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.notify.acknowledgement import AckFacts, compose


@dataclass(frozen=True)
class AckSettings:
    """Who the acknowledgement names as handling the complaint, and where to follow it."""

    department: str
    email: str
    phone: str
    public_url: str
    timeframe: str = "15 calendar days"


def acknowledge(cfg: AckSettings, session: Session, payload: dict[str, Any]) -> None:
    """Job ``cases.acknowledge``: compose the acknowledgement, post it on the case, and mail
    it when the customer has an email address and wrote by email or the web form."""
    with tx(session):
        case = get_by_id(session, int(payload["case_id"]))
        # one run at a time per case: a second, concurrent run waits here, then sees the marker
        session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        marker = f"ack:{case.id}"
        if session.scalars(select(Message.id).where(Message.external_id == marker)).first():
            return  # already acknowledged by an earlier, interrupted run
        customer = customers.get_customer(session, case.customer_id)
        facts = AckFacts(
            reference=case.reference, received_at=as_utc(case.received_at),
            due_at=as_utc(case.due_at or case.received_at), timeframe=cfg.timeframe,
            handler=cfg.department, handler_email=cfg.email, handler_phone=cfg.phone,
            follow_url=f"{cfg.public_url}/portal/cases/{case.reference}",
            summary=case.summary,
            complaint_copy=case.description if case.channel == Channel.WEB.value else "",
            desired_outcome=case.desired_outcome,
        )
        subject, body = compose(case.language, facts)
        msg = Message(
            case_id=case.id, direction="out", channel=case.channel, author_kind="system",
            author_id=None, author_name=cfg.department, body=body, visibility="public",
            external_id=marker, created_at=utcnow(),
        )
        session.add(msg)
        session.flush()
        audit.append(session, actor="system", action="case.acknowledged", chain=case.reference,
                     case_id=case.id, data={"message_id": msg.id, "language": case.language})
        if customer.email and case.channel in (Channel.EMAIL.value, Channel.WEB.value):
            jobs.enqueue(session, "notify.email", {
                "to": customer.email, "subject": subject, "body": body,
                "message_id": f"<{case.reference}.ack@ombud.local>",
            }, f"email:ack:{case.id}")
