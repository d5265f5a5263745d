"""Why a deposit did not arrive or a withdrawal did not land: pure diagnoses with reasons.

Inputs are exchange records (OKX state codes, exchange-domain §1.5-1.6 and §4.1), the
customer's deposit addresses and the currency's rules, and what the chain says (`ChainTx`), or
why the chain could not be asked (`ChainProblem`). Every diagnosis carries a sentence a case
handler can paste, a fault attribution and the names of the records it rests on; when the
facts do not settle it the verdict is `cannot_determine`, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ombud.evidence.chain.model import ChainTx, TxStatus, network_of, same_network
from ombud.exchange.dto import CurrencyInfo, Deposit, DepositAddress, Withdrawal
from ombud.exchange.states import DepositState, Stage, WithdrawalState


class Verdict(StrEnum):
    """What happened to the transfer."""

    CREDITED = "credited"
    DELIVERED = "delivered"
    NOT_ENOUGH_CONFIRMATIONS = "not_enough_confirmations"
    WRONG_NETWORK = "wrong_network"
    MISSING_MEMO = "missing_memo"
    WRONG_MEMO = "wrong_memo"
    ADDRESS_NOT_OURS = "address_not_ours"
    BELOW_MINIMUM = "below_minimum"
    STUCK_IN_EXCHANGE_STATE = "stuck_in_exchange_state"
    CANCELED = "canceled"
    FAILED_BY_EXCHANGE = "failed_by_exchange"
    FAILED_ON_CHAIN = "failed_on_chain"
    PENDING_ON_CHAIN = "pending_on_chain"
    NOT_ON_CHAIN = "not_on_chain"
    NOT_DETECTED = "not_detected_by_exchange"
    DESTINATION_MISMATCH = "destination_mismatch"
    CANNOT_DETERMINE = "cannot_determine"


class Fault(StrEnum):
    """Fault attribution of a finding."""

    PLATFORM = "platform"
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"
    MARKET = "market"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class ChainProblem:
    """Why there is no chain view: no client for the network, node down, bad answer."""

    reason: str
    retryable: bool = False


@dataclass(frozen=True)
class Diagnosis:
    """A verdict, whose fault, the reason in one paragraph, and the evidence it rests on."""

    verdict: Verdict
    fault: Fault
    reason: str
    cites: tuple[str, ...] = ()
    retryable: bool = False


@dataclass(frozen=True)
class DepositClaim:
    """What the customer says they sent."""

    ccy: str
    tx_id: str
    network: str  # the network the customer sent on, e.g. "ERC20", "BSC", "Bitcoin"


def _undetermined(because: str, cites: tuple[str, ...] = (), retryable: bool = False
                  ) -> Diagnosis:
    return Diagnosis(Verdict.CANNOT_DETERMINE, Fault.UNDETERMINED,
                     f"cannot determine, because {because}", cites, retryable)


def _rule(currencies: Sequence[CurrencyInfo], network: str) -> CurrencyInfo | None:
    return next((c for c in currencies if same_network(network_of(c.chain), network)), None)


def _age(now: dt.datetime, since: dt.datetime) -> str:
    hours = (now - since).total_seconds() / 3600
    return f"{hours:.1f} hours" if hours >= 1 else f"{hours * 60:.0f} minutes"


def diagnose_deposit(claim: DepositClaim, *, records: Sequence[Deposit],
                     addresses: Sequence[DepositAddress], currencies: Sequence[CurrencyInfo],
                     tx: ChainTx | None, problem: ChainProblem | None,
                     now: dt.datetime) -> Diagnosis:
    """Diagnose a deposit the customer says has not arrived."""
    record = next((d for d in records if d.tx_id and d.tx_id.lower() == claim.tx_id.lower()),
                  None)
    if record is not None:
        return _from_deposit_record(record, _rule(currencies, network_of(record.chain)), tx, now)
    if tx is None:
        because = problem.reason if problem else "the chain was not consulted"
        return _undetermined(f"the exchange has no deposit with txId {claim.tx_id} and {because}",
                             ("deposit-history",), problem.retryable if problem else False)
    return _from_chain(claim, tx, addresses, currencies)


def _from_deposit_record(record: Deposit, rule: CurrencyInfo | None, tx: ChainTx | None,
                         now: dt.datetime) -> Diagnosis:
    cites = ("deposit-history", "currencies")
    state = record.known_state
    if state is None:
        return _undetermined(f"deposit {record.dep_id} is in state {record.state}, a code OKX "
                             "does not document", cites)
    seen = max(record.actual_dep_blk_confirm or 0, tx.confirmations if tx else 0)
    if state is DepositState.SUCCESS:
        return Diagnosis(Verdict.CREDITED, Fault.CUSTOMER,
                         f"deposit {record.dep_id} of {record.amt} {record.ccy} was credited "
                         f"at {record.ts:%Y-%m-%d %H:%M} UTC and is withdrawable; nothing is "
                         "missing on the exchange side", cites)
    if state is DepositState.CREDITED_LOCKED:
        need = rule.min_wd_unlock_confirm if rule else None
        return Diagnosis(Verdict.NOT_ENOUGH_CONFIRMATIONS, Fault.THIRD_PARTY,
                         f"deposit {record.dep_id} is credited but not withdrawable: {seen} "
                         f"confirmations of the {need if need is not None else 'unknown'} "
                         "needed to unlock it", cites)
    if state is DepositState.WAITING_CONFIRMATION:
        need = rule.min_dep_arrival_confirm if rule else None
        if need is None:
            return _undetermined(f"deposit {record.dep_id} waits for confirmations and the "
                                 f"required count for {record.chain} is unknown", cites)
        if seen < need:
            return Diagnosis(Verdict.NOT_ENOUGH_CONFIRMATIONS, Fault.THIRD_PARTY,
                             f"deposit {record.dep_id} has {seen} of the {need} confirmations "
                             f"{record.chain} needs before it is credited; it arrives by "
                             "itself", cites)
        return Diagnosis(Verdict.STUCK_IN_EXCHANGE_STATE, Fault.PLATFORM,
                         f"deposit {record.dep_id} has {seen} confirmations (needs {need}) but "
                         f"has still not been credited after {_age(now, record.ts)}", cites)
    fault = Fault.CUSTOMER if state is DepositState.SUB_ACCOUNT_INTERCEPTED else Fault.PLATFORM
    return Diagnosis(Verdict.STUCK_IN_EXCHANGE_STATE, fault,
                     f"deposit {record.dep_id} is in state {state.value} ({state.meaning}) "
                     f"for {_age(now, record.ts)}", cites)


def _from_chain(claim: DepositClaim, tx: ChainTx, addresses: Sequence[DepositAddress],
                currencies: Sequence[CurrencyInfo]) -> Diagnosis:
    cites = ("chain", "deposit-history", "deposit-address", "currencies")
    where = f"transaction {tx.tx_id} on {tx.network}"
    if tx.status is TxStatus.NOT_FOUND:
        return Diagnosis(Verdict.NOT_ON_CHAIN, Fault.CUSTOMER,
                         f"{where} does not exist: check the transaction id and the network "
                         "it was sent on", cites)
    if tx.status is TxStatus.FAILED:
        return Diagnosis(Verdict.FAILED_ON_CHAIN, Fault.THIRD_PARTY,
                         f"{where} failed on chain ({tx.detail or 'reverted'}); no funds moved, "
                         "the sending wallet still holds them", cites)
    ours = {a.addr.lower(): a for a in addresses if a.ccy == claim.ccy}
    hits = [t for t in tx.transfers if t.to.lower() in ours]
    if not hits:
        sent_to = ", ".join(sorted({t.to for t in tx.transfers})) or "no address"
        return Diagnosis(Verdict.ADDRESS_NOT_OURS, Fault.CUSTOMER,
                         f"{where} paid {sent_to}, which is not one of the customer's "
                         f"{claim.ccy} deposit addresses", cites)
    address = ours[hits[0].to.lower()]
    supported = ", ".join(sorted(network_of(c.chain) for c in currencies)) or "none"
    if not same_network(network_of(address.chain), tx.network):
        return Diagnosis(Verdict.WRONG_NETWORK, Fault.CUSTOMER,
                         f"{where} paid the customer's {address.chain} address over "
                         f"{tx.network}; the exchange takes {claim.ccy} only on {supported}, "
                         "so it never saw the deposit (recovery is manual and not "
                         "guaranteed)", cites)
    rule = _rule(currencies, tx.network)
    if address.tag or (rule is not None and rule.need_tag):
        if not tx.memo:
            return Diagnosis(Verdict.MISSING_MEMO, Fault.CUSTOMER,
                             f"{where} reached the shared {address.chain} address without "
                             f"the memo/tag {address.tag}, so the exchange cannot tell whose "
                             "deposit it is", cites)
        if tx.memo != address.tag:
            return Diagnosis(Verdict.WRONG_MEMO, Fault.CUSTOMER,
                             f"{where} carries memo/tag {tx.memo}, not the customer's "
                             f"{address.tag}", cites)
    if tx.status is TxStatus.PENDING:
        return Diagnosis(Verdict.PENDING_ON_CHAIN, Fault.THIRD_PARTY,
                         f"{where} is not in a block yet; the network has not confirmed it",
                         cites)
    need = rule.min_dep_arrival_confirm if rule else None
    if need is not None and tx.confirmations < need:
        return Diagnosis(Verdict.NOT_ENOUGH_CONFIRMATIONS, Fault.THIRD_PARTY,
                         f"{where} has {tx.confirmations} of the {need} confirmations needed "
                         "before the exchange credits it", cites)
    amount = sum((t.amount or Decimal(0) for t in hits), Decimal(0))
    if rule is not None and rule.min_dep is not None and amount < rule.min_dep:
        return Diagnosis(Verdict.BELOW_MINIMUM, Fault.CUSTOMER,
                         f"{where} brought {amount} {claim.ccy}, below the minimum deposit of "
                         f"{rule.min_dep}; such deposits are not credited", cites)
    return Diagnosis(Verdict.NOT_DETECTED, Fault.PLATFORM,
                     f"{where} paid {amount} {claim.ccy} to the customer's address with "
                     f"{tx.confirmations} confirmations, but the exchange has no deposit "
                     "record for it", cites)


def diagnose_withdrawal(record: Withdrawal, *, tx: ChainTx | None,
                        problem: ChainProblem | None, now: dt.datetime) -> Diagnosis:
    """Diagnose a withdrawal the customer says did not arrive."""
    cites = ("withdrawal-history",)
    state = record.known_state
    if state is None:
        return _undetermined(f"withdrawal {record.wd_id} is in state {record.state}, a code "
                             "OKX does not document", cites)
    label = f"withdrawal {record.wd_id} of {record.amt} {record.ccy}"
    if state is WithdrawalState.CANCELED or state is WithdrawalState.CANCELING:
        return Diagnosis(Verdict.CANCELED, Fault.UNDETERMINED,
                         f"{label} was {state.meaning}; the funds return to the account", cites)
    if state is WithdrawalState.FAILED:
        return Diagnosis(Verdict.FAILED_BY_EXCHANGE, Fault.PLATFORM,
                         f"{label} failed at the exchange ({record.note or 'no reason given'})",
                         cites)
    if state.stage in (Stage.HELD, Stage.PENDING):
        fault = Fault.THIRD_PARTY if state is WithdrawalState.TRAVEL_RULE else Fault.PLATFORM
        return Diagnosis(Verdict.STUCK_IN_EXCHANGE_STATE, fault,
                         f"{label} has been in state {state.value} ({state.meaning}) for "
                         f"{_age(now, record.ts)}; it was never broadcast, so nothing is on "
                         "chain", cites)
    if not record.tx_id:
        if state is WithdrawalState.SUCCESS:
            return Diagnosis(Verdict.DELIVERED, Fault.UNDETERMINED,
                             f"{label} was an internal transfer to {record.to}, completed", cites)
        return _undetermined(f"{label} is {state.meaning} but has no transaction id yet", cites)
    return _withdrawal_on_chain(label, record, state, tx, problem, (*cites, "chain"))


def _withdrawal_on_chain(label: str, record: Withdrawal, state: WithdrawalState,
                         tx: ChainTx | None, problem: ChainProblem | None,
                         cites: tuple[str, ...]) -> Diagnosis:
    if tx is None:
        because = problem.reason if problem else "the chain was not consulted"
        return _undetermined(f"{label} was sent as {record.tx_id} but {because}", cites,
                             problem.retryable if problem else False)
    if tx.status is TxStatus.NOT_FOUND:
        return Diagnosis(Verdict.NOT_ON_CHAIN, Fault.PLATFORM,
                         f"{label} is {state.meaning} with txId {record.tx_id}, which "
                         f"{tx.network} does not know", cites)
    if tx.status is TxStatus.FAILED:
        return Diagnosis(Verdict.FAILED_ON_CHAIN, Fault.PLATFORM,
                         f"{label}: transaction {record.tx_id} failed on chain "
                         f"({tx.detail or 'reverted'})", cites)
    if tx.status is TxStatus.PENDING:
        return Diagnosis(Verdict.PENDING_ON_CHAIN, Fault.THIRD_PARTY,
                         f"{label} was broadcast as {record.tx_id} and waits for a block",
                         cites)
    dest = record.to.split(":", 1)[0].lower()
    if not any(t.to.lower() == dest for t in tx.transfers):
        return Diagnosis(Verdict.DESTINATION_MISMATCH, Fault.PLATFORM,
                         f"{label}: transaction {record.tx_id} pays none of it to {record.to}",
                         cites)
    return Diagnosis(Verdict.DELIVERED, Fault.THIRD_PARTY,
                     f"{label} reached {record.to} in {record.tx_id} with {tx.confirmations} "
                     "confirmations; the receiving wallet or platform holds it", cites)
