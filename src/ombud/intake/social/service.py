"""Social intake verbs: a verified platform update → the customer by identity → the open
case it continues, or a new case; acknowledgement and public pointer queued as jobs. And
where (and whether) a reply on a case still reaches the customer on their platform."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import filing, lifecycle
from ombud.cases import service as cases
from ombud.cases.outcome import desired_outcome
from ombud.cases.schemas import CaseIn, MessageIn
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import Channel
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict
from ombud.customers import identities
from ombud.customers.schemas import CustomerOut
from ombud.db import tx
from ombud.intake.email import fields
from ombud.intake.social import matching
from ombud.intake.social.messenger import COMMENT, OutsideWindow, messaging_type
from ombud.intake.social.model import Inbound, Platform, public_pointer
from ombud.intake.social.tables import SocialUpdate
from ombud.jobs import service as jobs
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission
from ombud.triage.classifier_text import detect_language

log = logging.getLogger(__name__)
MAX_TEXT = 100_000
_CLOSED = {s.value for s in lifecycle.TERMINAL | {lifecycle.Status.CLOSED}}
_NAMES = {"telegram": "Telegram", "messenger": "Messenger", "x": "X"}


@dataclass(frozen=True)
class SocialResult:
    """What became of one update: ``case_opened``, ``follow_up`` or ``duplicate``."""

    outcome: str
    case_reference: str | None = None


def _seen(session: Session, inbound: Inbound) -> bool:
    return session.scalars(select(SocialUpdate.id).where(
        SocialUpdate.platform == inbound.platform.value,
        SocialUpdate.update_key == inbound.key[:128])).first() is not None


def receive(session: Session, inbound: Inbound) -> SocialResult:
    """Register one verified update exactly once.

    A replayed update (its platform id already seen) writes nothing and is only logged.
    Otherwise the sender's identity gives the customer (a new one, in the language detected
    from the text, if unknown); the message joins the open case it continues or opens one.
    """
    if _seen(session, inbound):
        log.warning("%s update %s refused: replayed", inbound.platform.value, inbound.key)
        return SocialResult("duplicate")
    try:
        with tx(session):
            return _register(session, inbound)
    except IntegrityError:
        session.rollback()
        if not _seen(session, inbound):
            raise
        log.warning("%s update %s refused: replayed concurrently", inbound.platform.value,
                    inbound.key)
        return SocialResult("duplicate")


def _open_cases(session: Session, customer_id: int) -> list[matching.CaseFacts]:
    rows = session.scalars(select(Case).where(Case.customer_id == customer_id,
                                              Case.status.not_in(_CLOSED))
                           .order_by(Case.id.desc()).limit(20))
    return [matching.CaseFacts(c.reference, c.customer_id, f"{c.summary}\n{c.description}",
                               c.asset, c.amount) for c in rows]


def _open(session: Session, who: Principal, inbound: Inbound, text: str, language: str) -> str:
    found = fields.amounts(text)
    first_line = next((" ".join(t.split()) for t in text.splitlines() if t.strip()), "")
    summary = first_line[:200] if len(first_line) >= 3 else (
        f"Complaint via {_NAMES[inbound.platform.value]}")
    data = CaseIn.model_validate({
        "summary": summary, "description": text, "desired_outcome": desired_outcome(text),
        "channel": Channel(inbound.platform.value), "language": language,
        "asset": found[0].asset if found else None, "amount": found[0].amount if found else None,
    })
    case, _created = filing.open_case(session, who, data, received_at=utcnow())
    return case.reference


def _customer(session: Session, inbound: Inbound) -> tuple[CustomerOut, str]:
    """The sender as a customer, and the language to answer in."""
    detected = detect_language(inbound.text, default=inbound.language_hint or "en")
    customer, created = identities.find_or_register(
        session, inbound.platform.value, inbound.sender_id, name=inbound.sender_name,
        language=detected)
    return customer, detected if created else customer.language


def _register(session: Session, inbound: Inbound) -> SocialResult:
    customer, language = _customer(session, inbound)
    who = Principal(kind="customer", id=customer.id, name=customer.name or inbound.sender_name)
    text = inbound.text.strip()[:MAX_TEXT]
    reference = matching.follow_up_of(text, _open_cases(session, customer.id))
    if reference is not None:
        message = cases.add_message(session, who, reference, MessageIn(body=text))
        message_id, outcome = message.id, "follow_up"
        row = session.get(Message, message.id)
        assert row is not None
        row.channel, row.external_id = inbound.platform.value, f"{inbound.platform}:{inbound.key}"
    else:
        reference, outcome = _open(session, who, inbound, text, language), "case_opened"
        message_id = None
    case = cases.load(session, SYSTEM, reference, Permission.VIEW_CASE)
    update = SocialUpdate(
        platform=inbound.platform.value, update_key=inbound.key[:128],
        sender_id=inbound.sender_id[:64], address=inbound.address, public=inbound.public,
        post_id=inbound.post_id, customer_id=customer.id, case_id=case.id,
        message_id=message_id, outcome=outcome, received_at=utcnow())
    session.add(update)
    session.flush()
    audit.append(session, actor=who.actor, action="social.received", chain=reference,
                 case_id=case.id, data={"platform": inbound.platform.value, "key": inbound.key,
                                        "outcome": outcome, "public": inbound.public})
    if outcome == "case_opened" and inbound.address:
        jobs.enqueue(session, "social.acknowledge", {
            "case_id": case.id, "platform": inbound.platform.value, "to": inbound.address,
        }, f"social-ack:{case.id}")
    if inbound.public and inbound.post_id:
        _answer_in_public(session, case, inbound, language, update.id)
    return SocialResult(outcome, reference)


def _answer_in_public(session: Session, case: Case, inbound: Inbound, language: str,
                      update_id: int) -> None:
    """Queue the public pointer to a private channel, and keep it on the timeline."""
    text = public_pointer(inbound.platform, language)
    session.add(Message(case_id=case.id, direction="out", channel=inbound.platform.value,
                        author_kind="system", author_id=None, author_name="Ombud", body=text,
                        visibility="public", external_id=f"social-public:{update_id}",
                        created_at=utcnow()))
    jobs.enqueue(session, "social.send", {
        "platform": inbound.platform.value, "mode": "public", "to": inbound.post_id,
        "text": text}, f"social-public:{update_id}")


def last_inbound(session: Session, platform: str, address: str) -> dt.datetime | None:
    """When the customer last wrote to us from ``address`` on ``platform``."""
    return session.scalar(select(func.max(SocialUpdate.received_at)).where(
        SocialUpdate.platform == platform, SocialUpdate.address == address))


def check_reachable(session: Session, case_id: int) -> None:
    """Refuse (Conflict) a staff reply that the customer's platform would no longer deliver:
    on Messenger, more than 7 days after their last message (see ``messenger``)."""
    target = reply_address(session, case_id)
    if target is None or target[0] != Platform.MESSENGER.value:
        return
    last = last_inbound(session, *target)
    try:
        messaging_type(as_utc(last) if last else utcnow(), utcnow(), human=True)
    except OutsideWindow as exc:
        raise Conflict(f"Not sent: {exc}") from None


def reply_address(session: Session, case_id: int) -> tuple[str, str] | None:
    """(platform, address) where a private message about this case reaches the customer:
    where they last wrote from privately (a comment takes one private reply only)."""
    rows = session.execute(
        select(SocialUpdate.platform, SocialUpdate.address)
        .where(SocialUpdate.case_id == case_id, SocialUpdate.address.is_not(None))
        .order_by(SocialUpdate.id.desc()).limit(20)).all()
    for platform, address in rows:
        if address and not address.startswith(COMMENT):
            return platform, address
    return None
