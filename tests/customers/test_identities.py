"""Identities link to one customer; staff merge customers (audited) and the merged one's
UID, email and channel ids lead to the surviving customer from then on."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.common.errors import Conflict, Forbidden, Invalid
from ombud.customers import identities
from ombud.customers import service as customers
from ombud.intake.social import merge
from ombud.security.permissions import SYSTEM
from tests.conftest import World


def test_an_identity_belongs_to_one_customer(session: Session) -> None:
    first, created = identities.find_or_register(session, "telegram", "42", name="Ann")
    again, created_again = identities.find_or_register(session, "telegram", " 42 ")
    assert created and not created_again and again.id == first.id
    other = customers.find_or_register(session, email="bob@example.com")
    with pytest.raises(Conflict):
        identities.link(session, other.id, "telegram", "42")
    identities.link(session, other.id, "x", "777")
    assert identities.customer_for(session, "x", "777") == other.id
    with pytest.raises(Invalid):
        identities.link(session, other.id, "fax", "1")


def test_merging_customers_moves_identities_cases_and_contact_details(
        session: Session, world: World) -> None:
    email = customers.find_or_register(session, email="ann@example.com", name="Ann")
    tg, _ = identities.find_or_register(session, "telegram", "42", name="Ann T")
    case, _ = filing.open_case(session, SYSTEM, CaseIn(summary="Stuck deposit",
                                                      customer_email="ann@example.com"))
    merged = merge.merge_customers(session, world.staff["supervisor"], email.id, tg.id)
    assert merged.id == tg.id and merged.email == "ann@example.com"
    assert identities.customer_for(session, "telegram", "42") == tg.id
    assert session.scalars(select(Case.customer_id)).one() == tg.id
    assert identities.get_live(session, email.id).id == tg.id
    # mail from the merged customer's address now reaches the surviving customer
    assert customers.find_or_register(session, email="ann@example.com").id == tg.id
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "customer.merged" in actions and "case.customer_merged" in actions
    assert {i.kind for i in identities.identities_of(session, tg.id)} == {"email", "telegram"}
    assert case.reference


def test_a_customer_merge_needs_the_assign_permission_and_one_account(
        session: Session, world: World) -> None:
    a = customers.find_or_register(session, uid="UID-1")
    b = customers.find_or_register(session, uid="UID-2")
    with pytest.raises(Forbidden):
        merge.merge_customers(session, world.staff["agent"], a.id, b.id)
    with pytest.raises(Conflict):
        merge.merge_customers(session, world.staff["supervisor"], a.id, b.id)
    with pytest.raises(Invalid):
        merge.merge_customers(session, world.staff["supervisor"], a.id, a.id)


def test_a_merged_customer_cannot_be_merged_again(session: Session, world: World) -> None:
    a, _ = identities.find_or_register(session, "x", "1")
    b, _ = identities.find_or_register(session, "x", "2")
    c, _ = identities.find_or_register(session, "x", "3")
    merge.merge_customers(session, world.staff["supervisor"], a.id, b.id)
    with pytest.raises(Conflict):
        merge.merge_customers(session, world.staff["supervisor"], a.id, c.id)
