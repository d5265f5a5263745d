"""`ombud demo` seeds its cases from the simulator's scenarios, each with its verdict; a
second seed keeps the data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud import demo
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.evidence import queries
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SCENARIOS
from ombud.security.permissions import SYSTEM


def test_every_demo_case_has_its_scenarios_verdict_and_a_second_seed_changes_nothing(
        settings: Settings, session: Session) -> None:
    demo.seed(session, settings)
    cases = list(session.scalars(select(Case).order_by(Case.id)))
    assert len(cases) == len(demo.CASES) == len(SCENARIOS)
    staged = demo._stage_scenarios(settings.model_copy(update={"data_dir": settings.data_dir
                                                               / "again"}))
    for case, spec in zip(cases, demo.CASES, strict=True):
        page = queries.evidence_page(session, SYSTEM, case.reference)
        (finding,) = page.findings
        truth = staged[spec[-1]].truth
        assert (finding.verdict, finding.fault.value) == (truth.verdict, truth.fault), spec[-1]
        assert case.status == "investigating" and case.cited_findings == 1
    charts = session.scalar(select(func.count()).where(EvidenceItem.media_type == "image/png"))
    evidence = session.scalar(select(func.count()).select_from(EvidenceItem))
    demo.seed(session, settings)
    assert session.scalar(select(func.count()).select_from(Case)) == len(cases)
    assert session.scalar(select(func.count()).select_from(EvidenceItem)) == evidence
    assert charts == 4  # the two replays and the two liquidation checks draw one chart each
