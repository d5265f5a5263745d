"""The fast Binance decoder gives exactly what the plain (split-every-level) decoder gives."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ombud.evidence.replay.binance as binance
from ombud.evidence.replay import Capture, DataGap, Instrument, Kind
from ombud.evidence.replay.decode import EventBuilder, decimals_to_units, finest_unit
from ombud.evidence.replay.pairs import Irregular, PairSpanBuilder
from tests.evidence.replay.conftest import SPOT, USDM


def assert_same(fast: Capture, plain: Capture) -> None:
    assert fast.instrument == plain.instrument
    assert fast.source == plain.source
    for name in fast.events.COLUMNS:
        got, want = getattr(fast.events, name), getattr(plain.events, name)
        assert got.dtype == want.dtype, name
        assert np.array_equal(got, want), name
    for name in fast.trades.COLUMNS:
        got, want = getattr(fast.trades, name), getattr(plain.trades, name)
        assert got.dtype == want.dtype, name
        assert np.array_equal(got, want), name
    assert fast.findings == plain.findings


def fast_only(
    monkeypatch: pytest.MonkeyPatch, source: Path | Iterable[bytes],
    instrument: Instrument | None = None,
) -> Capture:
    """import_binance that fails instead of falling back to the plain decoder."""
    with monkeypatch.context() as patch:
        patch.setattr(binance, "_import_plain", _no_fallback)
        return binance.import_binance(source, instrument)


def _no_fallback(data: bytes, instrument: Instrument | None) -> Capture:
    raise AssertionError("the fast decoder fell back to the plain one")


@pytest.mark.parametrize("path", [SPOT, USDM], ids=["spot", "usdm"])
def test_real_capture_fast_equals_plain(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    plain = binance.import_binance(path, fast=False)
    fast = fast_only(monkeypatch, path)
    assert_same(fast, plain)
    assert len(fast.events) > 100_000 and len(fast.trades) > 6_000


def test_explicit_instrument_fast_equals_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    instrument = Instrument("ETHUSDT", Decimal("0.005"), Decimal("0.000001"))
    assert_same(fast_only(monkeypatch, SPOT, instrument),
                binance.import_binance(SPOT, instrument, fast=False))


def test_gaps_fast_equal_plain(
    monkeypatch: pytest.MonkeyPatch, spot_lines: list[bytes], usdm_lines: list[bytes]
) -> None:
    for lines, victim in ((spot_lines, 100), (usdm_lines, 500)):
        depth = [i for i, line in enumerate(lines) if b"@depth" in line[:80]]
        cut = lines[: depth[victim]] + lines[depth[victim] + 1 :]
        plain = binance.import_binance(cut, fast=False)
        assert [type(f) for f in plain.findings] == [DataGap]
        assert_same(fast_only(monkeypatch, cut), plain)


def test_diffs_before_a_second_snapshot(
    monkeypatch: pytest.MonkeyPatch, spot_lines: list[bytes]
) -> None:
    """A gap closed by a later snapshot; diffs received before it wait for it (pending)."""
    depth = [i for i, line in enumerate(spot_lines) if b"@depth" in line[:80]]
    snapshot = next(line for line in spot_lines if b'{"lastUpdateId"' in line[:40])
    ts, body = snapshot.split(b" ", 1)
    late = json.loads(body)
    late["lastUpdateId"] = json.loads(spot_lines[depth[300]].split(b" ", 1)[1])["data"]["u"]
    moved = b"%s %s" % (ts, json.dumps(late, separators=(",", ":")).encode())
    lines = spot_lines[: depth[200]] + spot_lines[depth[200] + 1 : depth[310]] + [moved] + (
        spot_lines[depth[310] :])
    plain = binance.import_binance(lines, fast=False)
    assert int((plain.events.kind == Kind.CLEAR).sum()) == 2
    assert any(isinstance(f, DataGap) and f.ts_to < 2**62 for f in plain.findings)
    assert_same(fast_only(monkeypatch, lines), plain)


IRREGULAR = [
    # spaces inside the level arrays: not the strict layout, the plain decoder takes over
    (b'"b":[["2681.62","1.5"]]', b'"b":[["2681.62", "1.5"]]'),
    # numbers instead of strings
    (b'"b":[["2681.62","1.5"]]', b'"b":[[2681.62,1.5]]'),
    # field order the strict head pattern does not know
    (b'"e":"depthUpdate","E":', b'"E":'),
]


@pytest.mark.parametrize(("old", "new"), IRREGULAR)
def test_irregular_layout_falls_back_to_plain(old: bytes, new: bytes) -> None:
    lines = [
        b'1 {"lastUpdateId":10,"bids":[["2681.60","2.0"]],"asks":[["2681.70","1.0"]]}',
        b'2 {"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161256303,'
        b'"s":"ETHUSDT","U":9,"u":11,"b":[["2681.62","1.5"]],"a":[["2681.70","0"]]}}',
        b'3 {"stream":"ethusdt@trade","data":{"e":"trade","E":1723161256560,'
        b'"T":1723161256560,"s":"ETHUSDT","t":7,"p":"2681.62","q":"1.000","m":true}}',
    ]
    lines = [line.replace(old, new) for line in lines]
    try:
        plain = binance.import_binance(lines, fast=False)
    except ValueError as error:  # the plain decoder's error, raised by the default one too
        with pytest.raises(ValueError, match=str(error)):
            binance.import_binance(lines)
        return
    assert_same(binance.import_binance(lines), plain)


def test_bad_decimal_raises_like_plain() -> None:
    lines = [
        b'1 {"lastUpdateId":10,"bids":[["2681.60","2.0"]],"asks":[["2681.70","1.0"]]}',
        b'2 {"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161256303,'
        b'"s":"ETHUSDT","U":9,"u":11,"b":[["2681.6x","1.5"]],"a":[]}}',
    ]
    with pytest.raises(ValueError, match="malformed"):
        binance.import_binance(lines)


def test_irregular_pairs_are_refused() -> None:
    for text in (b'"1","2"', b'"1","2"],["3"', b'"1", "2"', b'"1","2"],["3","4"]'):
        builder = PairSpanBuilder(text)
        builder.ranges(0, 0, Kind.DIFF, 1, (0, len(text)), (0, 0))
        if text == b'"1","2"':
            assert builder.build(Decimal(1), Decimal(1)).price.tolist() == [1]
        else:
            with pytest.raises(Irregular):
                builder.build(Decimal(1), Decimal(1))


decimal_text = st.builds(
    lambda whole, frac, dot: (whole + (b"." + frac if dot else b"")),
    st.text("0123456789", min_size=0, max_size=7).map(str.encode),
    st.text("0123456789", min_size=0, max_size=7).map(str.encode),
    st.booleans(),
).filter(lambda text: any(ch in b"0123456789" for ch in text))
UNITS = [Decimal("1"), Decimal("0.01"), Decimal("0.00001"), Decimal("0.05"), Decimal("10"),
         Decimal("1E-9")]


@given(st.lists(st.tuples(decimal_text, decimal_text), min_size=1, max_size=30),
       st.integers(min_value=0, max_value=30), st.sampled_from(UNITS), st.sampled_from(UNITS))
def test_pair_decoding_equals_plain_decoding(
    levels: list[tuple[bytes, bytes]], split: int, tick: Decimal, lot: Decimal
) -> None:
    """Same rows as EventBuilder + decimals_to_units, or Irregular where they raise."""
    flat = [value for level in levels for value in level]
    bids, asks = flat[: 2 * split], flat[2 * split :]
    text = b"],[".join(b'"%s","%s"' % level for level in levels)
    cut = _cut(text, split, len(levels))
    fast = PairSpanBuilder(b"xx" + text)
    fast.clear(5, 6, 7)
    fast.ranges(1, 2, Kind.DIFF, 3, (2, 2 + cut[0]), (2 + cut[1], 2 + len(text)))
    plain = EventBuilder()
    plain.clear(5, 6, 7)
    plain.levels(1, 2, Kind.DIFF, 3, bids, asks)
    prices, qtys = plain.strings()
    assert fast.finest_units() == (finest_unit(prices), finest_unit(qtys))
    try:
        want = plain.build(tick, lot)
    except ValueError:
        with pytest.raises(Irregular):
            fast.build(tick, lot)
        return
    got = fast.build(tick, lot)
    for name in want.COLUMNS:
        assert getattr(got, name).dtype == getattr(want, name).dtype
        assert np.array_equal(getattr(got, name), getattr(want, name)), name


def _cut(text: bytes, split: int, count: int) -> tuple[int, int]:
    """End of the first `split` levels' text and start of the rest, in `text`."""
    if split <= 0:
        return 0, 0
    if split >= count:
        return len(text), len(text)
    pos = -1
    for _ in range(split):
        pos = text.find(b"],[", pos + 1)
    return pos, pos + 3


def test_snapshot_levels_with_quotes_are_refused() -> None:
    builder = PairSpanBuilder(b"")
    with pytest.raises(Irregular):
        builder.levels(0, 0, Kind.SNAPSHOT, 1, [b'1"', b"2"], [])


def test_decimals_to_units_reference_still_exact() -> None:
    assert decimals_to_units([b"2681.62", b"0.01"], Decimal("0.01")).tolist() == [268162, 1]
