"""Exact decimal-string decoding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombud.evidence.replay.decode import decimals_to_units, finest_unit


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=50),
       st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=4))
def test_round_trip(units: list[int], places: int, padding: int) -> None:
    unit = Decimal(1).scaleb(-places)
    texts = [f"{Decimal(u) * unit:.{places + padding}f}".encode() for u in units]
    assert decimals_to_units(texts, unit).tolist() == units


def test_non_power_of_ten_unit() -> None:
    assert decimals_to_units([b"1", b"12.5", b"0.05", b"100."], Decimal("0.05")).tolist() == [
        20, 250, 1, 2000]


@pytest.mark.parametrize("bad", [b"1.234", b"1a", b"1.2.3", b"", b"1234567890123456789"])
def test_rejects_what_it_cannot_represent(bad: bytes) -> None:
    with pytest.raises(ValueError):
        decimals_to_units([bad], Decimal("0.01"))


def test_finest_unit() -> None:
    assert finest_unit([b"2683.80000000", b"2683.81000000", b"2684"]) == Decimal("0.01")
    assert finest_unit([b"1.000", b"2"]) == Decimal(1)
