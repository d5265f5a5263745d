"""OKX v5 deposit and withdrawal state codes (exchange-domain §1.5, §1.6), with their meaning."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Stage(StrEnum):
    """Where a transfer stands."""

    PENDING = "pending"  # not yet on chain / not yet credited
    IN_PROGRESS = "in_progress"  # on chain, or being processed
    HELD = "held"  # held by the exchange: review, risk, compliance, suspension
    FINAL = "final"


class DepositState(IntEnum):
    """`state` of `/api/v5/asset/deposit-history`."""

    WAITING_CONFIRMATION = 0
    CREDITED_LOCKED = 1
    SUCCESS = 2
    SUSPENDED = 8
    ADDRESS_BLACKLIST = 11
    FROZEN = 12
    SUB_ACCOUNT_INTERCEPTED = 13
    KYC_LIMIT = 14
    TRAVEL_RULE = 17

    @property
    def meaning(self) -> str:
        """OKX's wording for the state."""
        return _DEPOSIT_MEANING[self]

    @property
    def stage(self) -> Stage:
        """Coarse stage of the state."""
        if self is DepositState.WAITING_CONFIRMATION:
            return Stage.IN_PROGRESS
        if self in (DepositState.CREDITED_LOCKED, DepositState.SUCCESS):
            return Stage.FINAL
        return Stage.HELD


_DEPOSIT_MEANING = {
    DepositState.WAITING_CONFIRMATION:
        "waiting for confirmation (required confirmations not reached)",
    DepositState.CREDITED_LOCKED: "credited, not withdrawable until more confirmations",
    DepositState.SUCCESS: "deposit successful (credited and withdrawable)",
    DepositState.SUSPENDED: "pending: deposits of this crypto are temporarily suspended",
    DepositState.ADDRESS_BLACKLIST: "held: the sending address matches the address blacklist",
    DepositState.FROZEN: "held: the account or the deposit is frozen",
    DepositState.SUB_ACCOUNT_INTERCEPTED: "held: sub-account deposit interception",
    DepositState.KYC_LIMIT: "held: KYC limit",
    DepositState.TRAVEL_RULE: "held: pending response from the Travel Rule vendor",
}


class WithdrawalState(IntEnum):
    """`state` of `/api/v5/asset/withdrawal-history`."""

    CANCELING = -3
    CANCELED = -2
    FAILED = -1
    WAITING_WITHDRAWAL = 0
    BROADCASTING = 1
    SUCCESS = 2
    REVIEW_4 = 4
    REVIEW_5 = 5
    REVIEW_6 = 6
    APPROVED = 7
    REVIEW_8 = 8
    REVIEW_9 = 9
    WAITING_TRANSFER = 10
    REVIEW_12 = 12
    PENDING_VALIDATION = 15
    LOCAL_LAW_DELAY = 16
    TRAVEL_RULE = 17
    HOT_WALLET_SHORT = 19

    @property
    def meaning(self) -> str:
        """OKX's wording for the state."""
        if self in MANUAL_REVIEW:
            return "waiting for manual review"
        return _WITHDRAWAL_MEANING[self]

    @property
    def stage(self) -> Stage:
        """Coarse stage of the state."""
        if self in (WithdrawalState.CANCELED, WithdrawalState.FAILED, WithdrawalState.SUCCESS):
            return Stage.FINAL
        if self in (WithdrawalState.BROADCASTING, WithdrawalState.PENDING_VALIDATION,
                    WithdrawalState.CANCELING):
            return Stage.IN_PROGRESS
        if self in (WithdrawalState.WAITING_WITHDRAWAL, WithdrawalState.WAITING_TRANSFER,
                    WithdrawalState.APPROVED):
            return Stage.PENDING
        return Stage.HELD

    @property
    def cancellable(self) -> bool:
        """Only states 0, 17 and 19 can be cancelled by the customer."""
        return self in (WithdrawalState.WAITING_WITHDRAWAL, WithdrawalState.TRAVEL_RULE,
                        WithdrawalState.HOT_WALLET_SHORT)


MANUAL_REVIEW = frozenset({
    WithdrawalState.REVIEW_4, WithdrawalState.REVIEW_5, WithdrawalState.REVIEW_6,
    WithdrawalState.REVIEW_8, WithdrawalState.REVIEW_9, WithdrawalState.REVIEW_12,
})

_WITHDRAWAL_MEANING = {
    WithdrawalState.CANCELING: "canceling",
    WithdrawalState.CANCELED: "canceled",
    WithdrawalState.FAILED: "failed",
    WithdrawalState.WAITING_WITHDRAWAL: "waiting withdrawal",
    WithdrawalState.BROADCASTING: "broadcasting the transaction to the chain",
    WithdrawalState.SUCCESS: "withdrawal complete",
    WithdrawalState.APPROVED: "approved, waiting to be sent",
    WithdrawalState.WAITING_TRANSFER: "waiting transfer",
    WithdrawalState.PENDING_VALIDATION: "pending transaction validation",
    WithdrawalState.LOCAL_LAW_DELAY: "delayed up to 24 hours by local laws and regulations",
    WithdrawalState.TRAVEL_RULE: "pending response from the Travel Rule vendor",
    WithdrawalState.HOT_WALLET_SHORT: "insufficient balance in the hot wallet",
}


class TransferStatus(StrEnum):
    """State of a credit/refund/transfer by client id (`/asset/transfer-state`)."""

    SUCCESS = "success"
    PENDING = "pending"
    FAILED = "failed"
