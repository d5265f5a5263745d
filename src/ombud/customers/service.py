"""Customer verbs: find or register a customer by exchange UID or email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.common.clock import utcnow
from ombud.common.errors import Invalid, NotFound
from ombud.customers.schemas import CustomerOut
from ombud.customers.tables import Customer, CustomerIdentity
from ombud.db import tx

LANGUAGES = ("en", "zh-Hans", "zh-Hant")


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed email; refuses obvious non-addresses."""
    value = email.strip().lower()
    if "@" not in value or len(value) > 320 or any(c in value for c in " \r\n<>,;"):
        raise Invalid(f"{email!r} is not an email address", pointer="email")
    return value


def find_or_register(
    session: Session,
    *,
    uid: str | None = None,
    email: str | None = None,
    name: str = "",
    language: str = "en",
    jurisdiction: str = "",
) -> CustomerOut:
    """The customer with this UID (else this email), registered if new."""
    if not uid and not email:
        raise Invalid("a customer needs an exchange UID or an email", pointer="uid")
    email = normalise_email(email) if email else None
    if email and not uid and (linked := _merged_email(session, email)) is not None:
        return linked
    if uid:  # a known UID with nothing to fill in is a plain read: no write transaction
        known = session.scalars(select(Customer).where(Customer.uid == uid)).first()
        if known is not None and (not email or known.email):
            return CustomerOut.model_validate(known)
    with tx(session):
        customer = None
        if uid:
            customer = session.scalars(select(Customer).where(Customer.uid == uid)).first()
        if customer is None and email:
            customer = session.scalars(
                select(Customer).where(Customer.email == email).order_by(Customer.id)
            ).first()
            if customer is not None and uid and customer.uid and customer.uid != uid:
                customer = None  # same email, different exchange account
        if customer is None:
            customer = Customer(
                uid=uid, email=email, name=name,
                language=language if language in LANGUAGES else "en",
                jurisdiction=jurisdiction.upper()[:8], created_at=utcnow(),
            )
            try:
                with session.begin_nested():  # a concurrent first request may win the UID
                    session.add(customer)
            except IntegrityError:
                if not uid:
                    raise
                customer = session.scalars(select(Customer).where(Customer.uid == uid)).one()
        else:
            if uid and not customer.uid:
                customer.uid = uid
            if email and not customer.email:
                customer.email = email
        return CustomerOut.model_validate(customer)


def _merged_email(session: Session, email: str) -> CustomerOut | None:
    """The customer a merge left this email linked to (see ``customers.identities``)."""
    owner = session.scalars(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == "email", CustomerIdentity.value == email)).first()
    return None if owner is None else get_customer(session, owner)


def get_customer(session: Session, customer_id: int) -> CustomerOut:
    """One customer by id."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return CustomerOut.model_validate(customer)
