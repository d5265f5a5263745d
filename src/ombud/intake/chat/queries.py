"""Chat reads: one chat through the access rules, its events since a sequence number, and
the console's list of chats waiting for or talking to staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Case
from ombud.common.errors import NotFound
from ombud.customers.tables import Customer
from ombud.intake.chat.schemas import ChatEvent, ChatOut
from ombud.intake.chat.tables import Chat, ChatMessage
from ombud.security import permissions
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.security.tables import Staff

#: The most events one resume sends; the client asks again from the last one it got.
PAGE = 500


def event_of(key: str, row: ChatMessage) -> ChatEvent:
    """The wire form of one stored event."""
    return ChatEvent.model_validate({
        "chat": key, "seq": row.seq, "kind": row.kind, "author_kind": row.author_kind,
        "author_name": row.author_name, "body": row.body, "client_id": row.client_id,
        "created_at": row.created_at})


def chat_out(session: Session, chat: Chat, reference: str | None = None, *,
             names: bool = True) -> ChatOut:
    """A chat with the case reference and (unless ``names`` is False, which saves two reads
    on the hot path of a message) the customer's and staff member's names."""
    customer = session.get(Customer, chat.customer_id) if names else None
    staff = session.get(Staff, chat.staff_id) if names and chat.staff_id else None
    if reference is None and chat.case_id:
        case = session.get(Case, chat.case_id)
        reference = case.reference if case else None
    return ChatOut(
        key=chat.key, status=chat.status,
        customer_id=chat.customer_id,
        customer_name=(customer.name or customer.uid or customer.email or "") if customer else "",
        case_reference=reference, staff_id=chat.staff_id,
        staff_name=staff.display_name if staff else None, language=chat.language,
        last_seq=chat.last_seq, updated_at=chat.updated_at)


def find(session: Session, principal: Principal, key: str) -> Chat:
    """The chat ``key`` if ``principal`` may see it: their own (a customer), or through its
    case by the access gate (staff); 404 otherwise."""
    chat = session.scalars(select(Chat).where(Chat.key == key)).first()
    if chat is None:
        raise NotFound(f"chat {key} not found")
    if principal.kind == "customer":
        if chat.customer_id != principal.id:
            raise NotFound(f"chat {key} not found")
        return chat
    case = session.get(Case, chat.case_id) if chat.case_id else None
    permissions.gate(principal, case, Permission.VIEW_CASE, key)
    return chat


def get_chat(session: Session, principal: Principal, key: str) -> ChatOut:
    """One chat as ``principal`` may see it."""
    return chat_out(session, find(session, principal, key))


def events_since(session: Session, principal: Principal, key: str, since: int,
                 limit: int = PAGE) -> list[ChatEvent]:
    """The events of chat ``key`` after ``since``, in order (at most ``limit``)."""
    chat = find(session, principal, key)
    rows = session.scalars(
        select(ChatMessage).where(ChatMessage.chat_id == chat.id, ChatMessage.seq > since)
        .order_by(ChatMessage.seq).limit(limit)).all()
    return [event_of(key, r) for r in rows]


def staff_chats(session: Session, staff: Principal, limit: int = 100) -> list[ChatOut]:
    """Chats waiting for a person and chats live with staff, oldest waiting first, as far
    as ``staff`` may see their cases."""
    rows = session.execute(
        select(Chat, Case).join(Case, Case.id == Chat.case_id)
        .where(Chat.status.in_(("waiting", "live")))
        .order_by(Chat.status.desc(), Chat.updated_at, Chat.id).limit(limit * 4)).all()
    seen = [chat for chat, case in rows if permissions.can_see(staff, case)]
    return [chat_out(session, chat) for chat in seen[:limit]]
