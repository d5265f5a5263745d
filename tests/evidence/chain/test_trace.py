"""Tracing the simulated exchange's transfer scenarios end to end, through `ChainClient`s."""

from __future__ import annotations

from decimal import Decimal

from ombud.evidence.chain import (
    ChainTransfer,
    ChainTx,
    ChainUnavailable,
    DepositClaim,
    TxStatus,
    Verdict,
    look_up,
    trace_deposit,
    trace_withdrawal,
)
from ombud.exchange import SimExchange
from ombud.exchange import sim_scenarios as sc
from ombud.exchange.dto import OnChainTransfer


class SimChain:
    """A `ChainClient` answering from the simulated exchange's chain view."""

    def __init__(self, sim: SimExchange, network: str) -> None:
        self.sim, self.network = sim, network

    def transaction(self, tx_id: str) -> ChainTx:
        seen: OnChainTransfer | None = self.sim.chain_transfer(tx_id)
        if seen is None or seen.network != self.network:
            return ChainTx(self.network, tx_id, TxStatus.NOT_FOUND)
        return ChainTx(self.network, tx_id, TxStatus(seen.status), seen.confirmations, 1,
                       (ChainTransfer(seen.to, 0, seen.amt, seen.ccy),), seen.memo)


class DownChain:
    network = "ERC20"

    def transaction(self, tx_id: str) -> ChainTx:
        raise ChainUnavailable("ERC20 node: eth_getTransactionByHash timed out")


def clients(sim: SimExchange) -> dict[str, SimChain]:
    return {name: SimChain(sim, name) for name in ("BSC", "ERC20", "Ripple", "Bitcoin")}


def test_wrong_network_scenario_is_diagnosed_as_its_ground_truth() -> None:
    sim = SimExchange(seed=16)
    s = sc.deposit_wrong_network(sim)
    (tx,) = s.evidence["chain"]
    d = trace_deposit(DepositClaim("USDT", tx.tx_id, "BSC"), sim, s.account, s.window,
                      clients(sim), s.window.end)
    assert (d.verdict.value, d.fault.value) == (s.truth.verdict, s.truth.fault)


def test_missing_memo_scenario_is_diagnosed_as_its_ground_truth() -> None:
    sim = SimExchange(seed=17)
    s = sc.deposit_missing_memo(sim)
    (tx,) = s.evidence["chain"]
    d = trace_deposit(DepositClaim("XRP", tx.tx_id, "Ripple"), sim, s.account, s.window,
                      clients(sim), s.window.end)
    assert (d.verdict.value, d.fault.value) == (s.truth.verdict, s.truth.fault)
    assert s.truth.figures["expected_tag"] in d.reason


def test_stuck_withdrawal_scenario_is_diagnosed_without_asking_the_chain() -> None:
    sim = SimExchange(seed=15)
    s = sc.withdrawal_stuck_in_review(sim)
    (wd,) = s.evidence["withdrawals"]
    d = trace_withdrawal(wd, {}, s.window.end)
    assert (d.verdict.value, d.fault.value) == (s.truth.verdict, s.truth.fault)
    assert "manual review" in d.reason


def test_unknown_chain_and_node_down_cannot_determine() -> None:
    sim = SimExchange(seed=16)
    s = sc.deposit_wrong_network(sim)
    (tx,) = s.evidence["chain"]
    unknown = trace_deposit(DepositClaim("USDT", tx.tx_id, "Solana"), sim, s.account,
                            s.window, clients(sim), s.window.end)
    assert unknown.verdict is Verdict.CANNOT_DETERMINE and "Solana" in unknown.reason
    assert "configured: BSC, Bitcoin, ERC20, Ripple" in unknown.reason
    found, problem = look_up({"ERC20": DownChain()}, "erc20", "0x1")
    assert found is None and problem is not None and problem.retryable


def test_a_withdrawal_delivered_on_chain() -> None:
    sim = SimExchange(seed=18)
    s = sc.login_new_country_then_withdrawal(sim)
    (wd,) = s.evidence["withdrawals"]
    sim.record_chain(OnChainTransfer("Bitcoin", "btc-tx-1", wd.to, wd.amt, "BTC", 3))
    sent = sim.set_withdrawal_state(s.account, wd.wd_id, 2, tx_id="btc-tx-1")
    d = trace_withdrawal(sent, clients(sim), s.window.end)
    assert d.verdict is Verdict.DELIVERED and wd.to in d.reason
    assert d.cites == ("withdrawal-history", "chain")
    assert sent.amt == Decimal("1.5")
