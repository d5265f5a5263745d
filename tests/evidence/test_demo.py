"""`ombud demo` seeds its cases from the simulator's scenarios, each with its verdict; a
second seed keeps the data."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud import demo
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.evidence import queries
from ombud.evidence.tables import EvidenceItem
from ombud.exchange import SCENARIOS
from ombud.resolution import service as resolution
from ombud.security.permissions import SYSTEM


def test_every_demo_case_has_its_scenarios_verdict_and_a_second_seed_changes_nothing(
        settings: Settings, session: Session) -> None:
    demo.seed(session, settings)
    every = list(session.scalars(select(Case).order_by(Case.id)))
    cases, decided = every[:len(demo.CASES)], every[len(demo.CASES):]
    assert len(cases) == len(demo.CASES) == len(SCENARIOS)
    assert [c.status for c in decided] == ["resolved"] * len(demo.PRECEDENTS)
    ready = next(c for c, spec in zip(cases, demo.CASES, strict=True) if spec[-1] == "delayed_fill")
    suggestion = resolution.suggest(session, SYSTEM, ready.reference)
    assert {c.subcategory for c in decided} == {"delayed_fill"}  # triaged by the job
    assert len(suggestion.precedents) >= 2
    assert {p.reference for p in suggestion.precedents} <= {c.reference for c in decided}
    assert suggestion.ratio_range is not None and suggestion.ratio_range[1] == Decimal(1)
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
    assert session.scalar(select(func.count()).select_from(Case)) == len(every)
    assert session.scalar(select(func.count()).select_from(EvidenceItem)) == evidence
    assert charts == 4  # the two replays and the two liquidation checks draw one chart each
