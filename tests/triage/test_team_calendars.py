"""Service levels count on the calendar of the team a case is routed to: its time zone,
business hours and public holidays; the regulatory clocks keep their jurisdiction's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from ombud import migrate
from ombud.config import Settings
from ombud.db import make_engine
from ombud.security.permissions import SYSTEM
from ombud.triage import calendars, service
from ombud.triage.pipeline import (
    CaseInput,
    ClockPlan,
    TriageConfig,
    on_team_calendar,
    recount,
    triage,
)
from ombud.triage.schemas import TeamCalendarIn
from ombud.triage.sla import Pause
from ombud.triage.tables import TeamSkill, TriageClock
from tests.conftest import PG_URL, World, _create_database
from tests.web.test_console import csrf_of, log_in

from .triage_world import file, run, skilled_teams

UTC = dt.UTC
LONDON_DESK = calendars.from_spec("Wallet ops team", {
    "tz": "Europe/London", "country": "GB", "subdiv": "ENG", "weekdays": [0, 1, 2, 3, 4],
    "hours": ["09:00", "17:30"]})
DEPOSIT = ("I deposited 100 USDT on TRC20 to my deposit address, txid " + "ab" * 32
           + ", and it is not credited after two hours.")
#: Christmas Eve 2026, 17:00 in London: half an hour before the desk closes, then Christmas,
#: a weekend and Monday 28th (the Boxing Day substitute) are closed.
CHRISTMAS_EVE = dt.datetime(2026, 12, 24, 17, 0, tzinfo=UTC)


def _service(clocks: tuple[ClockPlan, ...], slot: str) -> ClockPlan:
    return next(c for c in clocks if c.slot == slot)


def test_a_team_calendar_spec_round_trips() -> None:
    cal = calendars.BusinessCalendar(
        "x", "Asia/Hong_Kong", "HK", None, frozenset({0, 1, 2, 3, 4, 5}),
        (dt.time(8, 30), dt.time(18)), frozenset({dt.date(2026, 6, 1)}),
        frozenset({dt.date(2026, 12, 25)}))
    assert calendars.from_spec("x", calendars.to_spec(cal)) == cal


def test_service_levels_skip_the_teams_closed_hours_and_holidays() -> None:
    case = CaseInput(text=DEPOSIT, language="en", received_at=CHRISTMAS_EVE,
                     jurisdictions=frozenset({"GB"}))
    cfg = TriageConfig()
    desk = triage(case, cfg, CHRISTMAS_EVE)
    assert desk.assessment.priority.value == "normal"  # p3: 8 business hours, 10 days
    team = on_team_calendar(desk, LONDON_DESK, CHRISTMAS_EVE, cfg)
    first, resolution = (_service(team.clocks, s) for s in ("SLA:first_response",
                                                              "SLA:resolution"))
    # 30 minutes on the 24th, then 7.5 hours from 09:00 on Tuesday 29th
    assert first.due_at == dt.datetime(2026, 12, 29, 16, 30, tzinfo=UTC)
    # 10 business days: 29, 30, 31 Dec, (1 Jan closed), 4-8 and 11, 12 Jan; close of business
    assert resolution.due_at == dt.datetime(2027, 1, 12, 17, 30, tzinfo=UTC)
    assert "on the calendar 'Wallet ops team'" in first.citation
    assert team.due_at == dt.datetime(2027, 1, 12, 17, 30, tzinfo=UTC)  # the strictest
    # the support desk (24x5 UTC, no holidays) would have wanted an answer on Christmas Day
    assert _service(desk.clocks, "SLA:first_response").due_at == dt.datetime(
        2026, 12, 25, 1, 0, tzinfo=UTC)
    regulatory = [c for c in team.clocks if c.source == "regulatory"]
    assert regulatory == [c for c in desk.clocks if c.source == "regulatory"]


def test_a_paused_team_clock_is_recounted_on_the_team_calendar() -> None:
    case = CaseInput(text=DEPOSIT, language="en", received_at=CHRISTMAS_EVE,
                     jurisdictions=frozenset({"GB"}))
    cfg = TriageConfig()
    team = on_team_calendar(triage(case, cfg, CHRISTMAS_EVE), LONDON_DESK, CHRISTMAS_EVE, cfg)
    plan = _service(team.clocks, "SLA:resolution")
    recipe = plan.definition
    assert recipe["spec"] == calendars.to_spec(LONDON_DESK)
    waited = (Pause(dt.datetime(2026, 12, 29, 9, tzinfo=UTC),
                    dt.datetime(2026, 12, 30, 9, tzinfo=UTC), "waiting on the customer"),)
    later = dt.datetime(2027, 1, 2, tzinfo=UTC)
    start = plan.started_at
    # one business day of waiting moves close of business on the 12th to the 13th
    assert recount(recipe, plan.rule_id, start, waited, later) == dt.datetime(
        2027, 1, 13, 17, 30, tzinfo=UTC)
    no_spec = {k: v for k, v in recipe.items() if k != "spec"}
    assert recount(no_spec, plan.rule_id, start, waited, later) != dt.datetime(
        2027, 1, 13, 17, 30, tzinfo=UTC)


def test_a_case_routed_to_a_team_with_a_calendar_gets_its_service_clocks_on_it(
    session: Session, world: World,
) -> None:
    teams = skilled_teams(session)
    service.set_team_calendar(session, world.staff["admin"], teams["Wallet ops"],
                              TeamCalendarIn(timezone="Europe/London", country="GB",
                                             subdiv="ENG", hours_start="09:00",
                                             hours_end="17:30"))
    case = file(session, DEPOSIT, summary="USDT deposit not credited",
                received_at=CHRISTMAS_EVE)
    assert run(session, case, now=CHRISTMAS_EVE).priority == "normal"  # p3, as above
    assert case.team_id == teams["Wallet ops"]
    clocks = {c.slot: c for c in session.scalars(select(TriageClock).where(
        TriageClock.case_id == case.id))}
    first = clocks["SLA:first_response"]
    assert first.due_at.replace(tzinfo=UTC) == dt.datetime(2026, 12, 29, 16, 30, tzinfo=UTC)
    assert first.definition["spec"]["tz"] == "Europe/London"
    assert case.due_at is not None
    assert case.due_at.replace(tzinfo=UTC) == dt.datetime(2027, 1, 12, 17, 30, tzinfo=UTC)


def test_only_staff_managers_set_a_team_calendar_and_bad_ones_are_refused(
    client: TestClient, session: Session, world: World,
) -> None:
    teams = skilled_teams(session)
    log_in(client, "admin")
    page = client.get("/console/routing")
    assert "Team calendars" in page.text
    url = f"/console/routing/teams/{teams['Wallet ops']}/calendar"
    for bad, reason in (({"country": "ZZ"}, "no public-holiday calendar for country"),
                        ({"subdiv": "XX"}, "is not a region of GB"),
                        ({"hours_end": ""}, "give both opening and closing hours"),
                        ({"timezone": "Europe/Nowhere"}, "is not a time zone")):
        form = {"csrf": csrf_of(page.text), "timezone": "Europe/London", "country": "GB",
                "subdiv": "ENG", "hours_start": "09:00", "hours_end": "17:30",
                "weekdays": ["0", "1", "2", "3", "4"], **bad}
        r = client.post(url, data=form)
        assert reason in r.text, bad
    session.rollback()
    assert session.get(TeamSkill, teams["Wallet ops"]) is None
    r = client.post(url, data={"csrf": csrf_of(page.text), "timezone": "Asia/Hong_Kong",
                               "country": "hk", "weekdays": ["0", "1", "2", "3", "4", "5"]})
    assert "Team calendar saved" in r.text and "Asia/Hong_Kong, HK holidays, all day" in r.text
    session.rollback()
    row = session.get(TeamSkill, teams["Wallet ops"])
    assert row is not None and row.calendar is not None
    assert (row.calendar["country"], row.calendar["weekdays"], row.calendar["hours"]) == (
        "HK", [0, 1, 2, 3, 4, 5], None)
    log_in(client, "supervisor")
    r = client.post(url, data={"csrf": csrf_of(client.get("/console").text),
                               "timezone": "UTC"})
    assert r.status_code == 403
    service.set_team_calendar(session, SYSTEM, teams["Wallet ops"], None)  # back to the desk
    session.refresh(row)
    assert row.calendar is None


def _scratch(tmp_path: Path) -> Engine:
    if PG_URL:
        name = PG_URL.rsplit("/", 1)[1] + "_calendar_migration"
        _create_database(PG_URL, name)
        engine = make_engine(Settings(database_url=PG_URL.rsplit("/", 1)[0] + "/" + name))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        return engine
    return make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))


def test_the_migration_adds_and_removes_the_team_calendar(tmp_path: Path) -> None:
    engine = _scratch(tmp_path)
    try:
        migrate.upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("triage_team_skills")}
        assert "calendar" in columns
        cfg = Config()
        cfg.set_main_option("script_location", str(migrate.SCRIPTS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
        columns = {c["name"] for c in inspect(engine).get_columns("triage_team_skills")}
        assert "calendar" not in columns and "jurisdictions" in columns
        migrate.upgrade(engine)
        assert "calendar" in {c["name"] for c in inspect(engine).get_columns(
            "triage_team_skills")}
    finally:
        engine.dispose()
