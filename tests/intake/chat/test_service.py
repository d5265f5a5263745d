"""Chat verbs: the bot, the handover into a case, staff picking up, access, idempotence."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import filing
from ombud.cases.queries import case_detail
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Case
from ombud.common.errors import Conflict, NotFound
from ombud.intake.chat import queries, service
from ombud.intake.chat.schemas import ChatText
from tests.conftest import World
from tests.intake.chat.conftest import customer

pytestmark = pytest.mark.usefixtures("kb_seeded")


def test_bot_answers_then_handover_opens_a_chat_case_with_the_transcript(
    session: Session, world: World,
) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    posted = service.post(session, carol, key, ChatText(body="My USDT deposit has not arrived"))
    assert [e.author_kind for e in posted.events] == ["customer", "bot"]
    assert "My deposit has not arrived" in posted.events[1].body
    assert session.scalars(select(Case)).first() is None  # the bot answered: no case yet

    posted = service.post(session, carol, key, ChatText(body="I want to talk to a person"))
    assert [e.kind for e in posted.events] == ["text", "handover"]
    reference = posted.chat.case_reference
    assert reference and posted.chat.status == "waiting"
    case = case_detail(session, carol, reference)
    assert case.channel == "chat"
    assert case.summary == "My USDT deposit has not arrived"
    assert "[Ombud assistant] This may help:" in case.messages[0].body
    assert [e.seq for e in queries.events_since(session, carol, key, 0)] == [1, 2, 3, 4, 5]


def test_chinese_chat_is_answered_in_chinese(session: Session, world: World) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    posted = service.post(session, carol, key, ChatText(body="我的充值还没有到账"))
    assert posted.chat.language == "zh-Hans"
    assert posted.events[1].body.startswith("以下内容可能对您有帮助")
    assert "充值未到账怎么办" in posted.events[1].body


def test_staff_pick_up_and_the_live_transcript_becomes_case_messages(
    session: Session, world: World,
) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    service.post(session, carol, key, ChatText(body="withdrawal stuck"))
    reference = service.handover(session, carol, key).chat.case_reference
    assert reference is not None
    agent = world.staff["agent"]
    with pytest.raises(Conflict):
        service.post(session, agent, key, ChatText(body="hello"))  # not picked up yet
    picked = service.pick_up(session, agent, key)
    assert picked.chat.status == "live" and picked.chat.staff_name == "Agent"
    assert picked.events[0].body == "Agent has joined the chat."
    service.post(session, agent, key, ChatText(body="Which network did you use?"))
    service.post(session, carol, key, ChatText(body="TRC20"))
    with pytest.raises(Conflict):
        service.pick_up(session, world.staff["specialist"], key)
    case = case_detail(session, agent, reference)
    assert [(m.direction, m.body) for m in case.messages[1:]] == [
        ("out", "Which network did you use?"), ("in", "TRC20")]
    assert case.assignee_id == agent.id
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.chain == f"chat:{key}").order_by(AuditEvent.seq)).all()
    assert actions == ["chat.text", "chat.text", "chat.text", "chat.handover", "chat.joined"]
    on_case = session.scalars(select(AuditEvent.action).where(
        AuditEvent.chain == reference, AuditEvent.action.startswith("message."))
        .order_by(AuditEvent.seq)).all()
    assert on_case == ["message.out", "message.in"]  # the live messages, audited on the case


def test_a_customer_only_reaches_their_own_chat(session: Session, world: World) -> None:
    carol, dave = customer(session, world, "carol"), customer(session, world, "dave")
    key = service.start(session, carol).chat.key
    with pytest.raises(NotFound):
        service.post(session, dave, key, ChatText(body="hi"))
    with pytest.raises(NotFound):
        queries.events_since(session, dave, key, 0)


def test_staff_see_a_chat_only_through_its_case_and_the_gate(
    session: Session, world: World,
) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    with pytest.raises(NotFound):  # still with the bot: no case, not for staff
        queries.get_chat(session, world.staff["admin"], key)
    service.handover(session, carol, key)
    reference = queries.get_chat(session, carol, key).case_reference
    assert reference is not None
    session.execute(Case.__table__.update().values(team_id=world.teams["wallets"]))
    session.commit()
    with pytest.raises(NotFound):  # a trading agent does not see a wallets case
        service.pick_up(session, world.staff["agent"], key)
    assert [c.key for c in queries.staff_chats(session, world.staff["agent"])] == []
    assert [c.key for c in queries.staff_chats(session, world.staff["agent2"])] == [key]


def test_the_same_client_id_twice_is_one_message(session: Session, world: World) -> None:
    carol = customer(session, world, "carol")
    key = service.start(session, carol).chat.key
    first = service.post(session, carol, key, ChatText(body="hello", client_id="c-1"))
    again = service.post(session, carol, key, ChatText(body="hello", client_id="c-1"))
    assert again.duplicate and again.events == first.events[:1]
    assert again.chat.last_seq == first.chat.last_seq == 3


def test_a_chat_started_from_a_case_joins_that_case(session: Session, world: World) -> None:
    carol = customer(session, world, "carol")
    case, _ = filing.open_case(session, carol, CaseIn(summary="Fee charged twice"))
    key = service.start(session, carol, case_reference=case.reference).chat.key
    service.post(session, carol, key, ChatText(body="about my fee"))
    assert service.handover(session, carol, key).chat.case_reference == case.reference
    assert len(session.scalars(select(Case)).all()) == 1
    closed = service.close(session, carol, key)
    assert closed.chat.status == "closed"
    with pytest.raises(Conflict):
        service.post(session, carol, key, ChatText(body="more"))
