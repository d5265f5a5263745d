"""The remedy policy: suggestions cite their clause; bad remedies are refused with a reason;
approval is needed above the proposer's limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ombud.common.errors import Invalid
from ombud.resolution import policy as rules
from ombud.resolution.default_policy import DEFAULT_POLICY
from ombud.resolution.policy import FindingFacts, RemedyDraft, RemedyKind

POLICY = rules.parse(DEFAULT_POLICY)
LOSS = FindingFacts(finding_id=1, fault="platform", verdict="platform_fault", loss_asset="USDT",
                    loss_amount=Decimal("120.5"), loss_usd=Decimal("120.5"))


def test_the_document_round_trips_and_a_broken_one_is_named() -> None:
    assert rules.parse(rules.dump(POLICY)) == POLICY
    broken = dict(DEFAULT_POLICY, fault_share={"platform": "1.5"})
    with pytest.raises(Invalid, match="fraction"):
        rules.parse(broken)
    with pytest.raises(Invalid, match="lacks 'caps_usd'"):
        rules.parse({k: v for k, v in DEFAULT_POLICY.items() if k != "caps_usd"})


def test_a_platform_fault_loss_is_compensated_in_full_citing_the_clause() -> None:
    [comp] = rules.suggest(POLICY, "trade_dispute", [LOSS])
    assert (comp.kind, comp.clause_id, comp.asset, comp.amount, comp.usd) == (
        RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal("120.5"), Decimal("120.50"))


def test_an_undetermined_fault_pays_its_share_and_a_customer_fault_gets_an_explanation() -> None:
    half = FindingFacts(2, "undetermined", "unclear", "BTC", Decimal("0.00000003"),
                        Decimal("0.0021"))
    [comp] = rules.suggest(POLICY, "trade_dispute", [half])
    assert comp.amount == Decimal("0.00000001")  # half of 3 sat, rounded down to a satoshi
    own = FindingFacts(3, "customer", "within_expectation", "USDT", Decimal(50), Decimal(50))
    kinds = [d.kind for d in rules.suggest(POLICY, "trade_dispute", [own])]
    assert kinds == [RemedyKind.EXPLANATION, RemedyKind.GUIDANCE]


def test_the_category_cap_limits_a_suggestion() -> None:
    big = FindingFacts(4, "platform", "platform_fault", "BTC", Decimal(10), Decimal(600000))
    [comp] = rules.suggest(POLICY, "trade_dispute", [big])
    assert comp.usd is not None and comp.usd <= Decimal(25000)
    assert comp.amount == Decimal("0.41666666")


@pytest.mark.parametrize(("draft", "message"), [
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal(-5), finding_id=1),
     "must be positive"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal("1e16"), finding_id=1),
     "implausibly large"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "DOGE", Decimal(5), finding_id=1),
     "does not pay remedies in DOGE"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "BTC", Decimal(1), finding_id=1),
     "loss was in USDT"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal("0.0000001"), finding_id=1),
     "6 decimal places"),
    (RemedyDraft(RemedyKind.FEE_REFUND, "TD-1", "USDT", Decimal(1), finding_id=1),
     "gives compensation"),
    (RemedyDraft(RemedyKind.COMPENSATION, "LQ-1", "USDT", Decimal(1), finding_id=1),
     "does not apply to trade_dispute"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal(30000), finding_id=1),
     "over the trade_dispute cap"),
    (RemedyDraft(RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal(5)),
     "must answer a finding"),
])
def test_bad_remedies_are_refused_with_the_reason(draft: RemedyDraft, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        rules.validate(POLICY, "trade_dispute", draft, {1: LOSS})


def test_approval_is_needed_above_the_proposers_limit_or_for_large_goodwill() -> None:
    comp = rules.validate(POLICY, "trade_dispute", RemedyDraft(
        RemedyKind.COMPENSATION, "TD-1", "USDT", Decimal("120.5"), finding_id=1), {1: LOSS})
    assert not rules.check(POLICY, "specialist", [comp]).needs_approval
    assert rules.check(POLICY, "agent", [comp]).approval_reasons == (
        "120.50 USD is above the agent limit of 0 USD",)
    gift = rules.validate(POLICY, "trade_dispute", RemedyDraft(
        RemedyKind.GOODWILL, "GW-1", "USDT", Decimal(80), usd=Decimal(80)), {})
    assert "goodwill of 80 USD" in rules.check(POLICY, "approver", [gift]).approval_reasons[0]
    assert rules.can_approve(POLICY, "approver", Decimal(25000))
    assert not rules.can_approve(POLICY, "supervisor", Decimal("10000.01"))
