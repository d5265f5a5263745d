"""Staff replies reach the customer: the one verb behind the console's and the API's reply."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.schemas import MessageIn, MessageOut
from ombud.db import tx
from ombud.intake.email import threading
from ombud.intake.social import service as social
from ombud.jobs import service as jobs
from ombud.security.permissions import Principal
from ombud.security.roles import Permission


def reply(session: Session, principal: Principal, reference: str, data: MessageIn) -> MessageOut:
    """``cases.add_message``; a staff reply to the customer also goes out on the customer's
    channel, through the ``notify.customer`` job (``intake.delivery``: mail on the case's
    thread, or the social platform they last wrote from), once per message.

    A reply that the customer's platform would refuse (Messenger, 7 days after their last
    message) is refused here, before anything is written, so staff see why at once.
    """
    with tx(session):
        message = cases.add_message(session, principal, reference, data)
        if message.direction != "out" or message.visibility != "public":
            return message
        case = cases.load(session, principal, reference, Permission.REPLY)
        social.check_reachable(session, case.id)
        subject = case.summary if threading.is_reply(case.summary) else f"Re: {case.summary}"
        jobs.enqueue(session, "notify.customer", {
            "case_id": case.id, "message_id": message.id, "subject": subject,
        }, f"deliver:{message.id}")
        return message
