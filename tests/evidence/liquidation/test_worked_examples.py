"""Every worked example of exchange-domain.md §2, with the document's numbers."""

from datetime import timedelta
from decimal import Decimal as D

from ombud.evidence.liquidation import adl, binance, okx
from ombud.evidence.liquidation.candles import minutes_between
from ombud.evidence.liquidation.levels import liquidation_levels
from ombud.evidence.liquidation.model import Bracket, Side
from ombud.evidence.liquidation.price_limits import (
    OkxLimitParams,
    OrderSide,
    check_fill,
    okx_derivative_limits,
)
from ombud.evidence.liquidation.recompute import Verdict, recompute_liquidation
from ombud.evidence.liquidation.slippage import delay_cost
from tests.evidence.liquidation.factories import (
    BINANCE_RULES,
    OKX_RULES,
    T0,
    binance_position,
    flat,
    okx_position,
)

CENT = D("0.01")
MMR, FEE = D("0.004"), D("0.0005")


# §2.1 OKX isolated linear -------------------------------------------------------------

def test_okx_long_liquidation_price() -> None:
    liq = okx.liquidation_price(okx_position(), MMR, FEE)
    assert liq is not None
    assert liq.quantize(CENT) == D("54244.10")
    assert D(54_000) / D("0.9955") == liq


def test_okx_equity_equals_requirement_at_liquidation_price() -> None:
    liq = D("54244.10")
    equity = D(6000) + (liq - D(60_000))
    requirement = liq * (MMR + FEE)
    assert equity.quantize(CENT) == D("244.10")
    assert requirement.quantize(CENT) == D("244.10")
    assert okx.margin_ratio(okx_position(), liq, MMR, FEE).quantize(CENT) == D("1.00")


def test_okx_margin_ratio_at_57000() -> None:
    ratio = okx.margin_ratio(okx_position(), D(57_000), MMR, FEE)
    assert ratio == D(3000) / (D(57_000) * D("0.0045"))
    assert ratio.quantize(CENT) == D("11.70")


def test_okx_bankruptcy_prices() -> None:
    assert okx.bankruptcy_price(okx_position()) == D(54_000)
    assert okx.bankruptcy_price(okx_position(Side.SHORT)) == D(66_000)


def test_okx_short_liquidation_price() -> None:
    liq = okx.liquidation_price(okx_position(Side.SHORT), MMR, FEE)
    assert liq is not None
    assert liq == D(66_000) / D("1.0045")
    assert liq.quantize(CENT) == D("65704.33")


def test_okx_levels_use_tier_in_force() -> None:
    levels = liquidation_levels(okx_position(), OKX_RULES)
    assert (levels.tier, levels.mmr, levels.quantity) == (1, MMR, D(1))
    assert levels.liquidation_price is not None
    assert levels.liquidation_price.quantize(CENT) == D("54244.10")
    assert levels.bankruptcy_price == D(54_000)


def test_okx_verdict_rule_candle_low_at_liquidation_price_is_normal() -> None:
    # a mark candle low ≤ 54,244.10 before the liquidation → normal; the doc compares with
    # the cent-rounded price (exact 54,244.0984…), hence a one-cent tolerance
    candles = flat(T0, 10, D(57_000), D(57_100), D(57_050))
    candles[7] = flat(T0 + timedelta(minutes=7), 1, D("54244.10"), D(57_000), D(56_000))[0]
    result = recompute_liquidation(
        okx_position(), OKX_RULES, candles, window_start=T0,
        liquidated_at=T0 + timedelta(minutes=7, seconds=20), price_tolerance=CENT,
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.crossing_price == D("54244.10")


def test_okx_verdict_rule_trigger_px_counts_as_observation() -> None:
    # candles missing, but position history's triggerPx reached the liquidation price
    liquidated_at = T0 + timedelta(minutes=5)
    candles = flat(T0, 3, D(57_000), D(57_100), D(57_050))
    result = recompute_liquidation(
        okx_position(), OKX_RULES, candles, window_start=T0, liquidated_at=liquidated_at,
        trigger_price=D("54240"),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.basis == "trigger_price"
    assert len(result.missing_minutes) == len(minutes_between(T0, liquidated_at)) - 3


# §2.2 Binance USDⓈ-M ----------------------------------------------------------------

def test_binance_cum_from_1000bonk_brackets() -> None:
    brackets = [
        Bracket(1, D(0), D(5000), D("0.015")),
        Bracket(2, D(5000), D(50_000), D("0.02")),
        Bracket(3, D(50_000), D(100_000), D("0.025")),
        Bracket(4, D(100_000), D(1_000_000), D("0.05")),
    ]
    assert [b.cum for b in binance.derive_cum(brackets)] == [D(0), D(25), D(275), D(2775)]


def test_binance_btcusdt_bracket_2_cum_is_50() -> None:
    assert binance.derive_cum(BINANCE_RULES.brackets)[1].cum == D(50)


def test_binance_long_one_btc_in_bracket_1() -> None:
    # The doc solves this in bracket 1 (MMR 0.4%, cum 0) although a 60,000 notional lies in
    # its own bracket 2 (50k–250k); the formula in the bracket the doc used gives its number.
    position = binance_position(Side.LONG, D(1), D(6000))
    price = binance.solve_in_bracket(position, BINANCE_RULES, BINANCE_RULES.brackets[0])
    assert price == D(-54_000) / D("-0.996")
    assert price.quantize(CENT) == D("54216.87")


def test_binance_long_one_btc_bracket_by_notional() -> None:
    # With the bracket chosen by notional (60,000 → bracket 2; 54,221 at LP → bracket 2)
    solved = binance.liquidation_price(binance_position(Side.LONG, D(1), D(6000)), BINANCE_RULES)
    assert solved.price is not None
    assert solved.bracket.bracket == 2
    assert solved.price == D(-53_950) / D("-0.995")
    assert solved.price.quantize(CENT) == D("54221.11")


def test_binance_long_two_btc_bracket_2() -> None:
    position = binance_position(Side.LONG, D(2), D(12_000))
    solved = binance.liquidation_price(position, BINANCE_RULES)
    assert solved.price is not None
    assert solved.price == D(-107_950) / D("-1.99")
    assert solved.price.quantize(CENT) == D("54246.23")
    assert (solved.entry_bracket.bracket, solved.bracket.bracket) == (2, 2)
    assert (2 * solved.price).quantize(D(1)) == D(108_492)
    bracket = solved.bracket
    ratio = binance.margin_ratio(position, BINANCE_RULES, solved.price, bracket)
    assert ratio.quantize(D("0.000001")) == D(1)


def test_binance_short_one_btc_in_bracket_1() -> None:
    position = binance_position(Side.SHORT, D(1), D(6000))
    price = binance.solve_in_bracket(position, BINANCE_RULES, BINANCE_RULES.brackets[0])
    assert price == D(66_000) / D("1.004")
    assert price.quantize(CENT) == D("65737.05")


def test_binance_short_one_btc_bracket_by_notional() -> None:
    solved = binance.liquidation_price(binance_position(Side.SHORT, D(1), D(6000)), BINANCE_RULES)
    assert solved.price is not None
    assert solved.bracket.bracket == 2
    assert solved.price.quantize(CENT) == (D(66_050) / D("1.005")).quantize(CENT)
    assert solved.price.quantize(CENT) == D("65721.39")


# §2.3 Binance mark price --------------------------------------------------------------

def test_binance_mark_price_example() -> None:
    index, rate = D(60_000), D("0.0001")
    price1 = index * (1 + rate * D(4) / D(8))
    assert price1 == D(60_003)
    mark = binance.mark_price(index, rate, timedelta(hours=4), timedelta(hours=8), D(12),
                              D(60_020))
    assert mark == D(60_012)


# §2.4 ADL ranking ---------------------------------------------------------------------

def test_okx_adl_ranking_example() -> None:
    assert adl.okx_adl_score(D("0.50"), D(10)) == D("5.0")
    assert adl.okx_adl_score(D("2.00"), D(2)) == D("4.0")
    order = adl.okx_adl_order({"B": (D("2.00"), D(2)), "A": (D("0.50"), D(10))})
    assert [pid for pid, _ in order] == ["A", "B"]


def test_binance_adl_ranking_example() -> None:
    assert adl.binance_pnl_ratio(D("40.2"), D("4.27")).quantize(CENT) == D("9.41")
    leverage_pnl = adl.binance_leverage_pnl(D("40.2"), D("4.27"), D("0.1342"))
    assert leverage_pnl.quantize(CENT) == D("1.26")


# §2.5 price limits and slippage decomposition -----------------------------------------

def test_okx_price_limit_example() -> None:
    params = OkxLimitParams(x=D("0.02"), y=D("0.02"), z=D("0.05"))
    limits = okx_derivative_limits(D(60_000), D(30), params, at=T0)
    assert limits.buy_limit == D(61_230)
    assert limits.sell_limit == D(58_830)
    assert check_fill(OrderSide.BUY, D(61_230), limits).allowed
    above = check_fill(OrderSide.BUY, D("61230.5"), limits)
    assert not above.allowed and above.excess == D("0.5")


def test_slippage_decomposition_example() -> None:
    at_accept = [(D("60000.0"), D("0.4")), (D("60000.5"), D("0.3")), (D("60001.0"), D("0.5")),
                 (D("60005.0"), D("2.0"))]
    at_fill = [(D(60_010), D("0.6")), (D(60_012), D("1.0")), (D(60_020), D("3.0"))]
    split = delay_cost(at_accept, at_fill, D(3), OrderSide.BUY, D("0.0005"))
    assert split.expected.vwap.quantize(CENT) == D("60003.22")
    assert split.expected_bp.quantize(CENT) == D("0.54")
    assert split.actual.vwap.quantize(CENT) == D("60015.33")
    assert split.actual_bp.quantize(CENT) == D("2.56")
    assert split.delay_cost == D("36.35")
    assert split.taker_fee.quantize(CENT) == D("90.02")
