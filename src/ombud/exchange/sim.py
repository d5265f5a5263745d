"""The simulated exchange, Ombud's embedded default: an `ExchangeReader` and `ExchangeActor`.

Accounts with Decimal balances, a price-time-priority matching engine on an L2 book of resting
orders (`sim_book`), a seeded market-data generator (`sim_market`), a ledger (`sim_ledger`),
isolated perpetual positions with liquidation and ADL (`sim_derivs`), and transfers with OKX
state codes. State lives in memory and, when a path is given, in one JSON file rewritten after
every change, so credits stay exactly-once by client id across a reload. `fail_next` makes the
next call of an action time out, before or after it took effect.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from ombud.exchange import sim_derivs, sim_market
from ombud.exchange.dto import (
    BookSnapshot,
    Deposit,
    DepositAddress,
    FreezeReceipt,
    Liquidation,
    OnChainTransfer,
    Order,
    Position,
    SecurityEvent,
    Side,
    StatusWindow,
    TransferState,
    Withdrawal,
)
from ombud.exchange.errors import (
    ClientIdConflict,
    ExchangeRejected,
    ExchangeTimeout,
)
from ombud.exchange.sim_book import OrderBook
from ombud.exchange.sim_ledger import next_id, post, quantize, transfer_entry
from ombud.exchange.sim_reader import SimReader
from ombud.exchange.sim_state import TREASURY, SimState, default_state, save_state
from ombud.exchange.sim_store import Persistent, SimStore, writes
from ombud.exchange.sim_trading import accept, execute
from ombud.exchange.states import TransferStatus

DEFAULT_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
STEP = dt.timedelta(seconds=5)
BILL_CUSTOMER_FEEDBACK = 146
BILL_SYSTEM_REVERSAL = 47
_SHARED: dict[Path, SimExchange] = {}
_SHARED_GUARD = threading.Lock()


class SimExchange(SimReader, Persistent):
    """An in-memory exchange with deterministic market data (same seed, same market)."""

    def __init__(self, seed: int = 7, start: dt.datetime = DEFAULT_START,
                 path: Path | None = None, state: SimState | None = None) -> None:
        self.path = path
        self._store = SimStore.at(path) if path is not None else None
        self._epoch: str | None = None  # of the journal our state has read
        self._offset = 0  # how far into that journal
        self._faults: dict[str, bool] = {}
        if self._store is None:
            self._adopt(state or default_state(seed, start), new=state is None)
            return
        with self._store.locked():
            if state is None and self._store.path.exists():
                self._refresh()
            else:
                self._adopt(state or default_state(seed, start), new=state is None)
                self._save()

    def _adopt(self, state: SimState, new: bool = False) -> None:
        """Take `state` as the whole state; quote and observe the market of a new one."""
        self.state = state
        self._rng = random.Random()
        self._rng.setstate(state.rng)
        self._books = {inst_id: OrderBook(inst_id) for inst_id in state.instruments}
        for inst_id, resting in state.resting.items():
            for order in resting:
                self._books[inst_id].add(order)
        if new:
            for inst in state.instruments.values():
                sim_market.requote(state, self._books[inst.inst_id], inst, self._rng)
            self._observe()

    @classmethod
    def open(cls, path: Path, seed: int = 7, start: dt.datetime = DEFAULT_START) -> SimExchange:
        """The exchange saved at `path` (snapshot and journal read afresh), or a new one."""
        return cls(seed=seed, start=start, path=path)

    @classmethod
    def shared(cls, path: Path, seed: int = 7, start: dt.datetime = DEFAULT_START) -> SimExchange:
        """This process's one instance of the exchange at `path`, brought up to date: only
        the journal lines other processes added since the last call are read."""
        key = path.resolve()
        with _SHARED_GUARD:
            sim = _SHARED.get(key)
            if sim is None or not path.exists():
                sim = _SHARED[key] = cls(seed=seed, start=start, path=path)
                return sim
        sim.refresh()
        return sim

    def save(self, path: Path) -> None:
        """Write the whole state to `path`."""
        self._sync()
        save_state(self.state, path)

    def _sync(self) -> None:
        """Keep the random stream and the resting orders in the state."""
        self.state.rng = self._rng.getstate()
        self.state.resting = {i: b.resting() for i, b in self._books.items()}

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, operation: str, after_apply: bool = True) -> None:
        """Make the next call of `operation` (e.g. "credit") raise `ExchangeTimeout`.

        With `after_apply` the call takes effect (and is saved) first, like an exchange that
        applied a request but whose answer was lost.
        """
        self._faults[operation] = after_apply

    def _fault(self, operation: str, applied: bool) -> None:
        if operation in self._faults and self._faults[operation] == applied:
            del self._faults[operation]
            raise ExchangeTimeout(f"simulated timeout in {operation}"
                                  + (" after applying it" if applied else ""))

    # -- clock and market --------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        """The exchange's clock."""
        return self.state.now

    @writes
    def advance(self, duration: dt.timedelta, step: dt.timedelta = STEP) -> None:
        """Let the market run for `duration`, one random-walk step per `step`."""
        end = self.state.now + duration
        while self.state.now < end:
            seconds = (min(self.state.now + step, end) - self.state.now).total_seconds()
            self.state.now = min(self.state.now + step, end)
            for inst in self.state.instruments.values():
                sim_market.walk_mid(self.state, inst, self._rng, seconds)
                sim_market.requote(self.state, self._books[inst.inst_id], inst, self._rng)
            self._observe()

    @writes
    def set_market(self, inst_id: str, *, mid: Decimal | None = None,
                   depth_factor: Decimal | None = None, gap_ticks: int | None = None,
                   basis: Decimal | None = None) -> None:
        """Move the mid or change the liquidity of an instrument, then re-quote it."""
        if mid is not None:
            self.state.mids[inst_id] = mid
        if depth_factor is not None:
            self.state.depth_factor[inst_id] = depth_factor
        if gap_ticks is not None:
            self.state.gap_ticks[inst_id] = gap_ticks
        if basis is not None:
            self.state.basis[inst_id] = basis
        inst = self.state.instruments[inst_id]
        sim_market.requote(self.state, self._books[inst_id], inst, self._rng)
        self._observe()

    @writes
    def mark_wick(self, inst_id: str, mark_px: Decimal) -> list[tuple[str, Liquidation]]:
        """Print one mark price (index unchanged) and liquidate the positions it reaches."""
        index = self.state.mids[inst_id]
        sim_market.touch_candles(self.state, inst_id, index, mark_px, self.state.now)
        done = sim_derivs.liquidate_triggered(self.state, self.state.instruments[inst_id],
                                              mark_px, index)
        return done

    def quote(self, inst_id: str, side: str, sz: Decimal) -> tuple[Decimal | None, Decimal]:
        """(VWAP, filled size) a market order of `sz` would get from the book now."""
        matches = self._books[inst_id].match(Side(side), sz, dry_run=True)
        filled = sum((m.sz for m in matches), Decimal(0))
        notional = sum((m.px * m.sz for m in matches), Decimal(0))
        return (notional / filled if filled else None), filled

    @writes
    def snapshot(self, inst_id: str) -> BookSnapshot:
        """Record and return the current book of `inst_id`."""
        snap = sim_market.snapshot(self.state, self._books[inst_id], self.state.now)
        return snap

    def _observe(self) -> None:
        for inst in self.state.instruments.values():
            index = self.state.mids[inst.inst_id]
            mark = sim_market.mark_price(self.state, inst.inst_id)
            sim_market.touch_candles(self.state, inst.inst_id, index, mark, self.state.now)
            if inst.inst_type == "SWAP":
                sim_derivs.liquidate_triggered(self.state, inst, mark, index)

    # -- set-up ------------------------------------------------------------------------------

    @writes
    def open_account(self, account: str, balances: dict[str, Decimal] | None = None,
                     addresses: Iterable[DepositAddress] = ()) -> None:
        """Create `account` with initial balances (booked as deposits) and addresses."""
        self.state.balances.setdefault(account, {})
        for ccy, amount in (balances or {}).items():
            post(self.state, account, ccy, amount, 1, notes="opening balance")
        self.state.addresses.setdefault(account, []).extend(addresses)

    @writes
    def open_accounts(self, accounts: Iterable[str]) -> None:
        """Create many empty accounts with one save."""
        for account in accounts:
            self.state.balances.setdefault(account, {})

    @writes
    def record_security_event(self, account: str, event: SecurityEvent) -> None:
        """Append an entry to the account's security log."""
        self._of(self.state.security_events, account)
        self.state.security_events.setdefault(account, []).append(event)

    @writes
    def record_status(self, window: StatusWindow) -> None:
        """Publish a maintenance or incident window."""
        self.state.status.append(window)

    @writes
    def record_chain(self, transfer: OnChainTransfer) -> None:
        """Put a transfer on the simulated chain (what an explorer would show)."""
        self.state.chain.append(transfer)

    def chain_transfer(self, tx_id: str) -> OnChainTransfer | None:
        """The simulated chain's view of `tx_id`, if any."""
        return next((t for t in self.state.chain if t.tx_id == tx_id), None)

    @writes
    def open_position(self, account: str, inst_id: str, direction: str, contracts: Decimal,
                      entry_px: Decimal, lever: Decimal) -> Position:
        """Open an isolated perpetual position for `account`."""
        pos = sim_derivs.open_position(self.state, account, self.state.instruments[inst_id],
                                       direction, contracts, entry_px, lever)
        return pos

    @writes
    def auto_deleverage(self, inst_id: str, direction: str,
                        contracts: Decimal) -> list[tuple[str, Liquidation]]:
        """Deleverage `contracts` of `direction` positions at the current mark price."""
        mark = sim_market.mark_price(self.state, inst_id)
        done = sim_derivs.auto_deleverage(self.state, self.state.instruments[inst_id], direction,
                                          contracts, mark, self.state.mids[inst_id])
        return done

    # -- trading and transfers ---------------------------------------------------------------

    @writes
    def accept_order(self, account: str, inst_id: str, side: str, ord_type: str, sz: Decimal,
                     px: Decimal | None = None) -> Order:
        """Accept an order (state live) and record the book it met; matching comes later."""
        self._known(account)
        order = accept(self.state, self._books[inst_id], account, inst_id, side, ord_type, sz, px)
        return order

    @writes
    def execute(self, account: str, ord_id: str) -> Order:
        """Match an accepted order against the book as it stands now."""
        order = execute(self.state, self._books, account, ord_id)
        return order

    @writes
    def place_order(self, account: str, inst_id: str, side: str, ord_type: str, sz: Decimal,
                    px: Decimal | None = None) -> Order:
        """Accept and match an order at once (no matching-engine lag)."""
        order = self.accept_order(account, inst_id, side, ord_type, sz, px)
        return self.execute(account, order.ord_id)

    @writes
    def deposit(self, account: str, deposit: Deposit) -> Deposit:
        """Record a deposit; states 1 and 2 credit the account."""
        self._known(account)
        if deposit.state in (1, 2):
            post(self.state, account, deposit.ccy, deposit.amt, 1,
                 notes=f"deposit {deposit.dep_id}")
        self.state.deposits.setdefault(account, []).append(deposit)
        return deposit

    @writes
    def withdraw(self, account: str, ccy: str, chain: str, amt: Decimal, to: str,
                 fee: Decimal = Decimal(0), state: int = 0) -> Withdrawal:
        """Take a withdrawal request: debit amount and fee, record it in `state`."""
        self._known(account)
        if account in self.state.frozen:
            raise ExchangeRejected("50007", f"account {account} is frozen")
        wd = Withdrawal(wd_id=next_id(self.state), ccy=ccy, chain=chain, amt=amt, to=to,
                        state=state, ts=self.state.now, fee=fee, fee_ccy=ccy)
        post(self.state, account, ccy, -(amt + fee), 2, notes=f"withdrawal {wd.wd_id}")
        self.state.withdrawals.setdefault(account, []).append(wd)
        return wd

    @writes
    def set_withdrawal_state(self, account: str, wd_id: str, state: int,
                             tx_id: str | None = None) -> Withdrawal:
        """Move a withdrawal to `state`; canceled (-2) and failed (-1) return the funds."""
        rows = self._of(self.state.withdrawals, account)
        at = next(i for i, w in enumerate(rows) if w.wd_id == wd_id)
        wd = replace(rows[at], state=state, tx_id=tx_id or rows[at].tx_id)
        if state in (-2, -1) and rows[at].state not in (-2, -1):
            post(self.state, account, wd.ccy, wd.amt + wd.fee, 13, notes=f"withdrawal {wd_id}")
        rows[at] = wd
        return wd

    # -- ExchangeActor -----------------------------------------------------------------------

    def freeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Freeze `account`; a second freeze changes nothing."""
        return self._set_frozen(account, reason, frozen=True)

    def unfreeze_account(self, account: str, reason: str) -> FreezeReceipt:
        """Unfreeze `account`; unfreezing an active account changes nothing."""
        return self._set_frozen(account, reason, frozen=False)

    def _set_frozen(self, account: str, reason: str, frozen: bool) -> FreezeReceipt:
        operation = "freeze_account" if frozen else "unfreeze_account"
        with self._changing(snapshot=False):
            self._known(account)
            self._fault(operation, applied=False)
            changed = (account in self.state.frozen) != frozen
            if changed:
                if frozen:
                    self.state.frozen[account] = reason
                else:
                    self.state.frozen.pop(account)
                self._journal({"op": "frozen", "account": account, "frozen": frozen,
                               "reason": reason})
            self._fault(operation, applied=True)
            return FreezeReceipt(account, frozen, self.state.now, reason, changed)

    def credit(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Credit from the exchange's treasury, exactly once per `client_id`."""
        return self._transfer("credit", account, asset, amount, client_id)

    def refund(self, account: str, asset: str, amount: Decimal, client_id: str) -> TransferState:
        """Refund from the exchange's treasury, exactly once per `client_id`."""
        return self._transfer("refund", account, asset, amount, client_id)

    def _transfer(self, kind: str, account: str, asset: str, amount: Decimal,
                  client_id: str) -> TransferState:
        if not CLIENT_ID_RE.match(client_id):
            raise ExchangeRejected("51000", f"clientId {client_id!r} must be 1-32 letters, "
                                            "digits, '_' or '-'")
        if amount <= 0 or quantize(amount, asset) != amount:
            raise ExchangeRejected("51000", f"amount {amount} is not a positive {asset} amount")
        with self._changing(snapshot=False):
            self._known(account)
            self._fault(kind, applied=False)
            first = self.state.transfers.get(client_id)
            if first is not None:
                if (first.kind, first.account, first.ccy, first.amt) != (
                        kind, account, asset, amount):
                    raise ClientIdConflict(
                        f"client id {client_id} was used for a {first.kind} of {first.amt} "
                        f"{first.ccy} to {first.account}")
                return first
            bill_type = BILL_CUSTOMER_FEEDBACK if kind == "credit" else BILL_SYSTEM_REVERSAL
            paid = post(self.state, TREASURY, asset, -amount, bill_type, client_id=client_id)
            bill = post(self.state, account, asset, amount, bill_type, client_id=client_id,
                        notes=f"{kind} {client_id}")
            state = TransferState(client_id, TransferStatus.SUCCESS, account, asset, amount, kind,
                                  bill.bill_id, self.state.now)
            self.state.transfers[client_id] = state
            self._journal(transfer_entry(self.state, state, [(TREASURY, paid), (account, bill)]))
            self._fault(kind, applied=True)
            return state

    def transfer_state(self, client_id: str) -> TransferState | None:
        """The credit or refund with `client_id`, or None if none was made."""
        self.refresh()
        return self.state.transfers.get(client_id)

    def transfers(self) -> list[TransferState]:
        """Every credit and refund made, oldest first (what a reconciliation reads)."""
        self.refresh()
        return list(self.state.transfers.values())
