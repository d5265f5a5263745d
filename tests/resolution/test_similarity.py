"""Precedent similarity, the range of remedies similar cases got, and the fairness figure."""

from __future__ import annotations

from decimal import Decimal

from ombud.resolution import similarity as sim

BASE = sim.Facts("trade_dispute", "slippage", "platform", "DE", "USDT", Decimal(100),
                 "market order filled far from the quoted price")


def decided(ref: str, remedy: str, **changes: object) -> sim.Decided:
    facts = sim.Facts(**{**BASE.__dict__, **changes})  # type: ignore[arg-type]
    return sim.Decided(ref, facts, Decimal(remedy), ("compensation",), "upheld")


def test_same_facts_are_most_similar_and_another_category_is_never_similar() -> None:
    assert sim.similarity(BASE, BASE) == 1.0
    assert sim.similarity(BASE, sim.Facts(**{**BASE.__dict__, "category": "fees"})) == 0.0
    other_fault = sim.Facts(**{**BASE.__dict__, "fault": "customer"})
    bigger = sim.Facts(**{**BASE.__dict__, "loss_usd": Decimal(10000)})
    assert sim.similarity(BASE, other_fault) < sim.similarity(BASE, bigger) < 1.0


def test_nearest_keeps_the_k_most_similar_above_the_threshold() -> None:
    cases = [decided("C-1", "100"), decided("C-2", "90", loss_usd=Decimal(90)),
             decided("C-3", "0", fault="customer", subcategory="wrong_price", text="x")]
    near = sim.nearest(BASE, cases, k=2)
    assert [n.case.reference for n in near] == ["C-1", "C-2"]
    assert sim.ratio_range(near) == (Decimal("1.0000"), Decimal("1.0000"))


def test_a_remedy_outside_the_precedents_range_is_named() -> None:
    span = (Decimal("0.5"), Decimal("1"))
    assert sim.outside(Decimal("1.2"), span, Decimal("0.25")) is None
    assert sim.outside(Decimal("2"), span, Decimal("0.25")) == (
        "the remedy is 200.00% of the loss; similar decided cases got 50.00% to 100.00%")
    assert sim.outside(Decimal("2"), None, Decimal("0.25")) is None


def test_fairness_is_zero_for_consistent_remedies_and_grows_with_their_spread() -> None:
    assert sim.spread([[Decimal(1), Decimal(1)], [Decimal("0.5"), Decimal("0.5")]]) == 0
    assert sim.spread([[Decimal(0), Decimal(1)]]) == Decimal("0.5000")
    assert sim.spread([[Decimal(1)]]) is None
    assert sim.loss_band(Decimal("0.5")) == 0 and sim.loss_band(Decimal(250)) == 3
