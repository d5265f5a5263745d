"""What a chain says about a transaction, and the Protocol every chain client speaks (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class ChainError(Exception):
    """A chain client could not answer; `retryable` says whether asking again may help."""

    retryable = False


class ChainUnavailable(ChainError):
    """The node timed out, refused the connection or answered 5xx."""

    retryable = True


class ChainDataError(ChainError):
    """The node answered something that is not the documented shape (or an RPC error)."""


class TxStatus(StrEnum):
    """Where a transaction stands on its chain."""

    NOT_FOUND = "not_found"
    PENDING = "pending"  # in the mempool, not in a block
    CONFIRMED = "confirmed"
    FAILED = "failed"  # mined but reverted (EVM receipt status 0)


@dataclass(frozen=True)
class ChainTransfer:
    """One movement of value in a transaction: an output, a native transfer or a token log."""

    to: str
    raw_amount: int  # in the asset's smallest unit
    amount: Decimal | None  # None when the token's decimals are unknown
    asset: str | None  # None for an unknown token contract
    contract: str | None = None
    sender: str | None = None


@dataclass(frozen=True)
class ChainTx:
    """A transaction as seen from a node of `network`."""

    network: str
    tx_id: str
    status: TxStatus
    confirmations: int = 0
    block_height: int | None = None
    transfers: tuple[ChainTransfer, ...] = ()
    memo: str | None = None
    detail: str = ""


class ChainClient(Protocol):
    """Read access to one chain."""

    network: str

    def transaction(self, tx_id: str) -> ChainTx:
        """The transaction `tx_id`; status NOT_FOUND when the chain does not know it.

        Raises `ChainUnavailable` or `ChainDataError` when the node cannot answer properly.
        """
        ...


def network_of(chain: str) -> str:
    """OKX's "CCY-Network" chain name → the network (`USDT-ERC20` → `ERC20`)."""
    return chain.split("-", 1)[1] if "-" in chain else chain


def same_network(a: str, b: str) -> bool:
    """Network names compared case-insensitively, "BEP20" and "BSC" being one network."""
    aliases = {"bep20": "bsc", "eth": "erc20", "ethereum": "erc20", "btc": "bitcoin",
               "xrp": "ripple", "tron": "trc20"}
    return aliases.get(a.lower(), a.lower()) == aliases.get(b.lower(), b.lower())
