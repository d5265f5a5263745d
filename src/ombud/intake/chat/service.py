"""Chat verbs: start, post (the bot answers), hand over to a person, pick up, close.

Each verb runs in one transaction and returns the numbered events it wrote; the web layer
publishes them to the fan-out hub after the commit. A publish that is lost costs nothing:
every event is in ``chat_messages`` and a client resumes from the last ``seq`` it saw.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.schemas import AssignIn, CaseIn, MessageIn
from ombud.cases.taxonomy import Channel
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Forbidden, NotFound
from ombud.common.ids import token
from ombud.db import tx
from ombud.intake.chat import bot, kb
from ombud.intake.chat.queries import chat_out, event_of
from ombud.intake.chat.schemas import ChatEvent, ChatText, Posted
from ombud.intake.chat.tables import Chat, ChatMessage
from ombud.intake.chat.text import language_of
from ombud.security.permissions import Principal
from ombud.security.roles import Permission

OPEN = ("bot", "waiting", "live")


def _locked(session: Session, key: str) -> Chat:
    chat = session.scalars(
        select(Chat).where(Chat.key == key).with_for_update()
        .execution_options(populate_existing=True)).first()
    if chat is None:
        raise NotFound(f"chat {key} not found")
    return chat


def _case_reference(session: Session, chat: Chat) -> str | None:
    return cases.get_by_id(session, chat.case_id).reference if chat.case_id else None


def check_access(session: Session, principal: Principal, chat: Chat, perm: Permission
                 ) -> str | None:
    """A customer reaches only their own chat; staff reach a chat through its case, by the
    access gate (a chat still with the bot has no case and is not visible to staff).
    Returns the reference of the chat's case, if it has one."""
    if principal.kind == "customer":
        if chat.customer_id != principal.id:
            raise NotFound(f"chat {chat.key} not found")
        return _case_reference(session, chat)
    reference = _case_reference(session, chat)
    if reference is None:
        raise NotFound(f"chat {chat.key} not found")
    cases.load(session, principal, reference, perm)
    return reference


def _append(session: Session, chat: Chat, kind: str, author: Principal | None, body: str,
            client_id: str | None = None, case_message_id: int | None = None) -> ChatEvent:
    """Number and store one event of ``chat`` (locked by the caller); the bot when no author."""
    chat.last_seq += 1
    chat.updated_at = utcnow()
    row = ChatMessage(
        chat_id=chat.id, seq=chat.last_seq, kind=kind,
        author_kind="bot" if author is None else author.kind,
        author_name=bot.BOT_NAME if author is None else author.name, body=body,
        client_id=client_id, case_message_id=case_message_id, created_at=chat.updated_at)
    session.add(row)
    session.flush()
    if case_message_id is None:  # a message mirrored on the case is audited on the case
        audit.append(session, actor=author.actor if author else "system",
                     action=f"chat.{kind}", chain=f"chat:{chat.key}",
                     data={"seq": row.seq, "chars": len(body)})
    return event_of(chat.key, row)


def start(session: Session, customer: Principal, *, case_reference: str | None = None,
          language: str = "en") -> Posted:
    """Open a chat for ``customer`` (about one of their cases, when named); the bot greets."""
    if customer.kind != "customer":
        raise Forbidden("only customers start chats")
    with tx(session):
        case_id = None
        if case_reference:
            case_id = cases.load(session, customer, case_reference, Permission.REPLY).id
        now = utcnow()
        chat = Chat(key=token(12), customer_id=customer.id, case_id=case_id, status="bot",
                    language=language, last_seq=0, created_at=now, updated_at=now)
        session.add(chat)
        session.flush()
        event = _append(session, chat, "text", None, bot.say("greeting", language))
        return Posted(events=[event], chat=chat_out(session, chat))


def post(session: Session, author: Principal, key: str, data: ChatText) -> Posted:
    """A message into the chat. With the bot, the bot answers from the knowledge base (or
    hands over when a person is asked for); once a person is involved, the message is also
    written to the case. The same ``client_id`` twice returns the first message, unchanged."""
    with tx(session):
        chat = _locked(session, key)
        reference = check_access(session, author, chat, Permission.REPLY)
        if data.client_id:
            seen = session.scalars(select(ChatMessage).where(
                ChatMessage.chat_id == chat.id, ChatMessage.client_id == data.client_id)).first()
            if seen is not None:
                return Posted(events=[event_of(key, seen)], chat=chat_out(session, chat),
                              duplicate=True)
        if chat.status == "closed":
            raise Conflict("this chat is closed; start a new one")
        if author.kind != "customer" and chat.status != "live":
            raise Conflict("pick the chat up before writing in it")
        if chat.status == "bot":
            return _with_bot(session, author, chat, data)
        assert reference is not None
        mirrored = cases.add_message(session, author, reference, MessageIn(body=data.body))
        event = _append(session, chat, "text", author, data.body, data.client_id, mirrored.id)
        return Posted(events=[event], chat=chat_out(session, chat, reference, names=False))


def _with_bot(session: Session, customer: Principal, chat: Chat, data: ChatText) -> Posted:
    if chat.last_seq <= 1:
        chat.language = language_of(data.body)
    said = _append(session, chat, "text", customer, data.body, data.client_id)
    hits = [bot.Hit(a.slug, a.title, a.body)
            for a in kb.search(session, data.body, chat.language)]
    answer = bot.answer(data.body, hits, chat.language)
    if answer.handover:
        return Posted(events=[said, *_handover(session, customer, chat)],
                      chat=chat_out(session, chat))
    reply = _append(session, chat, "text", None, answer.body)
    return Posted(events=[said, reply], chat=chat_out(session, chat))


def handover(session: Session, customer: Principal, key: str) -> Posted:
    """The customer asks for a person: the chat opens a case (or joins the one it is about)
    with the transcript so far, and waits for staff to pick it up."""
    with tx(session):
        chat = _locked(session, key)
        check_access(session, customer, chat, Permission.REPLY)
        if chat.status != "bot":
            return Posted(events=[], chat=chat_out(session, chat))
        return Posted(events=_handover(session, customer, chat), chat=chat_out(session, chat))


def _transcript(session: Session, chat: Chat) -> tuple[str, str]:
    """(the first thing the customer said, the whole chat so far as labelled lines)."""
    rows = session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id)
                           .order_by(ChatMessage.seq)).all()
    said = [r.body for r in rows if r.author_kind == "customer"]
    lines = [f"[{r.author_name or r.author_kind}] {r.body}" for r in rows]
    return (said[0] if said else ""), "Live chat transcript:\n" + "\n".join(lines)


def _handover(session: Session, customer: Principal, chat: Chat) -> list[ChatEvent]:
    first, transcript = _transcript(session, chat)
    if chat.case_id is None:
        summary = " ".join(first.split())[:200]
        case, _ = filing.open_case(session, customer, CaseIn.model_validate({
            "summary": summary if len(summary) >= 3 else "Live chat",
            "description": transcript, "channel": Channel.CHAT, "language": chat.language}))
        reference = case.reference
        chat.case_id = cases.load(session, customer, reference, Permission.REPLY).id
    else:
        reference = _case_reference(session, chat) or ""
        cases.add_message(session, customer, reference, MessageIn(body=transcript))
    chat.status = "waiting"
    return [_append(session, chat, "handover", None,
                    bot.say("handover", chat.language, case=reference))]


def pick_up(session: Session, staff: Principal, key: str) -> Posted:
    """Staff take a waiting chat (and its case, when nobody has it yet)."""
    with tx(session):
        chat = _locked(session, key)
        check_access(session, staff, chat, Permission.REPLY)
        if chat.status == "live" and chat.staff_id == staff.id:
            return Posted(events=[], chat=chat_out(session, chat))
        if chat.status != "waiting":
            raise Conflict(f"this chat is {chat.status}; only a waiting chat can be picked up")
        reference = _case_reference(session, chat)
        assert reference is not None
        if cases.load(session, staff, reference, Permission.REPLY).assignee_id is None:
            cases.assign(session, staff, reference, AssignIn(assignee_id=staff.id))
        chat.status, chat.staff_id = "live", staff.id
        event = _append(session, chat, "joined", staff,
                        bot.say("joined", chat.language, name=staff.name))
        return Posted(events=[event], chat=chat_out(session, chat))


def close(session: Session, principal: Principal, key: str) -> Posted:
    """End the chat (the customer, or the staff member who has it); the case stays open."""
    with tx(session):
        chat = _locked(session, key)
        check_access(session, principal, chat, Permission.REPLY)
        if chat.status == "closed":
            return Posted(events=[], chat=chat_out(session, chat))
        if principal.kind == "staff" and chat.staff_id not in (None, principal.id):
            raise Forbidden("only the member of staff who has this chat may close it")
        chat.status = "closed"
        reference = _case_reference(session, chat)
        text = (bot.say("closed", chat.language, case=reference) if reference
                else bot.say("closed_bot", chat.language))
        event = _append(session, chat, "closed", principal, text)
        return Posted(events=[event], chat=chat_out(session, chat))
