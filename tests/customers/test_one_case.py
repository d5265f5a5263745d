"""One customer, one case: follow-ups on any channel join the open case; duplicates are
suggested; staff merge cases through the lifecycle (audited)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case, Message
from ombud.common.errors import Conflict, Forbidden
from ombud.customers import identities
from ombud.intake.social import matching, merge, service
from ombud.intake.social.model import Inbound, Platform
from ombud.security.permissions import SYSTEM
from tests.conftest import World
from tests.web.test_console import csrf_of, log_in


def tg(text: str, key: str, sender: str = "1111111") -> Inbound:
    return Inbound(platform=Platform.TELEGRAM, key=key, sender_id=sender, sender_name="Ann",
                   text=text, public=False, address=sender)


def test_a_follow_up_on_the_same_channel_joins_the_open_case(session: Session) -> None:
    first = service.receive(session, tg("My 250 USDT withdrawal is stuck since Monday", "1"))
    again = service.receive(session, tg("any news?", "2"))
    assert first.outcome == "case_opened" and again.outcome == "follow_up"
    assert again.case_reference == first.case_reference
    assert len(session.scalars(select(Case)).all()) == 1


def test_a_follow_up_on_another_channel_joins_the_customer_s_open_email_case(
        session: Session, world: World) -> None:
    case, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary="Withdrawal of 250 USDT stuck", description="My withdrawal of 250 USDT is stuck",
        customer_uid="UID-CAROL-1", channel="email"))
    first = service.receive(session, tg("Hello, this is Carol, about my stuck withdrawal", "1"))
    assert first.outcome == "case_opened"  # an unknown Telegram user: a case of their own
    suggestions = merge.duplicates(session, world.staff["admin"], first.case_reference or "")
    assert suggestions == []  # nothing ties them yet: no UID, email or reference named
    tg_customer = identities.customer_for(session, "telegram", "1111111")
    assert tg_customer is not None
    merge.merge_cases(session, world.staff["admin"], first.case_reference or "", case.reference)
    follow = service.receive(session, tg("Did you find my 250 USDT withdrawal yet?", "2"))
    assert (follow.outcome, follow.case_reference) == ("follow_up", case.reference)
    body = session.scalars(select(Message).where(Message.external_id == "telegram:2")).one()
    assert body.channel == "telegram"


def test_a_reference_named_by_its_own_customer_decides_which_case(session: Session) -> None:
    a = service.receive(session, tg("Deposit of 1 BTC missing", "1")).case_reference
    b = service.receive(session, tg("Deposit of 1 BTC still missing, new txid", "2"))
    assert b.case_reference == a
    other = service.receive(session, tg("Completely different: KYC rejected twice, why", "3"))
    assert other.outcome == "follow_up"  # one open case and the customer writes again
    named = service.receive(session, tg(f"About {a}: here is the txid 0xabc", "4"))
    assert named.case_reference == a


def test_a_stranger_naming_someone_else_s_reference_gets_a_case_of_their_own(
        session: Session, world: World) -> None:
    theirs = service.receive(session, tg("Deposit of 1 BTC missing", "1", sender="10"))
    mine = service.receive(session, tg(f"I have news on {theirs.case_reference}", "2",
                                       sender="20"))
    assert mine.outcome == "case_opened" and mine.case_reference != theirs.case_reference
    [hint] = merge.duplicates(session, world.staff["admin"], mine.case_reference or "")
    assert hint.reference == theirs.case_reference
    assert "one names the other's reference" in hint.reasons


def test_a_social_case_naming_an_email_customer_s_uid_is_suggested_as_duplicate(
        session: Session, world: World) -> None:
    email_case, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary="Frozen account after login from new device",
        description="My account is frozen since the new device login", customer_uid="88123456"))
    social = service.receive(session, tg(
        "My account is frozen after a new device login, my UID is 88123456", "1"))
    [hint] = merge.duplicates(session, world.staff["admin"], social.case_reference or "")
    assert hint.reference == email_case.reference and hint.score >= matching.SUGGEST
    assert any("UID or email" in r for r in hint.reasons)


def test_merging_cases_goes_through_the_lifecycle_and_is_audited(
        session: Session, world: World) -> None:
    a = service.receive(session, tg("Deposit of 1 BTC missing", "1", sender="10"))
    b = service.receive(session, tg("Deposit of 1 BTC missing too", "2", sender="20"))
    src, dst = a.case_reference or "", b.case_reference or ""
    with pytest.raises(Forbidden):  # two customers: only who may assign merges them
        merge.merge_cases(session, world.staff["agent2"], src, dst)
    session.rollback()
    assert session.scalars(select(Case.status).where(Case.reference == src)).one() == "received"
    merge.merge_cases(session, world.staff["admin"], src, dst, "same deposit")
    source = session.scalars(select(Case).where(Case.reference == src)).one()
    target = session.scalars(select(Case).where(Case.reference == dst)).one()
    assert source.status == "merged" and source.merged_into_id == target.id
    assert source.customer_id == target.customer_id  # their customers were merged too
    events = session.execute(select(AuditEvent.chain, AuditEvent.action)).all()
    assert (src, "case.transition") in events and (src, "case.merged") in events
    assert (dst, "case.merged_in") in events
    with pytest.raises(Conflict):  # a merged case merges no more
        merge.merge_cases(session, world.staff["admin"], src, dst)


@pytest.mark.parametrize(("text", "expected"), [
    ("any update?", "C-2026-000001"),
    ("The 0.5 BTC deposit from yesterday is still not credited", "C-2026-000002"),
    ("Something else entirely: API key permissions", None),
])
def test_follow_up_of_picks_a_clear_match_or_none(text: str, expected: str | None) -> None:
    open_cases = [
        matching.CaseFacts("C-2026-000001", 1, "Withdrawal of 250 USDT stuck pending"),
        matching.CaseFacts("C-2026-000002", 1, "Deposit 0.5 BTC not credited since yesterday"),
    ]
    if expected == "C-2026-000001":
        open_cases = open_cases[:1]
    assert matching.follow_up_of(text, open_cases) == expected


def test_the_console_lists_duplicates_and_merges_with_a_button(
        session: Session, world: World, client: TestClient) -> None:
    a = service.receive(session, tg("Deposit of 1 BTC missing since Monday", "1", sender="10"))
    b = service.receive(session, tg(f"Same as {a.case_reference}: 1 BTC deposit", "2",
                                    sender="20"))
    log_in(client, "admin")
    page = client.get(f"/console/cases/{b.case_reference}")
    assert f"/console/cases/{b.case_reference}/duplicates" in page.text
    listing = client.get(f"/console/cases/{b.case_reference}/duplicates")
    assert a.case_reference in listing.text and "Merge into" in listing.text
    r = client.post(f"/console/cases/{a.case_reference}/merge",
                    data={"csrf": csrf_of(listing.text), "into": b.case_reference})
    assert r.status_code == 200 and "was merged into this case" in r.text
    session.rollback()
    assert session.scalars(select(Case.status).where(
        Case.reference == a.case_reference)).one() == "merged"
    bad = client.post(f"/console/cases/{b.case_reference}/merge",
                      data={"csrf": csrf_of(r.text), "into": b.case_reference})
    assert bad.status_code == 422
