"""OKX books messages (seqId chain, CRC32) and Tardis incremental_book_L2 CSV."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ombud.evidence.replay import (
    ChecksumMismatch,
    CrossedBook,
    DataGap,
    Instrument,
    Kind,
    OutOfOrder,
    ReplayIndex,
    import_okx,
    import_tardis,
    okx_checksum,
)

ETH = Instrument("ETH-USDT", Decimal("0.1"), Decimal("1"))
TS = 1_723_161_300_000


def test_checksum_matches_okx_doc_vectors() -> None:
    assert okx_checksum([("3366.1", "7"), ("3366", "6")], [("3366.8", "9"), ("3368", "8")]) == (
        -1881014294)
    # bids shorter than asks: the rest of the asks is appended
    assert okx_checksum([("3366.1", "7")], [("3366.8", "9"), ("3368", "8"), ("3372", "8")]) == (
        831078360)


def push(action: str, seq: int, prev: int, bids: list[list[str]], asks: list[list[str]],
         checksum: int | None = None, ts: int = TS) -> str:
    data = {"asks": [[*a, "0", "1"] for a in asks], "bids": [[*b, "0", "1"] for b in bids],
            "ts": str(ts), "seqId": seq, "prevSeqId": prev, "checksum": checksum or 0}
    return json.dumps({"arg": {"channel": "books", "instId": "ETH-USDT"}, "action": action,
                       "data": [data]})


SNAP = push("snapshot", 10, -1, [["3366.1", "7"], ["3366", "6"]],
            [["3366.8", "9"], ["3368", "8"]], checksum=-1881014294)
# removes bid 3366 and adds ask 3372 -> the doc's second vector
UPDATE = push("update", 11, 10, [["3366", "0"]], [["3372", "8"]], checksum=831078360,
              ts=TS + 100)


def test_valid_stream_has_no_findings() -> None:
    capture = import_okx([SNAP, UPDATE, push("update", 11, 11, [], [], ts=TS + 200)], ETH)
    assert capture.findings == []
    book = ReplayIndex.build(capture.events).book_at((TS + 100) * 1_000_000)
    assert book.ask_px.tolist() == [33668, 33680, 33720]
    assert book.bid_px.tolist() == [33661]
    assert capture.events.kind.tolist()[:1] == [Kind.CLEAR]


def test_checksum_mismatch_names_the_seq_id() -> None:
    bad = UPDATE.replace("831078360", "12345")
    capture = import_okx([f"{TS * 1_000_000} {SNAP}", bad], ETH)
    (finding,) = capture.findings
    assert isinstance(finding, ChecksumMismatch)
    assert (finding.seq_id, finding.expected, finding.computed) == (11, 12345, 831078360)
    assert "seqId 11" in finding.describe()


def test_seq_gap_then_resync_on_snapshot() -> None:
    gap = push("update", 13, 12, [["3366.2", "1"]], [], ts=TS + 300)
    again = push("snapshot", 20, -1, [["3366.1", "7"]], [["3366.8", "9"]], ts=TS + 900)
    capture = import_okx([SNAP, UPDATE, gap, again], ETH)
    (finding,) = capture.findings
    assert isinstance(finding, DataGap)
    assert (finding.after_id, finding.next_id) == (11, 12)
    assert (finding.ts_from, finding.ts_to) == ((TS + 300) * 1_000_000, (TS + 900) * 1_000_000)


def test_crossed_book_is_reported_until_it_uncrosses() -> None:
    cross = push("update", 11, 10, [["3367", "1"]], [], ts=TS + 100)
    uncross = push("update", 12, 11, [["3367", "0"]], [], ts=TS + 400)
    capture = import_okx([SNAP, cross, uncross], ETH)
    (finding,) = capture.findings
    assert isinstance(finding, CrossedBook)
    assert (finding.best_bid, finding.best_ask, finding.seq_id) == ("3367", "3366.8", 11)
    assert finding.ts_to == (TS + 400) * 1_000_000


def test_tardis_csv(tmp_path: Path) -> None:
    rows = [
        "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount",
        "okex,ETH-USDT,1000,1005,true,bid,3366.1,7",
        "okex,ETH-USDT,1000,1005,true,ask,3366.8,9",
        "okex,ETH-USDT,2000,2004,false,ask,3366.8,0",
        "okex,ETH-USDT,2000,2004,false,ask,3367.0,4",
        "okex,ETH-USDT,1500,2010,false,bid,3366.0,2",
    ]
    path = tmp_path / "book.csv"
    path.write_text("\n".join(rows) + "\n")
    capture = import_tardis(path, ETH)
    assert capture.events.kind.tolist() == [Kind.CLEAR, Kind.SNAPSHOT, Kind.SNAPSHOT,
                                            Kind.DIFF, Kind.DIFF, Kind.DIFF]
    assert capture.synced_from == 1_000_000
    (finding,) = capture.findings
    assert isinstance(finding, OutOfOrder)
    assert (finding.ts_from, finding.ts_prev) == (1_500_000, 2_000_000)
    book = ReplayIndex.build(capture.events).book_at(2_000_000)
    assert book.ask_px.tolist() == [33670]
    assert book.ask_qty.tolist() == [4]
