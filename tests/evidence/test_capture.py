"""Capture: what is pulled is frozen with its hash; bad input gives "cannot determine"."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases.schemas import CaseIn
from ombud.cases.taxonomy import Category
from ombud.evidence import queries
from ombud.evidence.analyses import run
from ombud.evidence.analysis_model import Captured
from ombud.evidence.capture import CaseFacts, pull
from ombud.evidence.schemas import Analysis
from ombud.exchange import SimExchange
from ombud.exchange import sim_scenarios as sc
from ombud.exchange.dto import SecurityEvent, Window
from ombud.exchange.errors import ExchangeRateLimited, Unsupported
from ombud.exchange.factory import build_gateway, open_sim
from ombud.security.permissions import SYSTEM
from ombud.storage.blobs import LocalBlobStore
from tests.conftest import World
from tests.evidence.investigation import investigate, stage

NOW = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)


def test_captured_evidence_is_frozen_with_the_hash_of_its_stored_body(
        world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "slippage_on_thin_book", "U-gus")
    investigate(world.settings, session, world.staff["admin"], ref)
    store = LocalBlobStore(world.settings.blob_dir)
    page = queries.evidence_page(session, world.staff["admin"], ref)
    assert {"orders", "fills", "bills", "system_status", "books", "trades"} <= {
        e.kind for e in page.evidence}
    for item in page.evidence:
        body = store.get(item.sha256)
        assert hashlib.sha256(body).hexdigest() == item.sha256 and len(body) == item.size
        if item.media_type == "application/json":
            assert body.decode() == item.data
        else:
            assert body.startswith(b"\x89PNG")
    orders = next(e for e in page.evidence if e.kind == "orders")
    assert json.loads(orders.request)["account"] == "U-gus" and orders.source == "sim"


def test_a_customer_unknown_to_the_exchange_cannot_be_determined(
        world: World, session: Session) -> None:
    open_sim(world.settings)  # an exchange that has never heard of the customer
    other, _ = filing.open_case(session, SYSTEM, CaseIn(
        summary="order filled badly", category=Category.TRADE_DISPUTE, customer_uid="U-nobody"))
    investigate(world.settings, session, world.staff["admin"], other.reference)
    page = queries.evidence_page(session, world.staff["admin"], other.reference)
    assert all(e.error and "UnknownAccount" in e.error
               for e in page.evidence if e.source == "sim" and e.kind != "system_status")
    (finding,) = page.findings
    assert finding.verdict == "cannot_determine" and finding.fault.value == "undetermined"
    assert finding.summary.startswith("Cannot determine, because the orders could not be read")


class NoLoginLog(SimExchange):
    """An exchange without a login-log API (as OKX)."""

    def security_events(self, account: str, window: Window) -> list[SecurityEvent]:
        raise Unsupported("OKX has no public login-log API")


class Throttled(SimExchange):
    """An exchange that keeps answering 429."""

    def orders(self, *args: Any, **kwargs: Any) -> Any:
        raise ExchangeRateLimited("429 Too Many Requests", retry_after=2)


def test_an_exchange_without_a_login_log_gives_cannot_determine() -> None:
    sim = NoLoginLog(seed=3)
    sim.open_account("U-ida")
    pieces = pull(sim, CaseFacts("U-ida", "account_security", "BTC", NOW, "stolen"))
    ev = {p.kind: Captured(n, p.data, p.error) for n, p in enumerate(pieces, 1)}
    outcome = run(Analysis.LOGIN, ev, "stolen", NOW)
    assert outcome.verdict == "cannot_determine" and "Unsupported" in outcome.summary


def test_a_rate_limited_exchange_makes_the_capture_retry() -> None:
    sim = Throttled(seed=3)
    with pytest.raises(ExchangeRateLimited):
        pull(sim, CaseFacts("U-jo", "trade_dispute", None, NOW, ""))


@pytest.mark.parametrize("garbage", [[{"ord_id": "1"}], "not json records", [{"x": 1}]])
def test_malformed_records_cannot_be_determined(garbage: Any) -> None:
    outcome = run(Analysis.REPLAY, {"orders": Captured(1, garbage)}, "", NOW)
    assert outcome.verdict == "cannot_determine" and outcome.cites == (1,)


def test_a_book_that_misses_the_order_cannot_be_determined(world: World) -> None:
    sim = open_sim(world.settings)
    s = sc.slippage_on_thin_book(sim, "U-kim")
    facts = CaseFacts("U-kim", "trade_dispute", "USDT", s.window.end, "")
    ev = {p.kind: Captured(n, p.data, p.error) for n, p in enumerate(pull(sim, facts), 1)}
    books = ev["books"]
    ev["books"] = Captured(books.id, [b for b in books.data
                                      if b["ts"] < s.window.start.isoformat()])
    outcome = run(Analysis.REPLAY, ev, "", s.window.end)
    assert outcome.verdict == "cannot_determine" and "no book" in outcome.summary


def test_the_gateway_is_the_simulator_unless_okx_keys_are_set(world: World) -> None:
    assert isinstance(build_gateway(world.settings), SimExchange)
    okx = build_gateway(world.settings.model_copy(update={
        "okx_api_key": "k", "okx_secret_key": "s", "okx_passphrase": "p"}))
    assert type(okx).__name__ == "OkxExchange"
