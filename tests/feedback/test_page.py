"""The survey page through the app: asked in the customer's language without sign-in,
answered once (a second answer keeps the first), bad input and forged links refused with
nothing stored, and the answer shown to staff on the case page."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ombud.audit.tables import AuditEvent
from ombud.cases.tables import Case
from ombud.common.errors import Conflict
from ombud.common.ids import token as new_token
from ombud.config import Settings
from ombud.feedback import service
from ombud.feedback.schemas import AnswerIn
from ombud.feedback.tables import Survey
from ombud.security.permissions import SYSTEM
from tests.conftest import World
from tests.web.test_console import csrf_of, log_in

from .conftest import open_case, resolve, run_jobs, survey_message, token_of


def _surveyed(session: Session, settings: Settings, language: str = "en") -> tuple[Case, str]:
    case = open_case(session, SYSTEM, language=language)
    resolve(session, SYSTEM, case.id)
    run_jobs(session, settings)
    return case, token_of(survey_message(session, case.id).body)


def _survey(session: Session) -> Survey:
    session.rollback()
    return session.scalars(select(Survey)).one()


def _answers_audited(session: Session) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "survey.answered")) or 0)


def _post(client: TestClient, token: str, **fields: str) -> tuple[int, str]:
    csrf = csrf_of(client.get(f"/survey/{token}").text)
    r = client.post(f"/survey/{token}", data={"csrf": csrf, **fields}, follow_redirects=False)
    return r.status_code, r.text


def test_the_page_asks_in_the_customers_language_and_takes_the_answer(
        client: TestClient, session: Session, settings: Settings) -> None:
    case, token = _surveyed(session, settings, "zh-Hant")
    page = client.get(f"/survey/{token}")
    assert page.status_code == 200
    assert '<html lang="zh-Hant">' in page.text and "您對我們的服務滿意嗎" in page.text
    assert case.reference in page.text and 'name="csat" value="5"' in page.text
    assert 'name="nps" value="0"' in page.text and 'name="nps" value="10"' in page.text
    r = client.post(f"/survey/{token}", data={
        "csrf": csrf_of(page.text), "csat": "4", "nps": "9", "comment": "  處理得很快  "},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/survey/{token}"
    survey = _survey(session)
    assert (survey.csat, survey.nps, survey.comment) == (4, 9, "處理得很快")
    assert survey.answered_at is not None
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "survey.answered")).one()
    assert (event.chain, event.case_id, event.actor) == (
        case.reference, case.id, f"customer:{survey.customer_id}")
    assert '"csat":4' in event.data and '"nps":9' in event.data
    again = client.get(f"/survey/{token}")  # the link can be opened again: the thanks
    assert again.status_code == 200 and "感謝您的回答" in again.text and "4/5" in again.text
    assert 'name="csat"' not in again.text


def test_a_second_answer_is_refused_and_the_first_is_kept(
        client: TestClient, session: Session, settings: Settings) -> None:
    _case, token = _surveyed(session, settings)
    csrf = csrf_of(client.get(f"/survey/{token}").text)
    first = client.post(f"/survey/{token}", data={"csrf": csrf, "csat": "5", "nps": "10"},
                        follow_redirects=False)
    assert first.status_code == 303
    second = client.post(f"/survey/{token}", data={"csrf": csrf, "csat": "1", "nps": "0",
                                                   "comment": "changed my mind"})
    assert second.status_code == 409
    assert "You already answered this survey; your first answer is kept." in second.text
    survey = _survey(session)
    assert (survey.csat, survey.nps, survey.comment) == (5, 10, "")
    assert _answers_audited(session) == 1
    with pytest.raises(Conflict):
        service.answer(session, token, AnswerIn(csat=2, nps=2))


@pytest.mark.parametrize(("fields", "message"), [
    ({"csat": "0", "nps": "5"}, "Choose how satisfied you are, from 1 to 5."),
    ({"csat": "6", "nps": "5"}, "Choose how satisfied you are, from 1 to 5."),
    ({"csat": "", "nps": "5"}, "Choose how satisfied you are, from 1 to 5."),
    ({"csat": "four", "nps": "5"}, "Choose how satisfied you are, from 1 to 5."),
    ({"csat": "3", "nps": "11"}, "Choose how likely you are to recommend us, from 0 to 10."),
    ({"csat": "3", "nps": "-1"}, "Choose how likely you are to recommend us, from 0 to 10."),
    ({"csat": "3", "nps": "2.5"}, "Choose how likely you are to recommend us, from 0 to 10."),
    ({"csat": "3", "nps": "5", "comment": "x" * 2001},
     "Your comment is too long: at most 2000 characters."),
    ({"csat": "3", "nps": "5", "comment": "nul\x00byte"},
     "Your comment contains characters we cannot store; please retype it."),
])
def test_bad_input_gets_a_clear_error_and_nothing_is_stored(
        client: TestClient, session: Session, settings: Settings, fields: dict[str, str],
        message: str) -> None:
    _case, token = _surveyed(session, settings)
    status, text = _post(client, token, **fields)
    assert status == 422 and message in text
    assert 'aria-invalid="true"' in text or "field-error" in text
    if "comment" in fields and "\x00" not in fields["comment"]:
        assert fields["comment"] in text  # what was typed is kept
    survey = _survey(session)
    assert (survey.csat, survey.nps, survey.answered_at) == (None, None, None)
    assert _answers_audited(session) == 0
    assert _post(client, token, csat="3", nps="5")[0] == 303  # and the form still works


def test_unknown_or_forged_links_are_refused_and_nothing_is_stored(
        client: TestClient, session: Session, settings: Settings) -> None:
    _case, token = _surveyed(session, settings)
    csrf = csrf_of(client.get(f"/survey/{token}").text)
    for forged in (new_token(32), token[:-1] + ("A" if token[-1] != "A" else "B"), "short",
                   "%27%20OR%201%3D1--aaaaaaaaaaaaaaaaaaaa", "x" * 300):
        got = client.get(f"/survey/{forged}")
        assert got.status_code == 404 and "This survey link is not valid" in got.text
        posted = client.post(f"/survey/{forged}", data={"csrf": csrf, "csat": "5", "nps": "9"})
        assert posted.status_code == 404 and "此调查链接无效" in posted.text
    assert _survey(session).answered_at is None and _answers_audited(session) == 0


def test_an_answer_needs_the_pages_csrf_token(
        client: TestClient, session: Session, settings: Settings) -> None:
    _case, token = _surveyed(session, settings)
    client.get(f"/survey/{token}")
    for csrf in ("", "forged"):
        r = client.post(f"/survey/{token}", data={"csrf": csrf, "csat": "5", "nps": "9"})
        assert r.status_code == 403
    assert _survey(session).answered_at is None


def test_an_expired_survey_shows_it_closed_and_takes_no_answer(
        client: TestClient, session: Session, settings: Settings) -> None:
    _case, token = _surveyed(session, settings)
    csrf = csrf_of(client.get(f"/survey/{token}").text)
    session.execute(update(Survey).values(expires_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)))
    session.commit()
    page = client.get(f"/survey/{token}")
    assert page.status_code == 200 and "This survey closed on 2026-01-02" in page.text
    r = client.post(f"/survey/{token}", data={"csrf": csrf, "csat": "5", "nps": "9"})
    assert r.status_code == 409 and "closed" in r.text
    assert _survey(session).answered_at is None
    with pytest.raises(Conflict):
        service.answer(session, token, AnswerIn(csat=5, nps=9))


def test_two_answers_at_the_same_moment_store_exactly_one(
        sessions: sessionmaker[Session], session: Session, settings: Settings) -> None:
    _case, token = _surveyed(session, settings)
    results: list[str] = []
    start = threading.Barrier(2)

    def submit(csat: int) -> None:
        with sessions() as own:
            start.wait()
            try:
                service.answer(own, token, AnswerIn(csat=csat, nps=csat))
                results.append(f"stored {csat}")
            except Conflict:
                results.append("refused")

    threads = [threading.Thread(target=submit, args=(n,)) for n in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0] == "refused" and len(results) == 2
    survey = _survey(session)
    assert f"stored {survey.csat}" in results and survey.nps == survey.csat
    assert _answers_audited(session) == 1


def test_staff_see_the_answer_on_the_case_page(
        client: TestClient, session: Session, settings: Settings, world: World) -> None:
    case, token = _surveyed(session, settings)
    log_in(client, "supervisor")
    before = client.get(f"/console/cases/{case.reference}")
    assert "Satisfaction survey" in before.text and "Not answered yet." in before.text
    service.answer(session, token, AnswerIn(csat=2, nps=6, comment="Took too long"))
    after = client.get(f"/console/cases/{case.reference}")
    assert "2 / 5" in after.text and "6 / 10" in after.text and "Took too long" in after.text
    assert "portal" in after.text
