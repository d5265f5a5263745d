"""Intake verbs: a received mail → dedupe → new case, follow-up, automatic, or quarantine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import attachments, filing
from ombud.cases import service as cases
from ombud.cases.outcome import desired_outcome
from ombud.cases.schemas import CaseIn, MessageIn
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Channel
from ombud.common.clock import utcnow
from ombud.common.errors import (
    Conflict,
    Invalid,
    NotFound,
    OmbudError,
    TooLarge,
    UnsupportedMedia,
)
from ombud.customers import service as customers
from ombud.customers.schemas import CustomerOut
from ombud.db import insert_ignore, tx
from ombud.intake.email import continuation, fields, loops, threading
from ombud.intake.email.parse import InboundMail, ParseError, parse, peek
from ombud.intake.schemas import Received
from ombud.intake.tables import InboundMail as MailRow
from ombud.intake.tables import MailThread, Quarantine
from ombud.security import permissions
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission
from ombud.storage.blobs import BlobStore

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
    """The SMTP envelope (``mail_from`` "" for the null sender, None when unknown, e.g. IMAP).
    ``hold``: the transport's reason to quarantine the mail unread (IMAP: too big to fetch)."""

    mail_from: str | None
    rcpt_to: tuple[str, ...] = ()
    transport: str = "smtp"
    hold: str = ""


@dataclass(frozen=True)
class Prepared:
    """A mail read and its bytes stored, ready to register: all the work that needs no
    database (and holds no write lock)."""

    envelope: Envelope
    digest: str
    key: str
    size: int
    heads: InboundMail
    mail: InboundMail | None
    problem: str


def prepare(raw: bytes, envelope: Envelope, cfg: IntakeConfig) -> Prepared:
    """Parse ``raw`` and store it, and its attachments, content-addressed (idempotent)."""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        mail: InboundMail | None = None if envelope.hold else parse(raw)
        problem = envelope.hold
    except ParseError as exc:
        mail, problem = None, str(exc)
    heads = mail or peek(raw)
    key = threading.msgid_key(heads.message_id) if heads.message_id else f"sha256:{digest}"
    cfg.store.put(raw)  # a duplicate is caught by the unique key of its row
    for part in mail.attachments if mail else ():
        if len(part.data) <= cfg.max_attachment_bytes:
            cfg.store.put(part.data)  # stored here, the case's attachment finds it there
    return Prepared(envelope, digest, key, len(raw), heads, mail, problem)


def receive(session: Session, raw: bytes, envelope: Envelope, cfg: IntakeConfig) -> Received:
    """Register one raw mail exactly once; never loses it (``prepare``, then ``register``)."""
    return register(session, prepare(raw, envelope, cfg), cfg)


def register(session: Session, mail: Prepared, cfg: IntakeConfig) -> Received:
    """Register one prepared mail in its own transaction.

    A mail already seen (same Message-ID, or same bytes when it has none) is a
    ``duplicate`` and changes nothing. A mail that cannot be parsed or registered is
    quarantined with the reason. Database outages propagate (the SMTP listener answers 451,
    so the sender retries).
    """
    try:
        with tx(session):
            return _record(session, mail, cfg)
    except OperationalError:
        raise  # the database is unreachable or locked: nothing was written, retry later
    except IntegrityError as exc:
        if (seen := _seen(session, mail.key)) is not None:
            return seen  # a concurrent delivery of the same mail won
        reason = f"{type(exc).__name__}: {exc.orig}"
    except Exception as exc:  # whatever went wrong, the mail is kept
        reason = exc.detail if isinstance(exc, OmbudError) else f"{type(exc).__name__}: {exc}"
    with tx(session):
        return _quarantine(session, _new_row(mail), f"could not register: {reason}")


def register_many(session: Session, mails: list[tuple[Prepared, IntakeConfig]]
                  ) -> list[Received]:
    """Register several prepared mails in one transaction (the listener's group commit),
    with the same outcome each would have alone and in order: the senders are found or
    registered together and the new cases opened together (``filing.open_many``). Raises at
    the first mail that is not simply registered or quarantined unread (a duplicate, a mail
    that cannot be registered): the caller then ``register``s each alone."""
    with tx(session):
        keys = [mail.key for mail, _cfg in mails]
        if len(set(keys)) != len(keys) or session.scalars(
                select(MailRow.id).where(MailRow.dedupe_key.in_(keys)).limit(1)).first():
            raise Conflict("a mail of the batch was already received")
        senders = _senders(session, mails)
        results: list[Received | None] = []
        pending: list[_Opening] = []
        for mail, cfg in mails:
            parsed, row = mail.mail, _new_row(mail)
            if parsed is None:
                results.append(_quarantine(session, row, mail.problem))
                continue
            if pending and _needs(parsed, senders.get(parsed.from_address), pending):
                _open_pending(session, pending, results)
            step = _route(session, row, parsed, mail.envelope, cfg,
                          senders.get(parsed.from_address))
            if isinstance(step, _Opening):
                step.slot = len(results)
                pending.append(step)
            results.append(step if isinstance(step, Received) else None)
        _open_pending(session, pending, results)
        return [r for r in results if r is not None]


@dataclass
class _Opening:
    """A mail that opens a case, waiting for its batch's ``filing.open_many``."""

    row: MailRow
    mail: InboundMail
    who: Principal
    cfg: IntakeConfig
    filing: filing.Filing
    slot: int = -1


def _senders(session: Session, mails: list[tuple[Prepared, IntakeConfig]]
             ) -> dict[str, CustomerOut]:
    """From address → customer, for the batch's mails that will be filed under their sender."""
    wanted = [(m.mail.from_address, m.mail.from_name, _language(m.mail)) for m, cfg in mails
              if m.mail is not None and "@" in m.mail.from_address
              and not loops.loop_reason(m.mail, m.envelope.mail_from, cfg.our_hosts)]
    found = customers.find_or_register_emails(session, wanted)
    return {address: found[customers.normalise_email(address)] for address, _n, _l in wanted}


def _needs(mail: InboundMail, sender: CustomerOut | None, pending: list[_Opening]) -> bool:
    """Whether ``mail`` may thread onto a case still waiting to be opened (then they are
    opened first, as if each mail had been registered alone)."""
    ids = set(threading.referenced_ids(mail))
    if any(p.mail.message_id and threading.msgid_key(p.mail.message_id) in ids
           for p in pending):
        return True
    return (sender is not None and threading.is_reply(mail.subject)
            and any(p.who.id == sender.id for p in pending))


def _open_pending(session: Session, pending: list[_Opening],
                  results: list[Received | None]) -> None:
    """Open the waiting cases in one go, then finish their mails in order."""
    if not pending:
        return
    opened = filing.open_many(session, [p.filing for p in pending])
    refs = [case.reference for case, _created in opened]
    ids = dict(session.execute(select(Case.reference, Case.id)
                               .where(Case.reference.in_(refs))).all())
    for p, ref in zip(pending, refs, strict=True):
        p.row.case_id, p.row.outcome = ids[ref], "case_opened"
        _annotate(session, p.row, p.mail, p.who, ref, p.cfg)
    filed = _file(session, [(p.row, p.mail, ref) for p, ref in zip(pending, refs, strict=True)])
    for p, received in zip(pending, filed, strict=True):
        results[p.slot] = received
    pending.clear()


def _record(session: Session, mail: Prepared, cfg: IntakeConfig) -> Received:
    row = _new_row(mail)
    if mail.mail is None:
        return _quarantine(session, row, mail.problem)
    return _register(session, row, mail.mail, mail.envelope, cfg)


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


def _new_row(mail: Prepared) -> MailRow:
    """The mail's row, added to the session by whoever decides its outcome (one INSERT)."""
    envelope, heads = mail.envelope, mail.heads
    return MailRow(
        dedupe_key=mail.key, message_id=threading.msgid_key(heads.message_id),
        sha256=mail.digest, size=mail.size, transport=envelope.transport,
        envelope_from=None if envelope.mail_from is None else envelope.mail_from[:320],
        envelope_to=", ".join(envelope.rcpt_to)[:4000],
        from_address=heads.from_address[:320], subject=heads.subject[:998],
        outcome="quarantined", note="", received_at=utcnow(),
    )


def _stored(session: Session, row: MailRow) -> int:
    session.add(row)
    session.flush()
    return row.id


def _quarantine(session: Session, row: MailRow, reason: str) -> Received:
    row.outcome, row.note = "quarantined", reason
    _stored(session, row)
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
    step = _route(session, row, mail, envelope, cfg, None)
    if isinstance(step, Received):
        return step
    results: list[Received | None] = [None]
    step.slot = 0
    _open_pending(session, [step], results)
    assert results[0] is not None
    return results[0]


def _language(mail: InboundMail) -> str:
    return fields.language_of(mail.subject + "\n" + mail.text, mail.charsets)


def _route(session: Session, row: MailRow, mail: InboundMail, envelope: Envelope,
           cfg: IntakeConfig, sender: CustomerOut | None) -> Received | _Opening:
    """An automatic mail or a follow-up, registered; or the case the mail is to open.
    ``sender``: its customer when already found (else found or registered here)."""
    reason = loops.loop_reason(mail, envelope.mail_from, cfg.our_hosts)
    if reason:
        threaded = continuation.threaded_case(session, mail, None)
        row.outcome, row.note = "automatic", reason
        row.case_id = threaded.id if threaded is not None else None
        return Received(outcome="automatic", mail_id=_stored(session, row), note=reason)
    if not mail.from_address or "@" not in mail.from_address:
        raise Invalid("the mail has no sender address (From) to register the complaint under")
    language = _language(mail)
    customer = sender or customers.find_or_register(session, email=mail.from_address,
                                                    name=mail.from_name, language=language)
    who = Principal(kind="customer", id=customer.id, name=mail.from_name or customer.name)
    case = (continuation.threaded_case(session, mail, customer.id)
            or continuation.fallback_case(session, who, mail, cfg.fallback_days))
    text = _timeline_text(mail)
    if case is None:
        return _Opening(row, mail, who, cfg, _filing(who, mail, text, language))
    message = cases.add_message(session, who, case.reference, MessageIn(body=text))
    row.outcome, row.case_message_id, row.case_id = "follow_up", message.id, case.id
    return _finish(session, row, mail, who, case.reference, cfg)


def _finish(session: Session, row: MailRow, mail: InboundMail, who: Principal,
            reference: str, cfg: IntakeConfig) -> Received:
    """The mail's attachments and notes on its case ``reference``, then its rows."""
    _annotate(session, row, mail, who, reference, cfg)
    return _file(session, [(row, mail, reference)])[0]


def _annotate(session: Session, row: MailRow, mail: InboundMail, who: Principal,
              reference: str, cfg: IntakeConfig) -> None:
    """Add the mail's attachments to case ``reference``, with a note of what was refused."""
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


def _file(session: Session, done: list[tuple[MailRow, InboundMail, str]]) -> list[Received]:
    """Insert the rows of mails registered on cases (one statement per table): the intake
    rows, and each Message-ID's thread so that replies find the case."""
    session.add_all([row for row, _mail, _ref in done])
    session.flush()
    threads = [{"message_id": threading.msgid_key(mail.message_id), "case_id": row.case_id,
                "direction": "in", "created_at": utcnow()}
               for row, mail, _ref in done if mail.message_id]
    if threads:
        insert_ignore(session, MailThread.__table__, threads)
    return [Received(outcome="follow_up" if row.outcome == "follow_up" else "case_opened",
                     mail_id=row.id, case_reference=ref, note=row.note)
            for row, _mail, ref in done]


def _timeline_text(mail: InboundMail) -> str:
    text = mail.text.strip() or ("(attachments only)" if mail.attachments else "(empty message)")
    return text[:MAX_TEXT]


def _filing(who: Principal, mail: InboundMail, text: str, language: str) -> filing.Filing:
    """The case the mail opens, filed by the customer who wrote."""
    found = fields.amounts(mail.subject + "\n" + mail.text)
    first = found[0] if found else None
    return filing.Filing(who, CaseIn(
        summary=fields.summary_from(mail.subject, mail.text), description=text,
        desired_outcome=desired_outcome(mail.text), channel=Channel.EMAIL,
        language=language, asset=first.asset if first else None,
        amount=first.amount if first else None,
    ), None)
