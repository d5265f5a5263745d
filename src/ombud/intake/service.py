"""Intake verbs: a received mail → dedupe → new case, follow-up, automatic, or quarantine."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import attachments, lifecycle
from ombud.cases import service as cases
from ombud.cases.queries import list_cases
from ombud.cases.schemas import CaseFilter, CaseIn, MessageIn
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Channel
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import (
    Conflict,
    Invalid,
    NotFound,
    OmbudError,
    TooLarge,
    UnsupportedMedia,
)
from ombud.customers import service as customers
from ombud.db import insert_ignore, tx
from ombud.intake.email import fields, loops, threading
from ombud.intake.email.parse import InboundMail, ParseError, parse, peek
from ombud.intake.schemas import Outcome, Received
from ombud.intake.tables import InboundMail as MailRow
from ombud.intake.tables import MailThread, Quarantine
from ombud.security import permissions
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore

_OPEN = [s for s in lifecycle.Status if s not in lifecycle.TERMINAL | {lifecycle.Status.CLOSED}]
MAX_TEXT = 100_000


@dataclass(frozen=True)
class IntakeConfig:
    """What intake needs from the deployment: where bytes go and who we are."""

    store: BlobStore
    max_attachment_bytes: int
    our_hosts: tuple[str, ...] = ()
    fallback_days: int = 14


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope (``mail_from`` "" for the null sender, None when unknown, e.g. IMAP)."""

    mail_from: str | None
    rcpt_to: tuple[str, ...] = ()
    transport: str = "smtp"


def receive(session: Session, raw: bytes, envelope: Envelope, cfg: IntakeConfig) -> Received:
    """Register one raw mail exactly once; never loses it.

    The raw bytes are stored content-addressed before anything else. A mail already seen
    (same Message-ID, or same bytes when it has none) is a ``duplicate`` and changes nothing.
    A mail that cannot be parsed or registered is quarantined with the reason. Database
    outages propagate (the SMTP listener answers 451, so the sender retries).
    """
    digest = hashlib.sha256(raw).hexdigest()
    try:
        mail: InboundMail | None = parse(raw)
        problem = ""
    except ParseError as exc:
        mail, problem = None, str(exc)
    heads = mail or peek(raw)
    key = threading.msgid_key(heads.message_id) if heads.message_id else f"sha256:{digest}"
    cfg.store.put(raw)  # idempotent; a duplicate is caught by the unique key of its row
    try:
        with tx(session):
            row = _new_row(session, key, digest, raw, envelope, heads)
            if mail is None:
                return _quarantine(session, row, problem)
            return _register(session, row, mail, envelope, cfg)
    except OperationalError:
        raise  # the database is unreachable or locked: nothing was written, retry later
    except IntegrityError as exc:
        if (seen := _seen(session, key)) is not None:
            return seen  # a concurrent delivery of the same mail won
        reason = f"{type(exc).__name__}: {exc.orig}"
    except Exception as exc:  # whatever went wrong, the mail is kept
        reason = exc.detail if isinstance(exc, OmbudError) else f"{type(exc).__name__}: {exc}"
    with tx(session):
        row = _new_row(session, key, digest, raw, envelope, heads)
        return _quarantine(session, row, f"could not register: {reason}")


def reprocess_quarantined(
    session: Session, actor: Principal, quarantine_id: int, cfg: IntakeConfig
) -> Received:
    """Staff release a quarantined mail: parse it again (leniently) and register it.

    Needs the assign permission (the people who route incoming work). If it still cannot be
    read, it stays held with the new reason and one more attempt counted.
    """
    permissions.require(actor, Permission.ASSIGN)
    with tx(session):
        held = session.get(Quarantine, quarantine_id)
        if held is None:
            raise NotFound(f"quarantined mail {quarantine_id} not found")
        if held.status != "held":
            raise Conflict(f"quarantined mail {quarantine_id} was already {held.status}")
        row = session.get(MailRow, held.mail_id)
        assert row is not None
        held.attempts += 1
        try:
            mail = parse(cfg.store.get(row.sha256), lenient=True)
        except ParseError as exc:
            held.reason = str(exc)
            return Received(outcome="quarantined", mail_id=row.id, note=held.reason)
        envelope = Envelope(row.envelope_from, tuple(filter(None, row.envelope_to.split(", "))),
                            row.transport)
        try:
            with session.begin_nested():
                result = _register(session, row, mail, envelope, cfg)
        except OmbudError as exc:
            held.reason = f"could not register: {exc.detail}"
            return Received(outcome="quarantined", mail_id=row.id, note=held.reason)
        held.status, held.resolved_at, held.resolved_by = "released", utcnow(), actor.actor
        audit.append(session, actor=actor.actor, action="intake.released",
                     case_id=row.case_id, data={"quarantine_id": held.id, "mail_id": row.id,
                                                "outcome": result.outcome})
        return result


def _seen(session: Session, key: str) -> Received | None:
    row = session.scalars(select(MailRow).where(MailRow.dedupe_key == key)).first()
    if row is None:
        return None
    return Received(outcome="duplicate", mail_id=row.id, note=f"already received as {row.id}")


def _new_row(session: Session, key: str, digest: str, raw: bytes, envelope: Envelope,
             mail: InboundMail) -> MailRow:
    row = MailRow(
        dedupe_key=key, message_id=threading.msgid_key(mail.message_id),
        sha256=digest, size=len(raw), transport=envelope.transport,
        envelope_from=None if envelope.mail_from is None else envelope.mail_from[:320],
        envelope_to=", ".join(envelope.rcpt_to)[:4000],
        from_address=mail.from_address[:320], subject=mail.subject[:998], outcome="quarantined",
        note="", received_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def _quarantine(session: Session, row: MailRow, reason: str) -> Received:
    row.outcome, row.note = "quarantined", reason
    held = Quarantine(mail_id=row.id, reason=reason, status="held", attempts=0,
                      created_at=utcnow())
    session.add(held)
    session.flush()
    audit.append(session, actor="system", action="intake.quarantined",
                 data={"quarantine_id": held.id, "mail_id": row.id, "sha256": row.sha256,
                       "reason": reason[:500]})
    return Received(outcome="quarantined", mail_id=row.id, note=reason)


def _register(session: Session, row: MailRow, mail: InboundMail, envelope: Envelope,
              cfg: IntakeConfig) -> Received:
    reason = loops.loop_reason(mail, envelope.mail_from, cfg.our_hosts)
    if reason:
        threaded = _threaded_case(session, mail, None)
        row.outcome, row.note = "automatic", reason
        row.case_id = threaded.id if threaded is not None else None
        return Received(outcome="automatic", mail_id=row.id, note=reason)
    if not mail.from_address or "@" not in mail.from_address:
        raise Invalid("the mail has no sender address (From) to register the complaint under")
    language = fields.language_of(mail.subject + "\n" + mail.text, mail.charsets)
    customer = customers.find_or_register(session, email=mail.from_address,
                                          name=mail.from_name, language=language)
    who = Principal(kind="customer", id=customer.id, name=mail.from_name or customer.name)
    case = _threaded_case(session, mail, customer.id) or _fallback_case(session, who, mail, cfg)
    text = _timeline_text(mail)
    outcome: Outcome
    if case is not None:
        message = cases.add_message(session, who, case.reference, MessageIn(body=text))
        outcome, row.case_message_id, reference = "follow_up", message.id, case.reference
    else:
        reference = _open(session, mail, text, customer.email or mail.from_address, language)
        outcome = "case_opened"
    row.outcome = outcome
    case_row = cases.load(session, SYSTEM, reference, Permission.VIEW_CASE)
    row.case_id = case_row.id
    notes = list(mail.notes)
    for part in mail.attachments:
        try:
            attachments.add_attachment(
                session, who, reference, filename=part.filename, data=part.data,
                store=cfg.store, max_bytes=cfg.max_attachment_bytes,
                message_id=row.case_message_id)
        except (UnsupportedMedia, TooLarge) as exc:
            notes.append(f"attachment refused: {exc.detail}")
    if notes:
        cases.add_message(session, SYSTEM, reference, MessageIn(
            body=f"Email {mail.message_id or row.sha256[:12]}:\n" + "\n".join(
                f"- {n}" for n in notes), visibility="internal"))
        row.note = "; ".join(notes)[:4000]
    if mail.message_id:
        insert_ignore(session, MailThread.__table__, {
            "message_id": threading.msgid_key(mail.message_id), "case_id": case_row.id,
            "direction": "in", "created_at": utcnow()})
    return Received(outcome=outcome, mail_id=row.id, case_reference=reference, note=row.note)


def _timeline_text(mail: InboundMail) -> str:
    text = mail.text.strip() or ("(attachments only)" if mail.attachments else "(empty message)")
    return text[:MAX_TEXT]


def _open(session: Session, mail: InboundMail, text: str, email: str, language: str) -> str:
    found = fields.amounts(mail.subject + "\n" + mail.text)
    first = found[0] if found else None
    data = CaseIn(
        summary=fields.summary_from(mail.subject, mail.text), description=text,
        desired_outcome=fields.desired_outcome(mail.text), channel=Channel.EMAIL,
        customer_email=email, language=language,
        asset=first.asset if first else None, amount=first.amount if first else None,
    )
    case, _created = cases.open_case(session, SYSTEM, data)
    return case.reference


def _threaded_case(session: Session, mail: InboundMail, customer_id: int | None) -> Case | None:
    """The case this mail answers by Message-ID or by the reference in its subject.

    With ``customer_id``, only a case of that customer that still takes messages counts
    (a stranger naming someone else's reference opens their own case instead).
    """
    ids = threading.referenced_ids(mail)
    candidates: list[Case] = []
    if ids:
        known = dict(session.execute(
            select(MailThread.message_id, MailThread.case_id)
            .where(MailThread.message_id.in_(ids))).all())
        for mid in ids:
            if mid in known:
                candidates.append(cases.get_by_id(session, known[mid]))
                break
    for ref in (threading.reference_in_ids(mail.in_reply_to + mail.references),
                threading.reference_in_subject(mail.subject)):
        if ref:
            try:
                candidates.append(cases.load(session, SYSTEM, ref, Permission.VIEW_CASE))
            except NotFound:
                continue
    for case in candidates:
        if customer_id is None:
            return case
        if case.customer_id == customer_id and case.status not in {
                s.value for s in lifecycle.TERMINAL}:
            return case
    return None


def _fallback_case(session: Session, who: Principal, mail: InboundMail,
                   cfg: IntakeConfig) -> Case | None:
    """Conservative: a reply ("Re: ...") whose thread headers were lost, from the sender of
    exactly one open email case with the same subject, received recently."""
    if not threading.is_reply(mail.subject) or not threading.normalise_subject(mail.subject):
        return None
    since = utcnow() - dt.timedelta(days=cfg.fallback_days)
    page = list_cases(session, who, CaseFilter(status=_OPEN, sort="received", limit=20))
    matches = [c for c in page.items if c.channel == Channel.EMAIL
               and as_utc(c.received_at) >= since and threading.same_subject(c.summary,
                                                                              mail.subject)]
    if len(matches) != 1:
        return None
    return cases.load(session, who, matches[0].reference, Permission.REPLY)
