"""The investigation pipeline per scenario: entering investigating captures the evidence, the
analysis runs as a job, and its suggested finding has the scenario's ground-truth verdict."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import TransitionIn
from ombud.cases.tables import Case
from ombud.common.errors import Conflict
from ombud.evidence import queries
from ombud.exchange import SCENARIOS
from ombud.jobs.tables import Job
from tests.conftest import World
from tests.evidence.investigation import investigate, run_jobs, stage


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_pipeline_reaches_the_scenario_verdict(world: World, session: Session, name: str) -> None:
    s, ref = stage(world.settings, session, name, f"U-{name[:10]}")
    who = world.staff["admin"]
    investigate(world.settings, session, who, ref)
    page = queries.evidence_page(session, who, ref)
    (finding,) = page.findings
    assert (finding.verdict, finding.fault.value) == (s.truth.verdict, s.truth.fault)
    assert finding.origin == "analysis" and finding.evidence_ids
    kinds = {e.kind for e in page.evidence}
    assert any(k.startswith("analysis.") for k in kinds)
    if name in ("slippage_on_thin_book", "delayed_fill"):
        assert {"orders", "fills", "books", "trades", "chart.replay"} <= kinds
    result = next(e for e in page.evidence if e.kind.startswith("analysis."))
    assert json.loads(result.data or "{}")["verdict"] == s.truth.verdict
    parked = session.scalars(select(Job).where(Job.status == "parked")).all()
    assert not parked, [(j.kind, j.last_error) for j in parked]


def test_delayed_fill_measures_the_loss_in_usdt_and_usd(world: World, session: Session) -> None:
    s, ref = stage(world.settings, session, "delayed_fill", "UID-DAVE-9")
    investigate(world.settings, session, world.staff["admin"], ref)
    (finding,) = queries.evidence_page(session, world.staff["admin"], ref).findings
    assert finding.loss_asset == "USDT"
    cent = Decimal("0.01")
    assert finding.loss_amount is not None and finding.loss_amount == finding.loss_usd
    assert finding.loss_amount.quantize(cent) == s.truth.figures["delay_cost"].quantize(cent)


def test_a_second_run_of_the_same_jobs_changes_nothing(world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "deposit_missing_memo", "UID-IVAN-3")
    who = world.staff["admin"]
    investigate(world.settings, session, who, ref)
    before = queries.evidence_page(session, who, ref)
    session.execute(Job.__table__.update().values(status="queued", attempts=0))
    session.commit()
    run_jobs(world.settings, session)
    after = queries.evidence_page(session, who, ref)
    assert after == before


def test_the_proposal_guard_sees_findings_that_cite_evidence(
        world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "withdrawal_stuck_in_review", "UID-GRACE-4")
    who = world.staff["admin"]
    assert session.scalars(select(Case.cited_findings).where(Case.reference == ref)).one() == 0
    for event in (Event.TRIAGE, Event.START_INVESTIGATION):
        cases.apply_transition(session, who, ref, TransitionIn(event=event))
    case_id = session.scalars(select(Case.id).where(Case.reference == ref)).one()
    with pytest.raises(Conflict, match="finding that cites evidence"):
        cases.advance(session, who, case_id, Event.PROPOSE)
    run_jobs(world.settings, session)
    session.expire_all()
    assert session.scalars(select(Case.cited_findings).where(Case.reference == ref)).one() == 1
    moved = cases.advance(session, who, case_id, Event.PROPOSE)
    assert moved.status == "proposed"
