"""Transfer tracing: ask the right chain client, then diagnose (clients behind a Protocol)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ombud.evidence.chain.diagnose import (
    ChainProblem,
    DepositClaim,
    Diagnosis,
    diagnose_deposit,
    diagnose_withdrawal,
)
from ombud.evidence.chain.model import ChainClient, ChainError, ChainTx, network_of, same_network
from ombud.exchange.dto import Window, Withdrawal
from ombud.exchange.gateway import ExchangeReader


def look_up(clients: Mapping[str, ChainClient], network: str,
            tx_id: str) -> tuple[ChainTx | None, ChainProblem | None]:
    """The chain's view of `tx_id`, or why there is none."""
    client = next((c for name, c in clients.items() if same_network(name, network)), None)
    if client is None:
        known = ", ".join(sorted(clients)) or "none"
        return None, ChainProblem(f"no chain client knows the network {network!r} "
                                  f"(configured: {known})")
    try:
        return client.transaction(tx_id), None
    except ChainError as exc:
        return None, ChainProblem(f"the {network} node could not answer: {exc}", exc.retryable)


def trace_deposit(claim: DepositClaim, reader: ExchangeReader, account: str, window: Window,
                  clients: Mapping[str, ChainClient], now: dt.datetime) -> Diagnosis:
    """Pull the account's deposit records, ask the chain, and diagnose."""
    tx, problem = look_up(clients, claim.network, claim.tx_id)
    return diagnose_deposit(
        claim, records=reader.deposits(account, window, claim.ccy),
        addresses=reader.deposit_addresses(account, claim.ccy),
        currencies=reader.currencies(claim.ccy), tx=tx, problem=problem, now=now)


def trace_withdrawal(record: Withdrawal, clients: Mapping[str, ChainClient],
                     now: dt.datetime) -> Diagnosis:
    """Ask the chain about a withdrawal's transaction (if it has one), and diagnose."""
    tx, problem = (None, None)
    if record.tx_id:
        tx, problem = look_up(clients, network_of(record.chain), record.tx_id)
    return diagnose_withdrawal(record, tx=tx, problem=problem, now=now)
