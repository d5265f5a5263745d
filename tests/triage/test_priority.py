"""Priority and impact: every point has a reason; security and risk to life are urgent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ombud.cases.taxonomy import Category, Priority
from ombud.triage.priority import (
    Complexity,
    Impact,
    PriorityInput,
    Tier,
    assess,
    vulnerability_signs,
)


def test_small_fee_complaint_is_low() -> None:
    a = assess(PriorityInput(Category.FEES, "fee too high", Decimal("12.50")))
    assert (a.priority, a.impact, a.severity) == (Priority.LOW, Impact.LOW, 4)
    assert a.reasons[-1] == "0 points -> low"


@pytest.mark.parametrize(
    ("amount", "priority", "impact"),
    [("999.99", Priority.LOW, Impact.LOW), ("1000", Priority.NORMAL, Impact.MEDIUM),
     ("10000", Priority.NORMAL, Impact.HIGH), ("250000", Priority.HIGH, Impact.CRITICAL)],
)
def test_amount_bands(amount: str, priority: Priority, impact: Impact) -> None:
    a = assess(PriorityInput(Category.TRADE_DISPUTE, "", Decimal(amount)))
    assert (a.priority, a.impact) == (priority, impact)
    assert "amount in dispute" in a.reasons[0]


def test_no_amount_has_a_visible_reason() -> None:
    a = assess(PriorityInput(Category.KYC, "verification rejected"))
    assert a.priority is Priority.NORMAL and a.impact is Impact.MEDIUM
    assert a.reasons[0].startswith("no amount in dispute recorded")


def test_account_security_is_urgent_with_immediate_action() -> None:
    a = assess(PriorityInput(Category.ACCOUNT_SECURITY, "hacked", Decimal("50")))
    assert a.priority is Priority.URGENT and a.immediate_action
    assert a.impact is Impact.HIGH and a.severity == 1
    assert any("immediate action" in r for r in a.reasons)


@pytest.mark.parametrize(
    ("text", "sign"),
    [("I am 82 years old and retired", "elderly"), ("我是退休老人", "elderly"),
     ("I'm in a wheelchair", "disability or illness"), ("我在住院", "disability or illness"),
     ("my husband passed away", "bereavement"), ("父親過世了", "bereavement"),
     ("that was my life savings", "financial hardship"), ("这是我全部积蓄", "financial hardship"),
     ("I want to kill myself", "risk to life"), ("我不想活了", "risk to life")],
)
def test_vulnerability_signs_in_both_languages(text: str, sign: str) -> None:
    assert sign in vulnerability_signs(text)


def test_no_false_vulnerability_on_ordinary_words() -> None:
    assert vulnerability_signs("the current price is impressive, I pressed buy immediately") == ()


def test_risk_to_life_is_urgent_whatever_the_category() -> None:
    a = assess(PriorityInput(Category.FEES, "I want to end my life", Decimal("5")))
    assert a.priority is Priority.URGENT and a.immediate_action
    assert "risk to life" in a.vulnerability


def test_points_add_up_with_reasons() -> None:
    a = assess(PriorityInput(Category.DEPOSIT_WITHDRAWAL,
                             "I will contact my lawyer and the FCA, and go to the press",
                             Decimal("2000"), repeat_contacts=4, tier=Tier.VIP))
    assert a.mentions == ("regulator", "lawyer", "media")
    # 1 (amount) + 2 (repeat) + 2 + 2 + 1 (mentions) + 1 (tier) = 9
    assert a.reasons[-1] == "9 points -> urgent"
    assert not a.immediate_action
    assert any("repeat contact: 4" in r for r in a.reasons)
    assert any("vip account tier" in r for r in a.reasons)


def test_repeat_contact_and_tier_raise_to_high() -> None:
    a = assess(PriorityInput(Category.TRADE_DISPUTE, "", Decimal("1500"), repeat_contacts=2,
                             tier=Tier.INSTITUTIONAL))
    assert a.priority is Priority.HIGH


def test_complexity_by_category() -> None:
    assert assess(PriorityInput(Category.LIQUIDATION)).complexity is Complexity.COMPLEX
    assert assess(PriorityInput(Category.API)).complexity is Complexity.MODERATE
    assert assess(PriorityInput(Category.KYC)).complexity is Complexity.SIMPLE
    assert assess(PriorityInput(Category.KYC, "my lawyer")).complexity is Complexity.MODERATE


def test_huge_text_is_fine() -> None:
    a = assess(PriorityInput(Category.OTHER, "x" * 150_000 + " suicide"))
    assert a.priority is Priority.NORMAL  # past the 20,000-character cut: not seen
