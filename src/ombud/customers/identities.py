"""Identities: every way a customer is known (exchange UID, email, Telegram, Messenger, X),
each value linked to one customer; and the merge of two customer records into one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.common.clock import utcnow
from ombud.common.errors import Conflict, Invalid, NotFound
from ombud.customers.schemas import CustomerOut
from ombud.customers.service import LANGUAGES, normalise_email
from ombud.customers.tables import Customer, CustomerIdentity
from ombud.db import tx

KINDS = ("uid", "email", "telegram", "messenger", "x")


class IdentityOut(BaseModel):
    """One identity of a customer."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    value: str
    label: str


def _clean(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise Invalid(f"unknown identity kind {kind!r}", pointer="kind")
    value = normalise_email(value) if kind == "email" else value.strip()
    if not value or len(value) > 320:
        raise Invalid("an identity needs a value of at most 320 characters", pointer="value")
    return value


def customer_for(session: Session, kind: str, value: str) -> int | None:
    """The customer this identity is linked to, if any."""
    return session.scalars(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == kind, CustomerIdentity.value == _clean(kind, value))).first()


def link(session: Session, customer_id: int, kind: str, value: str, label: str = "") -> None:
    """Link an identity to a customer; refused when it already belongs to another one."""
    value = _clean(kind, value)
    with tx(session):
        owner = customer_for(session, kind, value)
        if owner == customer_id:
            return
        if owner is not None:
            raise Conflict(f"this {kind} identity belongs to customer {owner}; merge them instead")
        session.add(CustomerIdentity(customer_id=customer_id, kind=kind, value=value,
                                     label=label[:200], created_at=utcnow()))
        session.flush()


def find_or_register(
    session: Session, kind: str, value: str, *, name: str = "", language: str = "en"
) -> tuple[CustomerOut, bool]:
    """The customer known by this identity, or a new one registered with it; (customer,
    created). A new customer gets ``language`` (detected by the caller from what they wrote)."""
    value = _clean(kind, value)
    known = customer_for(session, kind, value)
    if known is not None:
        return get_live(session, known), False
    with tx(session):
        customer = Customer(name=name[:200], language=language if language in LANGUAGES else "en",
                            jurisdiction="", created_at=utcnow())
        try:
            with session.begin_nested():  # a concurrent first message may win the identity
                session.add(customer)
                session.flush()
                session.add(CustomerIdentity(customer_id=customer.id, kind=kind, value=value,
                                             label=name[:200], created_at=utcnow()))
                session.flush()
        except IntegrityError:
            owner = customer_for(session, kind, value)
            if owner is None:
                raise
            return get_live(session, owner), False
        return CustomerOut.model_validate(customer), True


def get_live(session: Session, customer_id: int) -> CustomerOut:
    """The customer ``customer_id``, or the one it was merged into (followed to the end)."""
    seen: set[int] = set()
    customer = session.get(Customer, customer_id)
    while customer is not None and customer.merged_into_id is not None:
        if customer.id in seen:
            break
        seen.add(customer.id)
        customer = session.get(Customer, customer.merged_into_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return CustomerOut.model_validate(customer)


def identities_of(session: Session, customer_id: int) -> list[IdentityOut]:
    """Every identity of a customer, oldest first (UID and email columns included)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    found = [IdentityOut(kind=k, value=v, label="") for k, v in
             (("uid", customer.uid), ("email", customer.email)) if v]
    rows = session.scalars(select(CustomerIdentity).where(
        CustomerIdentity.customer_id == customer_id).order_by(CustomerIdentity.id))
    found += [IdentityOut.model_validate(r) for r in rows
              if (r.kind, r.value) not in {(i.kind, i.value) for i in found}]
    return found


def merge(session: Session, actor: str, source_id: int, target_id: int) -> CustomerOut:
    """Fold customer ``source_id`` into ``target_id``: its identities, UID and email become
    the target's (the UID and email the target already has win; the source's stay linked as
    identities), and the source points at the target from then on. Audited. The caller moves
    the source's cases (a higher layer owns them) in the same transaction."""
    if source_id == target_id:
        raise Invalid("a customer cannot be merged into itself", pointer="target")
    with tx(session):
        source, target = session.get(Customer, source_id), session.get(Customer, target_id)
        if source is None or target is None:
            raise NotFound("customer not found")
        if source.merged_into_id is not None or target.merged_into_id is not None:
            raise Conflict("one of these customers was already merged into another")
        if source.uid and target.uid and source.uid != target.uid:
            raise Conflict("these customers have different exchange UIDs; they are two accounts")
        session.execute(update(CustomerIdentity).where(CustomerIdentity.customer_id == source_id)
                        .values(customer_id=target_id))
        moved = {"uid": source.uid, "email": source.email}
        source.uid = source.email = None
        session.flush()  # the UID is unique: free it before the target takes it
        target.uid = target.uid or moved["uid"]
        target.email = target.email or moved["email"]
        target.name = target.name or source.name
        for kind, value in moved.items():
            if value and value != getattr(target, kind):
                link(session, target_id, kind, value)
        source.merged_into_id = target_id
        session.flush()
        audit.append(session, actor=actor, action="customer.merged", data={
            "source": source_id, "target": target_id,
            "moved": {k: bool(v) for k, v in moved.items()}})
        return CustomerOut.model_validate(target)
