"""Verdicts of the liquidation recomputation, settlement and bad input."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ombud.evidence.liquidation import adl, okx
from ombud.evidence.liquidation.levels import liquidation_levels
from ombud.evidence.liquidation.model import (
    Candle,
    ContractType,
    MarginMode,
    Position,
    Side,
)
from ombud.evidence.liquidation.recompute import Verdict, recompute_liquidation
from tests.evidence.liquidation.factories import (
    BINANCE_RULES,
    OKX_RULES,
    T0,
    binance_position,
    flat,
    okx_position,
)

LIQ_LONG = D(54_000) / D("0.9955")  # 54,244.0984…
LIQ_SHORT = D(66_000) / D("1.0045")  # 65,704.3305…


def _minute(i: int) -> datetime:
    return T0 + timedelta(minutes=i)


def _path_with_dip(n: int, at: int, low: D) -> list[Candle]:
    candles = flat(T0, n, D(57_000), D(57_100), D(57_050))
    candles[at] = Candle(_minute(at), D(57_000), D(57_000), low, D(56_000))
    return candles


def test_triggered_correctly_cites_every_number() -> None:
    result = recompute_liquidation(
        okx_position(), OKX_RULES, _path_with_dip(10, 6, D(54_100)),
        window_start=T0, liquidated_at=_minute(6) + timedelta(seconds=30),
        fill_price=D(54_200), insurance_fund_balance=D(1_000_000),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.basis == "mark_candle"
    assert result.first_crossing is not None and result.first_crossing.ts == _minute(6)
    assert result.crossing_price == D(54_100)
    assert result.crossing_count == 1
    assert result.trigger_to_liquidation == timedelta(seconds=30)
    assert result.levels.liquidation_price == LIQ_LONG
    assert result.levels.bankruptcy_price == D(54_000)
    assert result.margin_ratio_at_crossing is not None and result.margin_ratio_at_crossing < 1
    assert result.missing_minutes == ()
    s = result.settlement
    assert s is not None
    assert (s.equity_at_fill, s.liquidation_fee, s.surplus_to_fund) == (
        D(200), D("27.1000"), D("172.9000"))
    assert s.insurance_fund_inflow == D(200)
    assert (s.bankruptcy_loss, s.covered_by_fund, s.socialised_loss) == (D(0), D(0), D(0))
    assert s.adl_required is False
    assert "54244.0984" in result.reason


def test_triggered_early_when_window_fully_covered_and_later_crossing_shown() -> None:
    result = recompute_liquidation(
        okx_position(), OKX_RULES, _path_with_dip(20, 15, D(54_000)),
        window_start=T0, liquidated_at=_minute(9), window_end=_minute(19),
    )
    assert result.verdict is Verdict.TRIGGERED_EARLY
    assert result.first_crossing is None
    assert result.later_crossing is not None and result.later_crossing.ts == _minute(15)
    assert result.window_end == _minute(19)


def test_missing_candles_make_the_verdict_undetermined() -> None:
    candles = flat(T0, 10, D(57_000), D(57_100), D(57_050))
    del candles[3:6]
    result = recompute_liquidation(
        okx_position(), OKX_RULES, candles, window_start=T0, liquidated_at=_minute(9),
    )
    assert result.verdict is Verdict.UNDETERMINED
    assert result.missing_minutes == (_minute(3), _minute(4), _minute(5))
    assert "missing for 2026-03-02 08:03–08:05 UTC" in result.reason


def test_no_candles_at_all_is_undetermined() -> None:
    result = recompute_liquidation(
        okx_position(), OKX_RULES, [], window_start=T0, liquidated_at=_minute(2),
    )
    assert result.verdict is Verdict.UNDETERMINED
    assert len(result.missing_minutes) == 3


def test_crossing_before_a_gap_still_decides() -> None:
    candles = _path_with_dip(10, 2, D(54_000))
    del candles[5]
    result = recompute_liquidation(
        okx_position(), OKX_RULES, candles, window_start=T0, liquidated_at=_minute(9),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.missing_minutes == (_minute(5),)


def test_gap_before_the_crossing_is_noted() -> None:
    candles = _path_with_dip(10, 6, D(54_000))
    del candles[2]
    result = recompute_liquidation(
        okx_position(), OKX_RULES, candles, window_start=T0, liquidated_at=_minute(9),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert any("earlier crossing" in n for n in result.notes)


def test_mark_price_wick_against_index() -> None:
    marks = _path_with_dip(10, 6, D(54_100))
    index = flat(T0, 10, D(56_800), D(57_100), D(57_000))
    result = recompute_liquidation(
        okx_position(), OKX_RULES, marks, window_start=T0, liquidated_at=_minute(7),
        index_candles=index, wick_threshold=D("0.02"),
    )
    assert result.verdict is Verdict.MARK_PRICE_WICK
    assert result.wick_deviation == (D(56_800) - D(54_100)) / D(56_800)
    assert result.index_candle is not None and result.index_candle.ts == _minute(6)


def test_no_wick_when_index_also_reached_the_liquidation_price() -> None:
    marks = _path_with_dip(10, 6, D(50_000))
    index = flat(T0, 10, D(56_800), D(57_100), D(57_000))
    index[6] = Candle(_minute(6), D(57_000), D(57_000), D(54_200), D(55_000))
    result = recompute_liquidation(
        okx_position(), OKX_RULES, marks, window_start=T0, liquidated_at=_minute(7),
        index_candles=index,
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.wick_deviation is not None and result.wick_deviation > D("0.07")


def test_wick_check_notes_missing_index_candle() -> None:
    marks = _path_with_dip(10, 6, D(54_100))
    index = flat(T0, 5, D(56_800), D(57_100), D(57_000))
    result = recompute_liquidation(
        okx_position(), OKX_RULES, marks, window_start=T0, liquidated_at=_minute(7),
        index_candles=index,
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert any("wick check was not possible" in n for n in result.notes)


def test_short_crosses_on_the_high() -> None:
    candles = flat(T0, 5, D(60_000), D(60_100), D(60_050))
    candles[3] = Candle(_minute(3), D(60_050), D(65_800), D(60_000), D(61_000))
    result = recompute_liquidation(
        okx_position(Side.SHORT), OKX_RULES, candles, window_start=T0, liquidated_at=_minute(4),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert result.levels.liquidation_price == LIQ_SHORT
    assert result.crossing_price == D(65_800)


def test_not_reached_and_liquidation_due_without_a_liquidation() -> None:
    quiet = flat(T0, 10, D(57_000), D(57_100), D(57_050))
    result = recompute_liquidation(
        okx_position(), OKX_RULES, quiet, window_start=T0, window_end=_minute(9),
    )
    assert result.verdict is Verdict.NOT_REACHED
    due = recompute_liquidation(
        okx_position(), OKX_RULES, _path_with_dip(10, 4, D(54_000)), window_start=T0,
        window_end=_minute(9),
    )
    assert due.verdict is Verdict.LIQUIDATION_DUE
    assert due.first_crossing is not None and due.first_crossing.ts == _minute(4)


def test_trigger_price_contradicting_full_candles_is_undetermined() -> None:
    result = recompute_liquidation(
        okx_position(), OKX_RULES, flat(T0, 10, D(57_000), D(57_100), D(57_050)),
        window_start=T0, liquidated_at=_minute(9), trigger_price=D(54_200),
    )
    assert result.verdict is Verdict.UNDETERMINED
    assert "disagree" in result.reason
    assert result.margin_ratio_at_trigger is not None and result.margin_ratio_at_trigger < 1


def test_unreachable_liquidation_price_means_triggered_early() -> None:
    one_x = Position("BTC-USDT-SWAP", Side.LONG, D(1), D(60_000), MarginMode.ISOLATED, D(1))
    result = recompute_liquidation(
        one_x, OKX_RULES, [], window_start=T0, liquidated_at=_minute(3),
    )
    assert result.levels.liquidation_price is None
    assert result.levels.bankruptcy_price is None
    assert result.verdict is Verdict.TRIGGERED_EARLY


def test_binance_recompute_notes_missing_fee_rate_and_bracket_shift() -> None:
    # 0.85 BTC @ 60,000: notional 51,000 (bracket 2); notional at LP ≈ 46,000 (bracket 1)
    position = binance_position(Side.LONG, D("0.85"), D(5100))
    levels = liquidation_levels(position, BINANCE_RULES)
    assert levels.tier == 1
    assert levels.liquidation_price == (D(5100) - D(51_000)) / (D("0.85") * D("0.004") - D("0.85"))
    assert any("bracket 1" in n for n in levels.notes)
    result = recompute_liquidation(
        position, BINANCE_RULES, _path_with_dip(5, 2, D(54_000)), window_start=T0,
        liquidated_at=_minute(3), fill_price=D(54_100),
    )
    assert result.verdict is Verdict.TRIGGERED_CORRECTLY
    assert any("fee taken as 0" in n for n in result.notes)
    assert result.margin_ratio_at_crossing is not None and result.margin_ratio_at_crossing < 1


def test_settlement_deficit_is_covered_then_socialised() -> None:
    s = adl.settle(okx_position(), D(53_900), D("0.0005"), insurance_fund_balance=D(60))
    assert (s.equity_at_fill, s.liquidation_fee, s.surplus_to_fund) == (D(-100), D(0), D(0))
    assert (s.bankruptcy_loss, s.covered_by_fund, s.socialised_loss) == (D(100), D(60), D(40))
    assert s.adl_required is True
    assert adl.settle(okx_position(), D(53_900), D("0.0005")).adl_required is None


def test_okx_adl_trigger_at_30_percent_drawdown() -> None:
    assert adl.okx_adl_trigger(D(70), D(100)).triggered
    below = adl.okx_adl_trigger(D("70.01"), D(100))
    assert not below.triggered and below.drawdown == D("0.2999")


def test_inverse_margin_ratio_is_one_at_its_liquidation_price() -> None:
    for side in Side:
        position = Position("BTC-USD-SWAP", side, D(100), D(60_000), MarginMode.ISOLATED, D(10),
                            ct_val=D(100), contract_type=ContractType.INVERSE)
        liq = okx.liquidation_price(position, D("0.005"), D("0.0005"))
        assert liq is not None
        ratio = okx.margin_ratio(position, liq, D("0.005"), D("0.0005"))
        assert abs(ratio - 1) < D("1e-20")


def test_spot_margin_liquidation_price() -> None:
    # long: borrowed 50,000 USDT (+10 interest), holds 1 BTC
    long_px = okx.spot_margin_liquidation_price(
        Side.LONG, D(50_000), D(10), D(1), D("0.1"), D("0.001"))
    assert long_px == D(50_010) * D("1.1") * D("1.001")
    short_px = okx.spot_margin_liquidation_price(
        Side.SHORT, D(1), D(0), D(70_000), D("0.1"), D("0.001"))
    assert short_px == D(70_000) / (D("1.1") * D("1.001"))


def test_candle_from_okx_row() -> None:
    c = Candle.from_okx_row(["1772438400000", "57000", "57100", "56900", "57050", "0"])
    assert c.ts == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert (c.high, c.low, c.confirmed) == (D(57_100), D(56_900), False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": D(-1)}, "size must be a positive"),
        ({"size": D(0)}, "size must be a positive"),
        ({"leverage": D(1000)}, "leverage must be between 1 and 200"),
        ({"leverage": D("0.5")}, "leverage must be between 1 and 200"),
        ({"entry_price": D("NaN")}, "entry_price must be a positive finite"),
        ({"margin": D(-5)}, "margin must be a positive"),
    ],
)
def test_bad_position_raises_a_clear_error(kwargs: dict[str, D], message: str) -> None:
    def make(size: D = D(1), entry_price: D = D(60_000), leverage: D = D(10),
             margin: D | None = None) -> Position:
        return Position("X", Side.LONG, size, entry_price, MarginMode.ISOLATED, leverage, margin)

    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_float_inputs_are_refused() -> None:
    with pytest.raises(TypeError, match="size must be a Decimal"):
        Position("X", Side.LONG, 1.5, D(1), MarginMode.ISOLATED, D(10))  # type: ignore[arg-type]


def test_bad_candles_and_windows() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        Candle(datetime(2026, 1, 1), D(1), D(1), D(1), D(1))
    with pytest.raises(ValueError, match="not aligned"):
        Candle(T0 + timedelta(seconds=5), D(1), D(1), D(1), D(1))
    with pytest.raises(ValueError, match="low/high"):
        Candle(T0, D(2), D(3), D("2.5"), D(2))
    twice = flat(T0, 1, D(1), D(2), D("1.5")) * 2
    with pytest.raises(ValueError, match="two candles"):
        recompute_liquidation(okx_position(), OKX_RULES, twice, window_start=T0,
                              liquidated_at=_minute(1))
    with pytest.raises(ValueError, match="before its start"):
        recompute_liquidation(okx_position(), OKX_RULES, [], window_start=_minute(5),
                              liquidated_at=T0)
    with pytest.raises(ValueError, match="window_end is before liquidated_at"):
        recompute_liquidation(okx_position(), OKX_RULES, [], window_start=T0,
                              liquidated_at=_minute(5), window_end=_minute(4))
    with pytest.raises(ValueError, match="liquidated_at or window_end"):
        recompute_liquidation(okx_position(), OKX_RULES, [], window_start=T0)


def test_size_beyond_tier_table_raises() -> None:
    big = okx_position()
    with pytest.raises(ValueError, match="exceeds the largest tier"):
        okx.tier_for_size(OKX_RULES.tiers, big.size * 100)
