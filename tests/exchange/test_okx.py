"""OKX v5 adapter against a local server that verifies every signature."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from ombud.exchange import (
    ClientIdConflict,
    ExchangeAuthError,
    ExchangeRateLimited,
    ExchangeReader,
    ExchangeRejected,
    ExchangeTimeout,
    ExchangeUnavailable,
    MalformedResponse,
    OkxCredentials,
    OkxExchange,
    OkxHttp,
    RetryPolicy,
    Unsupported,
    sign,
)
from ombud.exchange.dto import LiquidationKind, Side, Window
from ombud.exchange.okx_http import TokenBucket, okx_timestamp
from tests.exchange.okx_fake import (
    KEY,
    OP_KEY,
    OP_PASSPHRASE,
    OP_SECRET,
    PASSPHRASE,
    SECRET,
    T0,
    OkxFake,
    Reply,
    fill_row,
    ok,
)
from tests.exchange.server import serve

START = dt.datetime.fromtimestamp(T0 / 1000, tz=dt.UTC)
WINDOW = Window(START - dt.timedelta(minutes=5), START + dt.timedelta(minutes=10))
CAROL = OkxCredentials(KEY, SECRET, PASSPHRASE)
OPERATOR = OkxCredentials(OP_KEY, OP_SECRET, OP_PASSPHRASE)


class Env:
    """A fake server, the adapter pointed at it, and the sleeps the adapter asked for."""

    def __init__(self, url: str, requests: list, fake: OkxFake, **http: object) -> None:
        self.fake, self.requests, self.sleeps = fake, requests, []
        options = {"timeout": 2.0, "retry": RetryPolicy(attempts=3), **http}
        self.http = OkxHttp(base_url=url, sleep=self.sleeps.append,
                            clock=lambda: START + dt.timedelta(seconds=30), **options)
        self.okx = OkxExchange(self.http, keys=lambda account: CAROL, operator=OPERATOR)

    def paths(self, path: str) -> list[str]:
        return [r.target for r in self.requests if r.path == path]


@pytest.fixture
def env() -> Iterator[Env]:
    fake = OkxFake()
    with serve(fake) as (url, requests):
        environment = Env(url, requests, fake)
        yield environment
        environment.http.close()


def test_signatures_match_the_documented_vectors() -> None:
    stamp = "2020-12-08T09:08:57.715Z"
    assert sign(SECRET, stamp, "GET", "/api/v5/account/balance?ccy=BTC") == \
        "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="
    body = '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"100"}'
    assert sign(SECRET, stamp, "post", "/api/v5/trade/order", body) == \
        "gLoEHvSwOThUNff+Hv0T7J9JHtjIwa/gKHKIkc4vvhM="


def test_timestamp_is_iso_utc_with_milliseconds() -> None:
    when = dt.datetime(2020, 12, 8, 17, 8, 57, 715_000, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert okx_timestamp(when) == "2020-12-08T09:08:57.715Z"


def test_fills_follow_after_cursors_and_parse_every_field(env: Env) -> None:
    fills = env.okx.fills("carol", WINDOW, "BTC-USDT")
    assert len(fills) == 250 and env.fake.bad_signatures == 0
    assert [f.ts for f in fills] == sorted(f.ts for f in fills)
    cursors = [t.split("after=")[1].split("&")[0] if "after=" in t else ""
               for t in env.paths("/api/v5/trade/fills-history")]
    assert cursors == ["", "5150", "5050"]
    first = fills[0]
    assert first.fill_px == Decimal("60000.5") and first.fee == Decimal("-0.00025")
    assert first.ts == START and first.ts.tzinfo is not None
    assert first.side is Side.BUY and first.sub_type == 1 and first.exec_type == "T"
    assert first.cl_ord_id is None and first.fill_mark_px is None  # "" → None
    assert first.fill_idx_px == Decimal("60001.1")


def test_a_wrong_secret_is_refused_by_the_server_as_an_auth_error(env: Env) -> None:
    env.okx.keys = lambda account: OkxCredentials(KEY, "not-the-secret", PASSPHRASE)
    with pytest.raises(ExchangeAuthError, match="50113"):
        env.okx.bills("carol", WINDOW)
    assert env.fake.bad_signatures == 1


def test_demo_trading_sends_the_simulated_trading_header(env: Env) -> None:
    env.okx.keys = lambda account: OkxCredentials(KEY, SECRET, PASSPHRASE, demo=True)
    env.okx.bills("carol", WINDOW)
    assert env.requests[-1].headers["x-simulated-trading"] == "1"


def test_orders_bills_transfers_and_positions_parse_to_types(env: Env) -> None:
    (order,) = env.okx.orders("carol", WINDOW, "BTC-USDT")
    assert order.avg_px == Decimal("60000.8") and order.px is None
    assert order.cancel_source is None and order.c_time == START
    (bill,) = env.okx.bills("carol", WINDOW)
    assert bill.bal_chg == Decimal("-15000.125") and bill.type == 2 and bill.notes is None
    (deposit,) = env.okx.deposits("carol", WINDOW, "USDT")
    assert deposit.state == 0 and deposit.actual_dep_blk_confirm == 12 and deposit.sender is None
    (wd,) = env.okx.withdrawals("carol", WINDOW, "BTC")
    assert wd.state == 4 and wd.tx_id is None and wd.fee == Decimal("0.0002")
    (liq,) = env.okx.liquidations("carol", WINDOW, "BTC-USDT-SWAP")
    assert liq.kind is LiquidationKind.FULL and liq.trigger_px == Decimal(54100)
    assert liq.penalty == Decimal("-244.1")
    (usdt,) = env.okx.currencies("USDT")
    assert usdt.min_dep_arrival_confirm == 64 and usdt.need_tag is False
    assert usdt.dep_est_open_time is None


def test_market_data_candles_books_and_status(env: Env) -> None:
    candles = env.okx.mark_candles("BTC-USDT-SWAP", WINDOW)
    assert [c.low for c in candles] == [Decimal(56990), Decimal(54100)]
    assert all(c.confirmed for c in candles)
    (book,) = env.okx.books("BTC-USDT", WINDOW)
    assert book.asks[0].px == Decimal("60000.5") and book.asks[0].orders == 2
    assert book.bids[0].sz == Decimal("1.2")
    (status,) = env.okx.system_status(WINDOW)
    assert status.service_type == "5" and status.end is not None


def test_balances_addresses_positions_index_candles_and_trades(env: Env) -> None:
    assert [(b.ccy, b.available, b.frozen) for b in env.okx.balances("carol")] == [
        ("USDT", Decimal(99_000), Decimal(1000))]
    (address,) = env.okx.deposit_addresses("carol", "XRP")
    assert address.tag == "4242" and address.chain == "XRP-Ripple"
    (position,) = env.okx.positions("carol")
    assert position.liq_px == Decimal("54244.1") and position.adl == 1
    (index,) = env.okx.index_candles("BTC-USDT-SWAP", WINDOW)
    assert index.low == Decimal(56_985)
    assert "instId=BTC-USDT&" in env.paths("/api/v5/market/history-index-candles")[0]
    (trade,) = env.okx.trades("BTC-USDT", WINDOW)
    assert trade.side is Side.SELL and trade.px == Decimal("60000.1")
    assert isinstance(env.okx, ExchangeReader)


def test_past_books_and_login_logs_are_unsupported(env: Env) -> None:
    with pytest.raises(Unsupported, match="current book"):
        env.okx.books("BTC-USDT", Window(START - dt.timedelta(days=2),
                                          START - dt.timedelta(days=1)))
    with pytest.raises(Unsupported, match="login"):
        env.okx.security_events("carol", WINDOW)
    with pytest.raises(Unsupported):
        env.okx.freeze_account("carol", "theft")


def test_429_is_retried_after_the_servers_retry_after(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive",
                    Reply(429, "{}", {"Retry-After": "1.5"}))
    assert len(env.okx.bills("carol", WINDOW)) == 1
    assert env.sleeps == [1.5]


def test_rate_limit_code_50011_is_retried_with_backoff(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive",
                    Reply(200, json.dumps({"code": "50011", "msg": "Rate limit", "data": []})))
    assert len(env.okx.bills("carol", WINDOW)) == 1
    assert env.sleeps == [0.25]


def test_5xx_is_retried_with_exponential_backoff(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive", Reply(502, "bad gateway"),
                    Reply(503, "unavailable"))
    assert len(env.okx.bills("carol", WINDOW)) == 1
    assert env.sleeps == [0.25, 0.5]


def test_persistent_5xx_gives_up_after_the_attempt_budget(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive", *[Reply(500, "boom")] * 5)
    with pytest.raises(ExchangeUnavailable, match="gave up after 3 attempts"):
        env.okx.bills("carol", WINDOW)
    assert len(env.paths("/api/v5/account/bills-archive")) == 3


def test_backoff_never_exceeds_the_wait_budget(env: Env) -> None:
    env.http.retry = RetryPolicy(attempts=10, base=1.0, budget=2.5)
    env.fake.script("/api/v5/account/bills-archive", *[Reply(429, "{}")] * 10)
    with pytest.raises(ExchangeRateLimited):
        env.okx.bills("carol", WINDOW)
    assert env.sleeps == [1.0] and sum(env.sleeps) <= 2.5  # the next wait (2.0) would exceed


def test_malformed_json_is_a_clear_error_not_a_retry(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive", Reply(200, '{"code": "0", "data": [{'))
    with pytest.raises(MalformedResponse, match="not JSON"):
        env.okx.bills("carol", WINDOW)
    assert len(env.paths("/api/v5/account/bills-archive")) == 1


def test_wrong_shapes_and_empty_required_fields_are_malformed(env: Env) -> None:
    env.fake.script("/api/v5/account/bills-archive", Reply(200, '["not", "an", "object"]'))
    with pytest.raises(MalformedResponse, match="code"):
        env.okx.bills("carol", WINDOW)
    env.fake.script("/api/v5/account/bills-archive", ok([{"billId": "1", "ccy": "BTC",
                                                          "type": "2", "balChg": "",
                                                          "bal": "1", "ts": str(T0)}]))
    with pytest.raises(MalformedResponse, match="balChg"):
        env.okx.bills("carol", WINDOW)
    env.fake.script("/api/v5/account/bills-archive", ok([{"billId": "1", "ccy": "BTC",
                                                          "type": "2", "balChg": "abc",
                                                          "bal": "1", "ts": str(T0)}]))
    with pytest.raises(MalformedResponse, match="not a decimal"):
        env.okx.bills("carol", WINDOW)


def test_business_error_codes_map_to_rejections(env: Env) -> None:
    env.fake.script("/api/v5/trade/orders-history-archive",
                    Reply(200, json.dumps({"code": "51001", "msg": "Instrument ID does not "
                                           "exist", "data": []})))
    with pytest.raises(ExchangeRejected, match="51001") as caught:
        env.okx.orders("carol", WINDOW, "NOPE-USDT")
    assert caught.value.code == "51001"


def test_a_get_that_times_out_is_retried_then_reported() -> None:
    fake = OkxFake()
    fake.routes["/api/v5/account/bills-archive"] = lambda req, q: Reply(200, "{}", delay=0.6)
    with serve(fake) as (url, requests):
        env = Env(url, requests, fake, timeout=0.15, retry=RetryPolicy(attempts=2))
        with pytest.raises(ExchangeTimeout, match="gave up after 2 attempts"):
            env.okx.bills("carol", WINDOW)
        assert len(env.paths("/api/v5/account/bills-archive")) == 2
        env.http.close()


def test_token_bucket_spaces_requests_beyond_the_endpoint_rate() -> None:
    bucket = TokenBucket(rate=2, per=1.0)
    waits = [bucket.wait(0.0) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.5, 1.0]
    assert bucket.wait(10.0) == 0.0  # refilled after a quiet spell


def test_the_adapter_waits_on_its_bucket_before_flooding_an_endpoint(env: Env) -> None:
    env.http.monotonic = lambda: 0.0  # frozen clock: no refill
    for _ in range(12):
        env.okx.system_status(WINDOW)  # 1 request per 5 s
    assert env.sleeps[:2] == [5.0, 10.0] and len(env.sleeps) == 11


def test_credit_is_one_transfer_per_client_id(env: Env) -> None:
    first = env.okx.credit("carol", "USDT", Decimal("36.35"), "c-2026-000123-r1")
    again = env.okx.credit("carol", "USDT", Decimal("36.35"), "c-2026-000123-r1")
    assert len(env.paths("/api/v5/asset/transfer")) == 1
    assert again.transfer_id == first.transfer_id and again.status == "success"
    with pytest.raises(ClientIdConflict):
        env.okx.credit("carol", "USDT", Decimal("99"), "c-2026-000123-r1")
    posted = json.loads(next(r.body for r in env.requests if r.path == "/api/v5/asset/transfer"))
    assert posted == {"ccy": "USDT", "amt": "36.35", "from": "6", "to": "6", "type": "1",
                      "subAcct": "carol", "clientId": "c-2026-000123-r1"}


def test_a_credit_that_timed_out_after_applying_is_found_by_its_client_id() -> None:
    fake = OkxFake()
    applied = fake.routes["/api/v5/asset/transfer"]

    def slow(req, q):  # type: ignore[no-untyped-def]
        reply = applied(req, q)
        reply.delay = 0.6
        return reply

    fake.routes["/api/v5/asset/transfer"] = slow
    with serve(fake) as (url, requests):
        env = Env(url, requests, fake, timeout=0.15)
        state = env.okx.credit("carol", "USDT", Decimal(10), "c-9-r1")
        assert state.status == "success"
        assert len(env.paths("/api/v5/asset/transfer")) == 1  # never posted twice
        env.http.close()


def test_a_post_answered_5xx_is_not_blindly_retried(env: Env) -> None:
    env.fake.script("/api/v5/asset/transfer", Reply(500, "oops"))
    with pytest.raises(ExchangeUnavailable):
        env.okx.credit("carol", "USDT", Decimal(10), "c-10-r1")
    assert len(env.paths("/api/v5/asset/transfer")) == 1


def test_a_cursor_that_does_not_advance_is_malformed_not_an_endless_loop(env: Env) -> None:
    page = ok([fill_row(0)] * 100)
    env.fake.script("/api/v5/trade/fills-history", page, ok([fill_row(0)] * 100))
    with pytest.raises(MalformedResponse, match="did not advance"):
        env.okx.fills("carol", WINDOW, "BTC-USDT")


def test_a_short_candle_row_is_malformed(env: Env) -> None:
    env.fake.script("/api/v5/market/history-mark-price-candles",
                    ok([[str(T0), "57000", "57010", "56990"]]))
    with pytest.raises(MalformedResponse, match="candle"):
        env.okx.mark_candles("BTC-USDT-SWAP", WINDOW)
