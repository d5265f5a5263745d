"""Run an analysis on a case's captured evidence (pure): which analysis a category needs, the
transfer trace and the login review, and the dispatch that turns any failure of the evidence
into "cannot determine, because ..." rather than a verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from ombud.evidence import login_review as lr
from ombud.evidence.analyses_market import liquidation, replay
from ombud.evidence.analysis_model import (
    Evidence,
    Outcome,
    Undetermined,
    loss_in_usd,
    records,
    undetermined,
)
from ombud.evidence.capture import claimed_transfer
from ombud.evidence.chain import (
    ChainProblem,
    ChainTransfer,
    ChainTx,
    DepositClaim,
    TxStatus,
    diagnose_deposit,
    diagnose_withdrawal,
)
from ombud.evidence.chain import Verdict as ChainVerdict
from ombud.evidence.schemas import Analysis, Fault
from ombud.exchange import codec
from ombud.exchange.dto import (
    CurrencyInfo,
    Deposit,
    DepositAddress,
    OnChainTransfer,
    SecurityEvent,
    Withdrawal,
)

#: The analysis each category of complaint needs.
FOR_CATEGORY = {"trade_dispute": Analysis.REPLAY, "liquidation": Analysis.LIQUIDATION,
                "deposit_withdrawal": Analysis.TRANSFER, "account_security": Analysis.LOGIN}
#: Login review: events in this period before the complaint are reviewed, older ones are the
#: account's history of devices and countries.
REVIEW_PERIOD = dt.timedelta(hours=48)
_UNCREDITED = frozenset({ChainVerdict.WRONG_NETWORK, ChainVerdict.MISSING_MEMO,
                         ChainVerdict.WRONG_MEMO, ChainVerdict.ADDRESS_NOT_OURS,
                         ChainVerdict.BELOW_MINIMUM, ChainVerdict.NOT_DETECTED})
_SUSPICIOUS = frozenset({lr.FlagKind.NEW_COUNTRY, lr.FlagKind.NEW_DEVICE,
                         lr.FlagKind.IMPOSSIBLE_TRAVEL})
_BEFORE_WITHDRAWAL = frozenset({lr.FlagKind.CREDENTIAL_CHANGE_BEFORE_WITHDRAWAL,
                                lr.FlagKind.API_KEY_BEFORE_WITHDRAWAL})


def run(analysis: Analysis, ev: Evidence, text: str, as_of: dt.datetime) -> Outcome:
    """Run `analysis` on the evidence `ev` (kind → captured item) as of `as_of`."""
    engines: dict[Analysis, Callable[[Evidence, str, dt.datetime], Outcome]] = {
        Analysis.REPLAY: replay, Analysis.LIQUIDATION: liquidation,
        Analysis.TRANSFER: transfer, Analysis.LOGIN: login}
    try:
        return engines[analysis](ev, text, as_of)
    except Undetermined as why:
        return undetermined(analysis, str(why), why.cites)
    except (ValueError, ArithmeticError, KeyError, TypeError) as exc:  # data the engines refuse
        return undetermined(analysis, f"the evidence is inconsistent ({exc})",
                            tuple(item.id for item in ev.values()))


def _chain_view(ev: Evidence, network: str | None) -> tuple[ChainTx | None, ChainProblem | None]:
    item = ev.get("chain_tx")
    if item is None:
        return None, ChainProblem("the chain was not consulted")
    if item.error:
        return None, ChainProblem(item.error)
    if "not_found" in item.data:
        return ChainTx(network or "?", item.data["not_found"], TxStatus.NOT_FOUND), None
    seen = codec.load(OnChainTransfer, item.data)
    return ChainTx(seen.network, seen.tx_id, TxStatus(seen.status), seen.confirmations, 1,
                   (ChainTransfer(seen.to, 0, seen.amt, seen.ccy),), seen.memo), None


def transfer(ev: Evidence, text: str, as_of: dt.datetime) -> Outcome:
    """Trace the transfer the customer names (by tx id), else their latest withdrawal."""
    withdrawals = records(ev, "withdrawals", Withdrawal)
    claim = claimed_transfer(text)
    if claim is not None and not any(w.tx_id == claim[0] for w in withdrawals):
        tx_id, named = claim
        tx, problem = _chain_view(ev, named)
        network = named or (tx.network if tx and tx.status is not TxStatus.NOT_FOUND else None)
        if network is None:
            raise Undetermined("the customer did not say which network the deposit was sent on "
                               "and the chain does not know the transaction", ev, "chain_tx")
        ccy = tx.transfers[0].asset if tx and tx.transfers and tx.transfers[0].asset else ""
        d = diagnose_deposit(
            DepositClaim(ccy, tx_id, network), records=records(ev, "deposits", Deposit),
            addresses=records(ev, "deposit_addresses", DepositAddress),
            currencies=records(ev, "currencies", CurrencyInfo), tx=tx, problem=problem,
            now=as_of)
        kinds = ("deposits", "deposit_addresses", "currencies", "chain_tx")
        amount = tx.transfers[0].amount if tx and tx.transfers else None
        lost = amount if d.verdict in _UNCREDITED else None
        return _from_diagnosis(d.verdict, d.fault, d.reason, ev, kinds, ccy, lost, as_of)
    pending = [w for w in withdrawals if w.state != 2] or withdrawals
    if not pending:
        raise Undetermined("the complaint names no transaction id and the exchange holds no "
                           "withdrawal in the 30 days before it", ev, "withdrawals", "deposits")
    wd = pending[-1]
    tx, problem = (None, None) if not wd.tx_id else _chain_view(ev, None)
    d = diagnose_withdrawal(wd, tx=tx, problem=problem, now=as_of)
    return _from_diagnosis(d.verdict, d.fault, d.reason, ev, ("withdrawals", "chain_tx"),
                           wd.ccy, None, as_of)


def _from_diagnosis(verdict: ChainVerdict, fault: Fault | str, reason: str, ev: Evidence,
                    kinds: tuple[str, ...], ccy: str, lost: Decimal | None,
                    as_of: dt.datetime) -> Outcome:
    cites = tuple(ev[k].id for k in kinds if k in ev)
    if verdict is ChainVerdict.CANNOT_DETERMINE:
        because = reason.removeprefix("cannot determine, because ")
        return undetermined(Analysis.TRANSFER, because, cites)
    return Outcome(Analysis.TRANSFER, verdict.value, Fault(fault),
                   reason[0].upper() + reason[1:] + ".", cites=cites,
                   loss_asset=ccy if lost else None, loss_amount=lost,
                   loss_usd=loss_in_usd(ccy, lost, ev, as_of))


def login(ev: Evidence, text: str, as_of: dt.datetime) -> Outcome:
    """Review the account's security log for a takeover before its withdrawals."""
    raw = [e for e in records(ev, "security_events", SecurityEvent) if e.at <= as_of]
    if not raw:
        raise Undetermined("the exchange returned no security events for the account",
                           ev, "security_events")
    events = [lr.SecurityEvent(e.id, e.at, e.kind, e.ip, e.country,
                               e.device_id, e.lat, e.lon) for e in raw]
    review = lr.review_logins(events, now=as_of, since=as_of - REVIEW_PERIOD)
    kinds = {f.kind for f in review.flags}
    cites = tuple(ev[k].id for k in ("security_events", "withdrawals") if k in ev)
    lines = " ".join(f.explanation for f in review.flags)
    if kinds & _SUSPICIOUS and kinds & _BEFORE_WITHDRAWAL:
        first = min(f.at for f in review.flags if f.kind in _SUSPICIOUS)
        taken = [w for w in records(ev, "withdrawals", Withdrawal) if w.ts >= first]
        ccy = taken[0].ccy if taken else None
        amount = sum((w.amt for w in taken if w.ccy == ccy), Decimal(0)) if ccy else None
        return Outcome(Analysis.LOGIN, "suspected_account_takeover", Fault.THIRD_PARTY,
                       f"Suspected account takeover: {lines}", cites=cites,
                       figures={"flags": sorted(k.value for k in kinds)},
                       loss_asset=ccy, loss_amount=amount or None,
                       loss_usd=loss_in_usd(ccy, amount or None, ev, taken[0].ts)
                       if taken and ccy else None)
    if kinds:
        return Outcome(Analysis.LOGIN, "unusual_login", Fault.UNDETERMINED,
                       f"Unusual sign-ins, but no credential change before a withdrawal: {lines}",
                       cites=cites, figures={"flags": sorted(k.value for k in kinds)})
    notes = " ".join(review.notes)
    return Outcome(Analysis.LOGIN, "no_anomaly", Fault.UNDETERMINED,
                   "Every sign-in in the review period came from a known device and country."
                   + (f" Not checked: {notes}" if notes else ""), cites=cites)
