"""The survey goes out once per case after resolution, on the customer's channel and in
their language: email through a real SMTP server or the outbox, Telegram through its API,
and a message on the case that the portal shows."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.audit.tables import AuditEvent
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.tables import Case, Message
from ombud.cases.taxonomy import Channel
from ombud.config import Settings
from ombud.feedback import service
from ombud.feedback.tables import Survey
from ombud.jobs.tables import Job
from ombud.notify.senders import SmtpSender
from ombud.security.permissions import SYSTEM
from ombud.security.tokens import customer_token, hash_token
from tests.exchange.server import Reply, Request, serve
from tests.intake.conftest import Sink
from tests.intake.social.conftest import TG_BOT, post_telegram, social_settings

from .conftest import open_case, resolve, run_jobs, survey_message, token_of


def _surveys(session: Session) -> list[Survey]:
    session.rollback()
    return list(session.scalars(select(Survey).order_by(Survey.id)))


def _actions(session: Session, case_id: int) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case_id).order_by(AuditEvent.id)))


def test_an_email_case_gets_the_survey_by_mail_on_its_thread(
        session: Session, settings: Settings, sink: Sink) -> None:
    agent = SYSTEM
    case = open_case(session, agent, channel=Channel.EMAIL, email="carol@example.com", uid=None)
    resolve(session, agent, case.id)
    run_jobs(session, settings, SmtpSender("127.0.0.1", sink.port))
    mails = [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in sink.received]
    [mail] = [m for m in mails if "survey" in str(m["Message-ID"])]
    assert mail["To"].addresses[0].addr_spec == "carol@example.com"
    assert case.reference in mail["Subject"] and "How did we handle" in mail["Subject"]
    body = mail.get_body().get_content().replace("\r\n", "\n").strip()
    token = token_of(body)
    assert body.startswith("Your complaint") and "http://testserver/survey/" in body
    [survey] = _surveys(session)
    assert survey.token_hash == hash_token(token) and token not in survey.token_hash
    assert (survey.case_id, survey.routes, survey.language) == (case.id, "portal,email", "en")
    assert survey_message(session, case.id).body == body
    assert "survey.sent" in _actions(session, case.id)
    assert session.scalars(select(Job.status).where(Job.kind == "feedback.survey")).all() == [
        "done"]


def test_a_web_case_gets_a_portal_message_and_a_mail_in_the_outbox_in_chinese(
        session: Session, settings: Settings) -> None:
    agent = SYSTEM
    case = open_case(session, agent, channel=Channel.WEB, email="dave@example.com",
                     uid="UID-DAVE-2", language="zh-Hans")
    resolve(session, agent, case.id)
    run_jobs(session, settings)  # no SMTP host configured: the outbox folder
    [eml] = list(settings.outbox_dir.glob(f"{case.reference}.survey*.eml"))
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["Subject"] == f"您对投诉 {case.reference} 的处理满意吗？"
    text = mail.get_body().get_content()
    assert "已处理完毕" in text
    msg = survey_message(session, case.id)
    assert (msg.visibility, msg.direction, msg.author_kind) == ("public", "out", "system")
    assert token_of(msg.body) == token_of(text)
    # the customer sees it in the portal
    with TestClient(create_app(settings)) as client:
        dave = customer_token(settings.customer_token_secret, "UID-DAVE-2")
        client.get(f"/portal/login?token={dave}")
        page = client.get(f"/portal/cases/{case.reference}")
    assert page.status_code == 200 and "/survey/" + token_of(text) in page.text


def test_a_chat_customer_without_email_gets_the_portal_message_only(
        session: Session, settings: Settings) -> None:
    agent = SYSTEM
    case = open_case(session, agent, channel=Channel.CHAT, language="zh-Hant")
    resolve(session, agent, case.id)
    run_jobs(session, settings)
    [survey] = _surveys(session)
    assert (survey.routes, survey.language) == ("portal", "zh-Hant")
    assert "處理完畢" in survey_message(session, case.id).body
    assert session.scalar(select(func.count()).select_from(Job).where(
        Job.key.like("email:survey:%"))) == 0
    assert not settings.outbox_dir.exists() or not list(settings.outbox_dir.glob("*survey*"))


def _platform(request: Request) -> Reply:
    body = json.loads(request.body) if request.body else {}
    ok = request.path == f"/bot{TG_BOT}/sendMessage" and isinstance(body.get("chat_id"), int)
    return Reply(200 if ok else 400, json.dumps({"ok": ok, "result": {"message_id": 1}}))


def test_a_telegram_case_gets_the_survey_in_the_chat_it_came_from(
        session: Session, settings: Settings) -> None:
    update = {"update_id": 20001, "message": {
        "message_id": 5, "date": 1767225600, "chat": {"id": 2222222, "type": "private"},
        "from": {"id": 2222222, "first_name": "Wei"},
        "text": "我的提现 250 USDT 三天了还没有到账，请帮忙处理"}}
    with serve(_platform) as (api, received):
        configured = social_settings(settings, api)
        with TestClient(create_app(configured)) as client:
            assert post_telegram(client, json.dumps(update).encode()) == 200
        case = session.scalars(select(Case)).one()
        resolve(session, SYSTEM, case.id)
        run_jobs(session, configured)
    texts = [json.loads(r.body)["text"] for r in received]
    [invitation] = [t for t in texts if "/survey/" in t]
    assert case.reference in invitation and "已处理完毕" in invitation
    assert json.loads(received[texts.index(invitation)].body)["chat_id"] == 2222222
    [survey] = _surveys(session)
    assert (survey.routes, survey.channel) == ("portal,social", "telegram")
    assert survey.token_hash == hash_token(token_of(invitation))


def test_the_handler_is_idempotent_and_a_case_resolved_twice_has_one_survey(
        session: Session, settings: Settings, sink: Sink) -> None:
    agent = SYSTEM
    case = open_case(session, agent, channel=Channel.EMAIL, email="carol@example.com", uid=None)
    resolve(session, agent, case.id)
    sender = SmtpSender("127.0.0.1", sink.port)
    run_jobs(session, settings, sender)
    first = _surveys(session)
    cfg = service.SurveyConfig("http://testserver", settings_days(settings))
    assert service.send_survey(session, cfg, lambda _s, _c: None, case.id) == "exists"
    # reopened and resolved again: the job key is spent, nothing more goes out
    cases.advance(session, agent, case.id, Event.REOPEN, reason="customer wrote back")
    cases.advance(session, agent, case.id, Event.PROPOSE)
    cases.advance(session, agent, case.id, Event.ACCEPT)
    cases.advance(session, agent, case.id, Event.COMPLETE)
    run_jobs(session, settings, sender)
    assert [(s.id, s.token_hash) for s in _surveys(session)] == [
        (s.id, s.token_hash) for s in first]
    assert sum("survey" in str(raw) for _f, _r, raw in sink.received) == 1
    assert session.scalar(select(func.count()).select_from(Message).where(
        Message.external_id == f"survey:{case.id}")) == 1
    assert _actions(session, case.id).count("survey.sent") == 1


def settings_days(settings: Settings) -> dt.timedelta:
    return dt.timedelta(days=settings.survey_valid_days)


def test_a_case_reopened_before_the_job_ran_waits_until_it_is_resolved_again(
        session: Session, settings: Settings) -> None:
    agent = SYSTEM
    case = open_case(session, agent)
    resolve(session, agent, case.id)
    cases.advance(session, agent, case.id, Event.REOPEN, reason="more to it")
    run_jobs(session, settings)
    assert _surveys(session) == []
    recheck = session.scalars(select(Job).where(Job.key == f"survey:{case.id}:recheck:1")).one()
    assert recheck.status == "queued" and json.loads(recheck.payload)["recheck"] == 1
    cfg = service.SurveyConfig("http://testserver", settings_days(settings))
    for event in (Event.PROPOSE, Event.ACCEPT, Event.COMPLETE):
        cases.advance(session, agent, case.id, event)
    assert service.send_survey(session, cfg, lambda _s, _c: None, case.id, recheck=1) == "sent"
    assert len(_surveys(session)) == 1


def test_a_case_that_ends_withdrawn_is_never_surveyed(
        session: Session, settings: Settings) -> None:
    agent = SYSTEM
    case = open_case(session, agent)
    resolve(session, agent, case.id)
    cases.advance(session, agent, case.id, Event.REOPEN, reason="more to it")
    cases.advance(session, agent, case.id, Event.WITHDRAW, reason="customer withdrew")
    cfg = service.SurveyConfig("http://testserver", settings_days(settings))
    assert service.send_survey(session, cfg, lambda _s, _c: None, case.id) == "skipped"
    assert service.send_survey(session, cfg, lambda _s, _c: None, case.id,
                               recheck=service.MAX_RECHECKS) == "skipped"
    assert _surveys(session) == [] and "survey.skipped" in _actions(session, case.id)


def test_an_internal_case_is_not_surveyed(session: Session, settings: Settings) -> None:
    case = open_case(session, SYSTEM, uid="ombud:major-incidents", summary="Major incident")
    resolve(session, SYSTEM, case.id)
    run_jobs(session, settings)
    assert _surveys(session) == []
    assert _actions(session, case.id)[-1] == "survey.skipped"
