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
#: UIDs of the customer records Ombud keeps for its own cases (a major incident's parent):
#: nobody to survey or to write to.
INTERNAL_PREFIX = "ombud:"


def is_internal(uid: str | None) -> bool:
    """Whether ``uid`` names one of Ombud's own customer records, not a person."""
    return bool(uid) and str(uid).startswith(INTERNAL_PREFIX)


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


def find_or_register_emails(
    session: Session, senders: list[tuple[str, str, str]]
) -> dict[str, CustomerOut]:
    """``find_or_register`` by email for many (email, name, language) at once: normalised
    email → customer, with one query per table and one INSERT for the new ones (the first
    sender of a new address names it). Runs in the caller's transaction."""
    wanted: dict[str, tuple[str, str]] = {}
    for email, name, language in senders:
        wanted.setdefault(normalise_email(email), (name, language))
    if not wanted:
        return {}
    with tx(session):
        found: dict[str, CustomerOut] = {}
        linked = dict(session.execute(select(CustomerIdentity.value, CustomerIdentity.customer_id)
                                      .where(CustomerIdentity.kind == "email",
                                             CustomerIdentity.value.in_(wanted))).all())
        for email, owner in linked.items():
            found[email] = get_customer(session, owner)
        rest = [e for e in wanted if e not in found]
        for customer in session.scalars(select(Customer).where(Customer.email.in_(rest))
                                        .order_by(Customer.id.desc())):
            found[customer.email or ""] = CustomerOut.model_validate(customer)  # lowest id wins
        new = [Customer(uid=None, email=e, name=wanted[e][0],
                        language=wanted[e][1] if wanted[e][1] in LANGUAGES else "en",
                        jurisdiction="", created_at=utcnow())
               for e in rest if e not in found]
        session.add_all(new)
        session.flush()
        found.update((c.email or "", CustomerOut.model_validate(c)) for c in new)
        return found


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


def get_customers(session: Session, ids: list[int]) -> dict[int, CustomerOut]:
    """Several customers by id, in one query (ids not found are left out)."""
    if not ids:
        return {}
    return {c.id: CustomerOut.model_validate(c)
            for c in session.scalars(select(Customer).where(Customer.id.in_(set(ids))))}
