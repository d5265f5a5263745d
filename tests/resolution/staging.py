"""Helpers of the resolution tests: a case investigated on the simulated exchange, with the
findings its analyses produced, ready for a decision."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ombud.evidence import queries
from ombud.evidence.schemas import FindingOut
from ombud.resolution.schemas import PointIn, ProposalIn, RemedyIn
from ombud.resolution.service import Config
from tests.conftest import World
from tests.evidence.investigation import investigate, stage

CFG = Config(public_url="http://testserver")


def ready_case(world: World, session: Session, account: str,
               scenario: str = "delayed_fill") -> tuple[str, FindingOut]:
    """A case of ``scenario`` under investigation, and its finding with the largest loss."""
    _, ref = stage(world.settings, session, scenario, account)
    investigate(world.settings, session, world.staff["admin"], ref)
    found = queries.evidence_page(session, world.staff["admin"], ref).findings
    assert found, f"the {scenario} analyses made no finding"
    return ref, max(found, key=lambda f: f.loss_usd or Decimal(0))


def compensation(finding: FindingOut, amount: Decimal | None = None,
                 justification: str = "") -> ProposalIn:
    """Uphold the complaint and pay ``amount`` (default: the measured loss) under TD-1."""
    return ProposalIn(
        outcome="upheld", summary="Our engine filled your order late.",
        justification=justification,
        points=[PointIn(point="My order was filled late.", finding_id=finding.id, upheld=True,
                        reason="The replay shows the fill came after the market moved.")],
        remedies=[RemedyIn(kind="compensation", clause_id="TD-1", asset=finding.loss_asset,
                           amount=amount if amount is not None else finding.loss_amount,
                           finding_id=finding.id)])
