"""Read side of cases: lists with keyset pagination, and the case page."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import lifecycle
from ombud.cases.lifecycle import Status
from ombud.cases.schemas import (
    AttachmentOut,
    AuditEntry,
    CaseDetail,
    CaseFilter,
    CaseOut,
    CasePage,
    MessageOut,
)
from ombud.cases.service import load, record_view
from ombud.cases.tables import Attachment, Case, Message
from ombud.common.clock import as_utc
from ombud.common.errors import Invalid
from ombud.common.ids import is_case_reference
from ombud.security.permissions import Principal, can_see_internal, list_scope
from ombud.security.roles import Permission

_SORTS: dict[str, tuple[Any, bool]] = {
    "due": (Case.due_at, False),
    "received": (Case.received_at, True),
    "updated": (Case.updated_at, True),
}


def _encode_cursor(value: dt.datetime, case_id: int) -> str:
    raw = json.dumps([as_utc(value).isoformat(), case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return dt.datetime.fromisoformat(raw), int(case_id)
    except (ValueError, TypeError):
        raise Invalid("the cursor is not one we issued", pointer="cursor") from None


def _scoped(principal: Principal, q: Select[Any]) -> Select[Any]:
    scope = list_scope(principal)
    if scope.everything:
        return q
    if scope.customer_id is not None:
        return q.where(Case.customer_id == scope.customer_id)
    return q.where(or_(Case.team_id == scope.team_id, Case.team_id.is_(None),
                       Case.assignee_id == scope.staff_id))


def list_cases(session: Session, principal: Principal, f: CaseFilter) -> CasePage:
    """The cases ``principal`` may see, filtered and sorted, one keyset page at a time."""
    column, descending = _SORTS[f.sort]
    q = _scoped(principal, select(Case))
    if f.status:
        q = q.where(Case.status.in_([s.value for s in f.status]))
    if f.team_id is not None:
        q = q.where(Case.team_id == f.team_id)
    if f.assignee_id is not None:
        q = q.where(Case.assignee_id == f.assignee_id)
    if f.category is not None:
        q = q.where(Case.category == f.category.value)
    if f.priority is not None:
        q = q.where(Case.priority == f.priority.value)
    if f.q:
        text = f.q.strip()
        q = q.where(Case.reference == text) if is_case_reference(text) else q.where(
            Case.summary.ilike(f"%{text.replace('%', '').replace('_', '')}%"))
    if f.cursor:
        value, last_id = _decode_cursor(f.cursor)
        if descending:
            q = q.where(or_(column < value, and_(column == value, Case.id < last_id)))
        else:
            q = q.where(or_(column > value, and_(column == value, Case.id > last_id)))
    order = (column.desc(), Case.id.desc()) if descending else (column.asc(), Case.id.asc())
    rows = list(session.scalars(q.order_by(*order).limit(f.limit + 1)))
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = _encode_cursor(getattr(last, column.key), last.id)
    return CasePage(items=[CaseOut.model_validate(r) for r in rows], next_cursor=cursor)


def case_detail(session: Session, principal: Principal, reference: str) -> CaseDetail:
    """The case page: the case, its messages and files as ``principal`` may see them."""
    case = load(session, principal, reference, Permission.VIEW_CASE)
    internal = can_see_internal(principal)
    mq = select(Message).where(Message.case_id == case.id).order_by(Message.id)
    if not internal:
        mq = mq.where(Message.visibility == "public")
    messages = list(session.scalars(mq))
    visible_ids = {m.id for m in messages}
    attachments = [
        a for a in session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
        if a.message_id is None or a.message_id in visible_ids
    ]
    trail: list[AuditEntry] = []
    if principal.is_staff:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.chain == case.reference).order_by(AuditEvent.seq))
        trail = [AuditEntry.model_validate(e) for e in events]
        record_view(session, principal, case)
    base = CaseOut.model_validate(case).model_dump()
    return CaseDetail(
        **base, description=case.description, customer_id=case.customer_id,
        messages=[MessageOut.model_validate(m) for m in messages],
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
        audit=trail,
        next_events=lifecycle.events_from(Status(case.status)) if principal.is_staff else [],
    )
