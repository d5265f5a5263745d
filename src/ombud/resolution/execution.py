"""Carrying out accepted remedies through the exchange, exactly once.

Each remedy the exchange carries out (a credit, a refund, lifting a freeze) is one job,
``resolution.execute``, keyed by the remedy. The money moves under a client id derived from
the case and the remedy, which never changes; before acting, the job asks the exchange for
that client id's transfer, so a retry after a crash or a timeout finds the first transfer
instead of paying again. The exchange's receipt, the remedy's new status, the audit event, the
message to the customer and the case's completion commit together with the job's done mark.

Fault points (`ombud.common.faults`) let crash tests kill a worker at each step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event, Status
from ombud.cases.schemas import MessageIn
from ombud.common.clock import utcnow
from ombud.common.faults import Faults
from ombud.customers import service as customers
from ombud.db import tx
from ombud.evidence import service as evidence
from ombud.evidence.capture import source_of
from ombud.exchange import codec
from ombud.exchange.dto import FreezeReceipt, TransferState
from ombud.exchange.errors import (
    ClientIdConflict,
    ExchangeError,
    ExchangeRejected,
    ExchangeUnavailable,
)
from ombud.exchange.factory import Gateway
from ombud.exchange.states import TransferStatus
from ombud.jobs.service import Failed
from ombud.resolution import letters
from ombud.resolution.policy import EXECUTED, RemedyKind
from ombud.resolution.tables import Remedy
from ombud.security.permissions import SYSTEM
from ombud.storage.blobs import BlobStore

EXECUTE = "resolution.execute"
BEFORE_CALL, AFTER_CALL = "remedy.before_call", "remedy.after_call"
IN_COMMIT, AFTER_COMMIT = "remedy.in_commit", "remedy.after_commit"
#: Where a crash test may kill the worker: before the exchange call; after the exchange
#: answered, before anything is written; with every row flushed but not committed; after the
#: commit of the remedy and the job's done mark.
FAULT_POINTS = (BEFORE_CALL, AFTER_CALL, IN_COMMIT, AFTER_COMMIT)
#: Remedy states in which the remedy still has to be carried out.
OPEN = ("accepted", "executing")
_FINISHED = ("executed", "cancelled", "superseded")
_MAX_CLIENT_ID = 32


def client_id_for(reference: str, remedy_id: int) -> str:
    """The exchange client id of a remedy: ``OMB-C2026000123-17`` for remedy 17 of case
    C-2026-000123. Deterministic, 1-32 of ``[A-Za-z0-9_-]`` (OKX's clientId rule); should a
    reference ever make it too long, a digest of the same two facts stands in."""
    client_id = f"OMB-{reference.replace('-', '')}-{remedy_id}"
    if len(client_id) <= _MAX_CLIENT_ID:
        return client_id
    return "OMB-" + hashlib.sha256(f"{reference}:{remedy_id}".encode()).hexdigest()[:28]


def execute_remedy(connect: Callable[[], Gateway], blobs: BlobStore, faults: Faults,
                   session: Session, payload: dict[str, Any]) -> None:
    """Job ``resolution.execute``: carry out one accepted remedy, once however often it runs.

    A remedy already executed or cancelled is left alone. An exchange that does not answer
    (timeout, unavailable, transfer still pending) makes the job retry with backoff; one that
    refuses (rejected, client id used for something else, unknown account) parks the job and
    leaves the remedy ``accepted`` with the error for finance to see. Either way the remedy
    keeps the count of attempts and the last error.
    """
    remedy_id = int(payload["remedy_id"])
    with tx(session):
        remedy = session.get(Remedy, remedy_id, with_for_update=True, populate_existing=True)
        if remedy is None:
            raise Failed(f"remedy {remedy_id} does not exist", park=True)
        if remedy.status in _FINISHED:
            return
        if remedy.status not in OPEN or RemedyKind(remedy.kind) not in EXECUTED:
            raise _refused(remedy_id, f"remedy {remedy_id} ({remedy.kind}, {remedy.status}) is "
                                      "not one the exchange carries out")
        case = cases.get_by_id(session, remedy.case_id)
        account = remedy.account or customers.get_customer(session, case.customer_id).uid
        if not account:
            raise _refused(remedy_id, "the customer has no exchange account (UID) on file")
        remedy.client_id = remedy.client_id or client_id_for(case.reference, remedy.id)
        gateway = connect()
        faults.reach(BEFORE_CALL)
        try:
            receipt = _carry_out(gateway, remedy, account, case.reference)
        except ExchangeUnavailable as exc:  # no answer: it may have happened; ask again later
            raise _retry(remedy_id, _error(exc)) from exc
        except ExchangeError as exc:  # a refusal: retrying the same request cannot help
            raise _refused(remedy_id, _error(exc)) from exc
        faults.reach(AFTER_CALL)
        _record(session, blobs, source_of(gateway), case.id, remedy, receipt)
        settle(session, case.id)
        _arm_commit_faults(session, faults)


def _carry_out(gateway: Gateway, remedy: Remedy, account: str,
               reference: str) -> TransferState | FreezeReceipt:
    """The exchange's receipt of the remedy: the existing transfer of its client id if the
    exchange already has one, else a new credit or refund (or the unfreeze, idempotent)."""
    client_id = remedy.client_id
    assert client_id is not None
    if remedy.kind == RemedyKind.UNFREEZE:
        return gateway.unfreeze_account(account, f"{reference}: remedy {remedy.id}")
    if not remedy.asset or remedy.amount is None:
        raise ExchangeRejected("ombud", f"remedy {remedy.id} has no asset or amount")
    state = gateway.transfer_state(client_id)
    if state is None:
        pay = gateway.refund if remedy.kind == RemedyKind.FEE_REFUND else gateway.credit
        state = pay(account, remedy.asset, remedy.amount, client_id)
    if (state.ccy, state.amt) != (remedy.asset, remedy.amount) or state.account not in (
            "", account):
        raise ClientIdConflict(f"client id {client_id} is a transfer of {state.amt} {state.ccy} "
                               f"to {state.account}, not {remedy.amount} {remedy.asset} to "
                               f"{account}")
    if state.status is TransferStatus.PENDING:
        raise ExchangeUnavailable(f"transfer {state.transfer_id} is still pending")
    if state.status is TransferStatus.FAILED:
        raise ExchangeRejected("failed", f"transfer {state.transfer_id} failed")
    return state


def _record(session: Session, blobs: BlobStore, source: str, case_id: int, remedy: Remedy,
            receipt: TransferState | FreezeReceipt) -> None:
    """Keep the receipt as evidence, mark the remedy executed, audit, tell the customer."""
    case = cases.get_by_id(session, case_id)
    remedy.receipt_evidence_id = evidence.store_receipt(
        session, blobs, case.id, f"remedy:{remedy.id}", source, codec.dump(receipt))
    remedy.bill_id = receipt.transfer_id if isinstance(receipt, TransferState) else None
    remedy.status, remedy.executed_at = "executed", utcnow()
    remedy.attempts, remedy.last_error = remedy.attempts + 1, None
    audit.append(session, actor="system", action="remedy.executed", chain=case.reference,
                 case_id=case.id, data={
                     "remedy_id": remedy.id, "kind": remedy.kind, "client_id": remedy.client_id,
                     "asset": remedy.asset, "amount": _text(remedy.amount),
                     "bill_id": remedy.bill_id, "receipt_id": remedy.receipt_evidence_id})
    subject, body = notice(case.language, case.reference, remedy.kind, remedy.asset,
                           remedy.amount, remedy.bill_id)
    message = cases.add_message(session, SYSTEM, case.reference, MessageIn(body=body))
    letters.deliver(session, case.id, message.id, subject)


def settle(session: Session, case_id: int) -> bool:
    """Complete the case (executing → resolved) once none of its remedies is still waiting
    to be carried out; True when it did. Called after a remedy is executed or cancelled."""
    with tx(session):
        session.flush()
        case = cases.get_by_id(session, case_id)
        session.refresh(case, with_for_update=True)  # latest status; one settler at a time
        if case.status != Status.EXECUTING.value:
            return False
        waiting = session.scalar(select(func.count()).select_from(Remedy).where(
            Remedy.case_id == case_id, Remedy.status.in_(OPEN)))
        if waiting:
            return False
        cases.advance(session, SYSTEM, case_id, Event.COMPLETE,
                      reason="every accepted remedy is carried out or cancelled")
        return True


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def _note(remedy_id: int, error: str, refused: bool) -> Callable[[Session], None]:
    """Keep an attempt's error on the remedy (in the transaction that retries or parks)."""
    def note(session: Session) -> None:
        remedy = session.get(Remedy, remedy_id, populate_existing=True)
        if remedy is None:
            return
        remedy.attempts, remedy.last_error = remedy.attempts + 1, error[:4000]
        if refused:
            case = cases.get_by_id(session, remedy.case_id)
            audit.append(session, actor="system", action="remedy.refused",
                         chain=case.reference, case_id=case.id,
                         data={"remedy_id": remedy_id, "error": error[:500]})
    return note


def _retry(remedy_id: int, error: str) -> Failed:
    return Failed(error, note=_note(remedy_id, error, refused=False))


def _refused(remedy_id: int, error: str) -> Failed:
    return Failed(f"remedy {remedy_id} needs finance: {error}", park=True,
                  note=_note(remedy_id, error, refused=True))


def _arm_commit_faults(session: Session, faults: Faults) -> None:
    """Die in the job's commit (every row flushed, nothing committed) or right after it."""
    if IN_COMMIT in faults:
        def in_commit(s: Session) -> None:
            s.flush()
            faults.reach(IN_COMMIT)
        event.listen(session, "before_commit", in_commit, once=True)
    if AFTER_COMMIT in faults:
        event.listen(session, "after_commit", lambda _s: faults.reach(AFTER_COMMIT), once=True)


_WHAT = {
    "en": {
        "fee_refund": "we have refunded {amount} {asset} of fees to your account",
        "compensation": "we have credited {amount} {asset} of compensation to your account",
        "goodwill": "we have credited a goodwill payment of {amount} {asset} to your account",
        "unfreeze": "your account has been unfrozen",
        "ref": " (transfer {bill})",
        "body": "Case {reference}: {what}{ref}, as set out in the decision you accepted.",
        "subject": "Your remedy has been carried out - {reference}",
    },
    "zh-Hans": {
        "fee_refund": "我们已将 {amount} {asset} 手续费退还至您的账户",
        "compensation": "我们已将 {amount} {asset} 补偿金记入您的账户",
        "goodwill": "我们已将 {amount} {asset} 善意补偿记入您的账户",
        "unfreeze": "您的账户已解除冻结",
        "ref": "（转账编号 {bill}）",
        "body": "案件 {reference}：{what}{ref}，依照您已接受的处理决定执行。",
        "subject": "您的补救措施已执行 - {reference}",
    },
    "zh-Hant": {
        "fee_refund": "我們已將 {amount} {asset} 手續費退還至您的帳戶",
        "compensation": "我們已將 {amount} {asset} 補償金記入您的帳戶",
        "goodwill": "我們已將 {amount} {asset} 善意補償記入您的帳戶",
        "unfreeze": "您的帳戶已解除凍結",
        "ref": "（轉帳編號 {bill}）",
        "body": "案件 {reference}：{what}{ref}，依照您已接受的處理決定執行。",
        "subject": "您的補救措施已執行 - {reference}",
    },
}


def notice(language: str, reference: str, kind: str, asset: str | None,
           amount: Decimal | None, bill_id: str | None) -> tuple[str, str]:
    """(subject, body) telling the customer, in their language, that a remedy was carried
    out (English when the language is not one Ombud writes)."""
    words = _WHAT.get(language, _WHAT["en"])
    what = words[kind].format(amount=_text(amount), asset=asset)
    ref = words["ref"].format(bill=bill_id) if bill_id else ""
    return (words["subject"].format(reference=reference),
            words["body"].format(reference=reference, what=what, ref=ref))
