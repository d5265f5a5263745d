"""Pure deposit and withdrawal diagnoses: one test per cause, and the OKX state codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ombud.evidence.chain import (
    ChainProblem,
    ChainTransfer,
    ChainTx,
    DepositClaim,
    Fault,
    TxStatus,
    Verdict,
    diagnose_deposit,
    diagnose_withdrawal,
)
from ombud.exchange.dto import CurrencyInfo, Deposit, DepositAddress, Withdrawal
from ombud.exchange.states import DepositState, WithdrawalState

NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)
ADDR = "0x" + "ab" * 20
ADDRESSES = [DepositAddress("USDT", "USDT-ERC20", ADDR),
             DepositAddress("USDT", "USDT-TRC20", "TXYZ")]
RULES = [CurrencyInfo("USDT", "USDT-ERC20", min_dep=Decimal(1), min_dep_arrival_confirm=64,
                      min_wd_unlock_confirm=96),
         CurrencyInfo("USDT", "USDT-TRC20", min_dep=Decimal(1), min_dep_arrival_confirm=20)]
CLAIM = DepositClaim("USDT", "0xfeed", "ERC20")


def chain_tx(status: TxStatus = TxStatus.CONFIRMED, confirmations: int = 70, to: str = ADDR,
             amount: Decimal = Decimal(500), network: str = "ERC20",
             memo: str | None = None) -> ChainTx:
    return ChainTx(network, "0xfeed", status, confirmations, 1,
                   (ChainTransfer(to, int(amount * 10**6), amount, "USDT"),), memo)


def deposit(state: int, confirmations: int = 70) -> Deposit:
    return Deposit("88", "USDT", "USDT-ERC20", Decimal(500), ADDR, state,
                   NOW - dt.timedelta(hours=3), tx_id="0xFEED",
                   actual_dep_blk_confirm=confirmations)


def from_chain(tx: ChainTx, addresses: list[DepositAddress] = ADDRESSES,
               rules: list[CurrencyInfo] = RULES, claim: DepositClaim = CLAIM):  # type: ignore[no-untyped-def]
    return diagnose_deposit(claim, records=[], addresses=addresses, currencies=rules, tx=tx,
                            problem=None, now=NOW)


def test_not_enough_confirmations_against_min_dep_arrival_confirm() -> None:
    d = diagnose_deposit(CLAIM, records=[deposit(0, 12)], addresses=ADDRESSES, currencies=RULES,
                         tx=None, problem=None, now=NOW)
    assert d.verdict is Verdict.NOT_ENOUGH_CONFIRMATIONS and "12 of the 64" in d.reason
    d = from_chain(chain_tx(confirmations=10))
    assert d.verdict is Verdict.NOT_ENOUGH_CONFIRMATIONS and "10 of the 64" in d.reason


def test_waiting_with_enough_confirmations_is_stuck_at_the_exchange() -> None:
    d = diagnose_deposit(CLAIM, records=[deposit(0, 80)], addresses=ADDRESSES, currencies=RULES,
                         tx=None, problem=None, now=NOW)
    assert (d.verdict, d.fault) == (Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM)


def test_wrong_network() -> None:
    d = from_chain(chain_tx(network="BSC"), claim=DepositClaim("USDT", "0xfeed", "BSC"))
    assert (d.verdict, d.fault) == (Verdict.WRONG_NETWORK, Fault.CUSTOMER)
    assert "ERC20, TRC20" in d.reason and "BSC" in d.reason


def test_missing_and_wrong_memo() -> None:
    xrp = [DepositAddress("XRP", "XRP-Ripple", "rShared", tag="4242")]
    rules = [CurrencyInfo("XRP", "XRP-Ripple", need_tag=True, min_dep_arrival_confirm=1)]
    claim = DepositClaim("XRP", "0xfeed", "Ripple")

    def xrp_tx(memo: str | None) -> ChainTx:
        return ChainTx("Ripple", "0xfeed", TxStatus.CONFIRMED, 1, 1,
                       (ChainTransfer("rShared", 250_000_000, Decimal(250), "XRP"),), memo)

    missing = from_chain(xrp_tx(None), xrp, rules, claim)
    assert missing.verdict is Verdict.MISSING_MEMO and "4242" in missing.reason
    assert from_chain(xrp_tx("1111"), xrp, rules, claim).verdict is Verdict.WRONG_MEMO
    assert from_chain(xrp_tx("4242"), xrp, rules, claim).verdict is Verdict.NOT_DETECTED


def test_address_not_ours() -> None:
    d = from_chain(chain_tx(to="0x" + "99" * 20))
    assert (d.verdict, d.fault) == (Verdict.ADDRESS_NOT_OURS, Fault.CUSTOMER)


def test_failed_pending_and_absent_on_chain() -> None:
    assert from_chain(chain_tx(TxStatus.FAILED)).verdict is Verdict.FAILED_ON_CHAIN
    assert from_chain(chain_tx(TxStatus.PENDING, 0)).verdict is Verdict.PENDING_ON_CHAIN
    assert from_chain(chain_tx(TxStatus.NOT_FOUND)).verdict is Verdict.NOT_ON_CHAIN


def test_below_minimum_and_not_detected() -> None:
    assert from_chain(chain_tx(amount=Decimal("0.5"))).verdict is Verdict.BELOW_MINIMUM
    d = from_chain(chain_tx())
    assert (d.verdict, d.fault) == (Verdict.NOT_DETECTED, Fault.PLATFORM)


def test_unknown_chain_cannot_be_determined_and_says_why() -> None:
    d = diagnose_deposit(DepositClaim("USDT", "0xfeed", "Solana"), records=[],
                         addresses=ADDRESSES, currencies=RULES, tx=None,
                         problem=ChainProblem("no chain client knows the network 'Solana'"),
                         now=NOW)
    assert d.verdict is Verdict.CANNOT_DETERMINE and d.fault is Fault.UNDETERMINED
    assert d.reason.startswith("cannot determine, because") and "Solana" in d.reason
    assert not d.retryable
    down = diagnose_deposit(CLAIM, records=[], addresses=ADDRESSES, currencies=RULES, tx=None,
                            problem=ChainProblem("node timed out", retryable=True), now=NOW)
    assert down.verdict is Verdict.CANNOT_DETERMINE and down.retryable


@pytest.mark.parametrize(("state", "verdict", "fault"), [
    (DepositState.SUCCESS, Verdict.CREDITED, Fault.CUSTOMER),
    (DepositState.CREDITED_LOCKED, Verdict.NOT_ENOUGH_CONFIRMATIONS, Fault.THIRD_PARTY),
    (DepositState.SUSPENDED, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM),
    (DepositState.ADDRESS_BLACKLIST, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM),
    (DepositState.FROZEN, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM),
    (DepositState.SUB_ACCOUNT_INTERCEPTED, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.CUSTOMER),
    (DepositState.KYC_LIMIT, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM),
    (DepositState.TRAVEL_RULE, Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM),
])
def test_deposit_state_codes(state: DepositState, verdict: Verdict, fault: Fault) -> None:
    d = diagnose_deposit(CLAIM, records=[deposit(state.value)], addresses=ADDRESSES,
                         currencies=RULES, tx=None, problem=None, now=NOW)
    assert (d.verdict, d.fault) == (verdict, fault)
    if verdict is Verdict.STUCK_IN_EXCHANGE_STATE:
        assert state.meaning in d.reason and "3.0 hours" in d.reason


def test_an_undocumented_state_code_is_not_guessed() -> None:
    d = diagnose_deposit(CLAIM, records=[deposit(99)], addresses=ADDRESSES, currencies=RULES,
                         tx=None, problem=None, now=NOW)
    assert d.verdict is Verdict.CANNOT_DETERMINE and "99" in d.reason


def withdrawal(state: int, tx_id: str | None = None, to: str = "bc1qdest") -> Withdrawal:
    return Withdrawal("77", "BTC", "BTC-Bitcoin", Decimal(2), to, state,
                      NOW - dt.timedelta(hours=50), tx_id=tx_id)


@pytest.mark.parametrize("state", [4, 5, 6, 8, 9, 12, 19, 16, 0, 10, 7])
def test_withdrawals_held_before_broadcast_are_stuck_in_an_exchange_state(state: int) -> None:
    d = diagnose_withdrawal(withdrawal(state), tx=None, problem=None, now=NOW)
    assert (d.verdict, d.fault) == (Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM)
    assert WithdrawalState(state).meaning in d.reason and "50.0 hours" in d.reason


def test_travel_rule_hold_waits_on_a_third_party() -> None:
    d = diagnose_withdrawal(withdrawal(17), tx=None, problem=None, now=NOW)
    assert (d.verdict, d.fault) == (Verdict.STUCK_IN_EXCHANGE_STATE, Fault.THIRD_PARTY)


def btc_tx(status: TxStatus, to: str = "bc1qdest") -> ChainTx:
    return ChainTx("Bitcoin", "tx1", status, 6 if status is TxStatus.CONFIRMED else 0, 1,
                   (ChainTransfer(to, 200_000_000, Decimal(2), "BTC"),))


@pytest.mark.parametrize(("state", "tx", "verdict", "fault"), [
    (2, btc_tx(TxStatus.CONFIRMED), Verdict.DELIVERED, Fault.THIRD_PARTY),
    (2, btc_tx(TxStatus.CONFIRMED, to="bc1qother"), Verdict.DESTINATION_MISMATCH,
     Fault.PLATFORM),
    (1, btc_tx(TxStatus.PENDING), Verdict.PENDING_ON_CHAIN, Fault.THIRD_PARTY),
    (15, btc_tx(TxStatus.FAILED), Verdict.FAILED_ON_CHAIN, Fault.PLATFORM),
    (2, btc_tx(TxStatus.NOT_FOUND), Verdict.NOT_ON_CHAIN, Fault.PLATFORM),
])
def test_broadcast_withdrawals_are_traced_on_chain(state: int, tx: ChainTx, verdict: Verdict,
                                                   fault: Fault) -> None:
    d = diagnose_withdrawal(withdrawal(state, "tx1"), tx=tx, problem=None, now=NOW)
    assert (d.verdict, d.fault) == (verdict, fault)


def test_final_withdrawal_states_and_missing_chain_data() -> None:
    assert diagnose_withdrawal(withdrawal(-2), tx=None, problem=None,
                               now=NOW).verdict is Verdict.CANCELED
    assert diagnose_withdrawal(withdrawal(-1), tx=None, problem=None,
                               now=NOW).verdict is Verdict.FAILED_BY_EXCHANGE
    d = diagnose_withdrawal(withdrawal(2, "tx1"), tx=None,
                            problem=ChainProblem("the Bitcoin node timed out", True), now=NOW)
    assert d.verdict is Verdict.CANNOT_DETERMINE and d.retryable and "timed out" in d.reason
    assert diagnose_withdrawal(withdrawal(42), tx=None, problem=None,
                               now=NOW).verdict is Verdict.CANNOT_DETERMINE
