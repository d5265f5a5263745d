"""One customer, one case: staff merge two customers or two cases (audited), and the
likely duplicates of a case are suggested for merging."""

from __future__ import annotations

import re

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import lifecycle
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import CaseOut, MessageIn, TransitionIn
from ombud.cases.tables import Case, Message
from ombud.common.errors import Conflict, Invalid
from ombud.customers import identities
from ombud.customers.schemas import CustomerOut
from ombud.customers.tables import Customer
from ombud.db import tx
from ombud.intake.social import matching
from ombud.intake.social.tables import SocialUpdate
from ombud.security import permissions
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission

_EMAIL = r"[\w.+-]+@[\w-]+\.[\w.-]+"
_CLOSED = {s.value for s in lifecycle.TERMINAL | {lifecycle.Status.CLOSED}}


class DuplicateOut(BaseModel):
    """A case that is probably the same matter as the one shown."""

    reference: str
    summary: str
    status: str
    customer_id: int
    score: float
    reasons: list[str]


def merge_customers(session: Session, actor: Principal, source_id: int, target_id: int
                    ) -> CustomerOut:
    """Fold customer ``source_id`` into ``target_id`` with its identities and cases (needs
    the assign permission). Each moved case records the move on its audit trail."""
    permissions.require(actor, Permission.ASSIGN)
    with tx(session):
        merged = identities.merge(session, actor.actor, source_id, target_id)
        moved = session.execute(select(Case.id, Case.reference).where(
            Case.customer_id == source_id)).all()
        session.execute(update(Case).where(Case.customer_id == source_id)
                        .values(customer_id=target_id))
        session.execute(update(SocialUpdate).where(SocialUpdate.customer_id == source_id)
                        .values(customer_id=target_id))
        for case_id, reference in moved:
            audit.append(session, actor=actor.actor, action="case.customer_merged",
                         chain=reference, case_id=case_id,
                         data={"from": source_id, "to": target_id})
        return merged


def merge_cases(session: Session, actor: Principal, source: str, target: str, reason: str = ""
                ) -> CaseOut:
    """Merge case ``source`` into ``target``: the lifecycle's ``merge`` event on the source
    (through ``cases.apply_transition``), its ``merged_into`` link, and a note on both.
    Cases of two customers are merged with their customers (needs the assign permission)."""
    if source == target:
        raise Invalid("a case cannot be merged into itself", pointer="target")
    with tx(session):
        into = cases.load(session, actor, target, Permission.TRANSITION)
        if into.status in _CLOSED:
            raise Conflict(f"case {target} is {into.status}; merge into an open case")
        src = cases.load(session, actor, source, Permission.TRANSITION)
        if src.customer_id != into.customer_id:
            merge_customers(session, actor, src.customer_id, into.customer_id)
        why = reason.strip() or f"same matter as {target}"
        cases.apply_transition(session, actor, source, TransitionIn(
            event=Event.MERGE, reason=f"merged into {target}: {why}"))
        src.merged_into_id = into.id
        audit.append(session, actor=actor.actor, action="case.merged", chain=source,
                     case_id=src.id, data={"into": target, "reason": why})
        audit.append(session, actor=actor.actor, action="case.merged_in", chain=target,
                     case_id=into.id, data={"from": source, "reason": why})
        cases.add_message(session, SYSTEM, target, MessageIn(
            body=f"Case {source} was merged into this case: {why}", visibility="internal"))
        session.execute(update(SocialUpdate).where(SocialUpdate.case_id == src.id)
                        .values(case_id=into.id))
        return CaseOut.model_validate(into)


def _facts(case: Case, text: str = "") -> matching.CaseFacts:
    return matching.CaseFacts(case.reference, case.customer_id,
                              f"{case.summary}\n{case.description}\n{text}", case.asset,
                              case.amount, case.status not in _CLOSED)


def _named_customers(session: Session, text: str) -> frozenset[int]:
    """Customers whose exchange UID or email the text names."""
    words = {w.strip(".,;:()[]") for w in text.split()}
    emails = {e.lower() for e in re.findall(_EMAIL, text)}
    uids = [w for w in words if 4 <= len(w) <= 64 and any(c.isdigit() for c in w)][:50]
    if not uids and not emails:
        return frozenset()
    rows = session.scalars(select(Customer.id).where(or_(
        Customer.uid.in_(uids), Customer.email.in_(list(emails)[:50]))))
    return frozenset(rows)


def duplicates(session: Session, actor: Principal, reference: str, limit: int = 5
               ) -> list[DuplicateOut]:
    """Open cases likely about the same matter as ``reference``, best first: the same
    customer's, cases it names, and cases of customers whose UID or email
    it names (indexed look-ups only). Only cases ``actor`` may see are listed."""
    case = cases.load(session, actor, reference, Permission.VIEW_CASE)
    inbound = " ".join(session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.direction == "in").order_by(Message.id).limit(20)))
    me = _facts(case, inbound)
    named = _named_customers(session, me.text)
    refs = matching.references_in(me.text)
    pool = session.scalars(select(Case).where(
        Case.id != case.id, Case.status.not_in(_CLOSED),
        or_(Case.customer_id.in_({case.customer_id, *named}), Case.reference.in_(refs)))
        .order_by(Case.id.desc()).limit(200)).all()
    ranked = matching.suggest(me, [_facts(c) for c in pool], named)
    by_ref = {c.reference: c for c in pool}
    found = []
    for s in ranked:
        other = by_ref[s.reference]
        if permissions.can_see(actor, other):
            found.append(DuplicateOut(reference=other.reference, summary=other.summary,
                                      status=other.status, customer_id=other.customer_id,
                                      score=s.score, reasons=list(s.reasons)))
    return found[:limit]
