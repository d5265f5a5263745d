"""Triage wired into the system: a filed case is classified, asked for what is missing,
prioritised with reasons, routed, and given its clocks (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases import service as cases
from ombud.cases.schemas import MessageIn
from ombud.cases.tables import Case, Message
from ombud.common.clock import as_utc
from ombud.jobs.tables import Job
from ombud.security.permissions import Principal
from ombud.triage import sweep
from ombud.triage.tables import TriageClock, TriageDecision
from tests.conftest import World

from .triage_world import file, run, skilled_teams

TRADE = ("I sold 2.5 ETH at market on ETH-USDT at 23:57 UTC yesterday, order id 6123456789, "
         "and got 40 USDT less than the order book showed. Please refund the difference.")


def _clocks(session: Session, case: Case) -> dict[str, TriageClock]:
    rows = session.scalars(select(TriageClock).where(TriageClock.case_id == case.id)).all()
    return {f"{c.rule_id}:{c.purpose}": c for c in rows}


def test_a_complete_uk_complaint_is_classified_prioritised_routed_with_disp_clocks(
    session: Session, world: World,
) -> None:
    teams = skilled_teams(session)
    case = file(session, TRADE, summary="Market order filled far from the price",
                amount="40", asset="USDT")
    decision = run(session, case)
    assert case.status == "triaged" and case.category == "trade_dispute"
    assert decision.outcome == "routed" and decision.confidence >= 0.6
    assert case.team_id == teams["Trading desk"]
    assert any("amount in dispute 40.00 USD" in r for r in decision.priority_reasons)
    assert case.priority == decision.priority
    clocks = _clocks(session, case)
    level = {"urgent": "p1", "high": "p2", "normal": "p3", "low": "p4"}[case.priority]
    assert {"CL-3:response", "CL-4:summary_resolution", "AK-3:acknowledgement",
            f"SLA-resolution-{level}:resolution"} <= set(clocks)
    assert "DISP 1.6.2R" in clocks["CL-3:response"].citation
    assert clocks["CL-3:response"].strictest and not clocks["CL-3:response"].pausable
    due = min(as_utc(c.due_at) for c in clocks.values()
              if c.purpose in ("response", "resolution") and c.kind == "obligation")
    assert as_utc(case.due_at) == due  # the strictest resolution deadline
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id)).all()
    assert {"case.assessed", "triage.decided", "case.transition"} <= set(actions)


def test_an_eu_case_gets_the_mica_clock_and_a_multi_regime_customer_the_strictest(
    session: Session, world: World,
) -> None:
    eu = file(session, TRADE, uid="UID-EU", jurisdiction="DE")
    run(session, eu)
    mica = _clocks(session, eu)
    assert "CL-1:response" in mica and "2025/294 Art. 6(2)" in mica["CL-1:response"].citation
    assert mica["CL-1:response"].strictest and "CL-3:response" not in mica

    cases_out = file(session, TRADE, uid="UID-EU-UK", jurisdiction="GB")
    customer = session.get(Case, cases_out.id)
    assert customer is not None
    both = file(session, TRADE, uid="UID-EU-UK", jurisdiction="DE")  # resident GB, files in DE
    run(session, both)
    clocks = _clocks(session, both)
    assert {"CL-1:response", "CL-3:response"} <= set(clocks)
    eight_weeks, two_months = clocks["CL-3:response"], clocks["CL-1:response"]
    assert as_utc(eight_weeks.due_at) < as_utc(two_months.due_at)
    assert eight_weeks.strictest and not two_months.strictest  # CL-7


def test_missing_facts_ask_in_the_customers_language_and_the_answer_returns_to_triage(
    session: Session, world: World,
) -> None:
    skilled_teams(session)
    case = file(session, "我充值的USDT一直没有到账，已经过了三个小时了，请尽快处理。",
                summary="充值没有到账", language="zh-Hans", jurisdiction="HK", uid="UID-ZH")
    decision = run(session, case)
    assert decision.outcome == "needs_info" and case.status == "needs_info"
    question = session.scalars(select(Message).where(
        Message.case_id == case.id, Message.direction == "out")).all()[-1]
    assert "为了处理您的投诉" in question.body and question.visibility == "public"
    assert decision.questions and all("地址" not in q for q in decision.questions)  # DC-5
    assert any("DC-5" in n or "holds" in n for n in decision.not_asked)

    carol = Principal(kind="customer", id=case.customer_id, name="")
    cases.add_message(session, carol, case.reference, MessageIn(
        body="交易哈希 0x" + "ab" * 32 + "，网络是 TRC20，金额 500 USDT。"))
    session.refresh(case)
    assert case.status == "triaged"
    report = sweep.sweep(session)
    assert report.retriaged == 1
    job = session.scalars(select(Job).where(Job.kind == "triage.case",
                                            Job.key == f"triage:{case.id}:1")).one()
    assert json.loads(job.payload) == {"case_id": case.id}
    again = run(session, case)
    assert again.outcome == "routed" and again.runs == 2 and not again.awaiting_info


def test_low_confidence_goes_to_the_human_triage_queue_with_the_reason(
    session: Session, world: World,
) -> None:
    case = file(session, "🙂🙂🙂", summary="???")
    decision = run(session, case)
    assert decision.outcome == "human_triage" and decision.needs_human
    assert case.status == "received" and case.assignee_id is None
    assert any("human triage" in r for r in decision.routing_reasons)
    assert decision.classification["reasons"]
    assert session.get(TriageDecision, case.id) is not None
    assert _clocks(session, case)  # the regulatory clocks run whatever triage decides
