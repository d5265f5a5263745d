"""Hypothesis properties of the liquidation formulas and price limits."""

from datetime import timedelta
from decimal import Decimal as D

from hypothesis import assume, given
from hypothesis import strategies as st

from ombud.evidence.liquidation import binance, okx
from ombud.evidence.liquidation.model import (
    BinanceRules,
    Bracket,
    ContractType,
    MarginMode,
    Position,
    Side,
)
from ombud.evidence.liquidation.price_limits import (
    OkxLimitParams,
    OrderSide,
    okx_derivative_limits,
)
from ombud.evidence.liquidation.slippage import walk_book
from tests.evidence.liquidation.factories import T0

prices = st.decimals(min_value=D("0.01"), max_value=D(200_000), places=2)
sizes = st.integers(min_value=1, max_value=10_000).map(D)
leverages = st.integers(min_value=1, max_value=125).map(D)
mmrs = st.decimals(min_value=D("0.001"), max_value=D("0.1"), places=4)
fees = st.decimals(min_value=D(0), max_value=D("0.001"), places=5)
extra = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=2)
contract_types = st.sampled_from(list(ContractType))


def _position(side: Side, size: D, entry: D, lev: D, ct: ContractType,
              margin: D | None = None) -> Position:
    return Position("P", side, size, entry, MarginMode.ISOLATED, lev, margin,
                    ct_val=D("0.01"), contract_type=ct)


@given(sizes, prices, leverages, mmrs, fees, contract_types)
def test_long_liquidation_is_between_bankruptcy_and_entry(
    size: D, entry: D, lev: D, mmr: D, fee: D, ct: ContractType
) -> None:
    assume(1 / lev > mmr + fee)
    p = _position(Side.LONG, size, entry, lev, ct)
    liq, bk = okx.liquidation_price(p, mmr, fee), okx.bankruptcy_price(p)
    if bk is None:
        return
    assert liq is not None
    assert bk < liq < entry


@given(sizes, prices, leverages, mmrs, fees, contract_types)
def test_short_liquidation_is_between_entry_and_bankruptcy(
    size: D, entry: D, lev: D, mmr: D, fee: D, ct: ContractType
) -> None:
    assume(1 / lev > mmr + fee)
    p = _position(Side.SHORT, size, entry, lev, ct)
    liq, bk = okx.liquidation_price(p, mmr, fee), okx.bankruptcy_price(p)
    if liq is None:  # a 1× coin-margined short is fully hedged
        assert ct is ContractType.INVERSE and lev == 1 and bk is None
        return
    assert entry < liq
    assert bk is None or liq < bk


@given(st.sampled_from(list(Side)), sizes, prices, leverages, mmrs, fees, contract_types, extra)
def test_more_margin_moves_the_liquidation_price_away(
    side: Side, size: D, entry: D, lev: D, mmr: D, fee: D, ct: ContractType, more: D
) -> None:
    assume(1 / lev > mmr + fee)
    base = _position(side, size, entry, lev, ct)
    richer = _position(side, size, entry, lev, ct, base.effective_margin + more)
    a, b = okx.liquidation_price(base, mmr, fee), okx.liquidation_price(richer, mmr, fee)
    if a is None:  # unreachable stays unreachable
        assert b is None
    elif b is not None:
        assert b < a if side is Side.LONG else b > a


@given(st.sampled_from(list(Side)), sizes, prices, leverages, mmrs, fees, contract_types)
def test_margin_ratio_is_one_at_the_liquidation_price(
    side: Side, size: D, entry: D, lev: D, mmr: D, fee: D, ct: ContractType
) -> None:
    p = _position(side, size, entry, lev, ct)
    liq = okx.liquidation_price(p, mmr, fee)
    assume(liq is not None)
    assert liq is not None
    assert abs(okx.margin_ratio(p, liq, mmr, fee) - 1) < D("1e-15")


@given(st.sampled_from(list(Side)), st.integers(1, 100).map(D), prices, leverages, mmrs)
def test_binance_liquidation_orders_like_okx(
    side: Side, size: D, entry: D, lev: D, mmr: D
) -> None:
    assume(1 / lev > mmr)
    rules = BinanceRules((Bracket(1, D(0), D(10) ** 9, mmr),))
    p = Position("P", side, size, entry, MarginMode.ISOLATED, lev)
    lp = binance.liquidation_price(p, rules).price
    bk = binance.bankruptcy_price(p, rules)
    if side is Side.LONG:
        assert bk is None or (lp is not None and bk < lp < entry)
    else:
        assert lp is not None and bk is not None and entry < lp < bk


@given(prices, st.decimals(min_value=D(-500), max_value=D(500), places=2),
       st.decimals(min_value=D(0), max_value=D("0.1"), places=3),
       st.decimals(min_value=D(0), max_value=D("0.3"), places=3))
def test_price_limits_bracket_the_index(index: D, premium: D, y: D, z: D) -> None:
    limits = okx_derivative_limits(index, premium, OkxLimitParams(D("0.02"), y, z),
                                   at=T0 + timedelta(hours=1), listed_at=T0)
    assert limits.buy_limit is not None and limits.sell_limit is not None
    assert limits.sell_limit <= index <= limits.buy_limit
    assert limits.buy_limit <= index * (1 + z)
    assert limits.sell_limit >= index * (1 - z)


@given(st.lists(st.tuples(st.integers(1, 1000), st.integers(1, 50)), min_size=1, max_size=20,
                unique_by=lambda lv: lv[0]))
def test_vwap_lies_between_best_and_worst_level_used(raw: list[tuple[int, int]]) -> None:
    levels = sorted((D(p), D(s)) for p, s in raw)
    depth = sum((s for _, s in levels), D(0))
    walk = walk_book(levels, depth, OrderSide.BUY)
    assert levels[0][0] <= walk.vwap <= levels[-1][0]
    assert walk.levels_used == len(levels)
