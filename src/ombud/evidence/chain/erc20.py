"""Decoding ERC-20 `Transfer(address,address,uint256)` logs from topics and data (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ombud.evidence.chain.model import ChainDataError, ChainTransfer

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


@dataclass(frozen=True)
class Token:
    """A token contract the exchange knows: its asset code and decimals."""

    asset: str
    decimals: int


def hex_int(value: Any, what: str) -> int:
    """`0x`-prefixed hex quantity → int."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ChainDataError(f"{what}: {value!r} is not a 0x hex quantity")
    try:
        return int(value, 16) if len(value) > 2 else 0
    except ValueError:
        raise ChainDataError(f"{what}: {value!r} is not hex") from None


def topic_address(topic: Any) -> str:
    """The address in the low 20 bytes of a 32-byte topic, lower-case `0x…`."""
    if not isinstance(topic, str) or len(topic) != 66:
        raise ChainDataError(f"topic {topic!r} is not 32 bytes of hex")
    return "0x" + topic[-40:].lower()


def scaled(raw: int, decimals: int) -> Decimal:
    """`raw` smallest units → a Decimal amount."""
    return Decimal(raw).scaleb(-decimals)


def decode_transfers(logs: Any, tokens: Mapping[str, Token]) -> tuple[ChainTransfer, ...]:
    """ERC-20 transfers among a receipt's `logs` (other events are skipped).

    `tokens` maps lower-case contract addresses to what they are; a transfer of an unknown
    contract keeps its raw amount with asset None.
    """
    if not isinstance(logs, list):
        raise ChainDataError("receipt 'logs' is not a list")
    out = []
    for log in logs:
        topics = log.get("topics") if isinstance(log, dict) else None
        if not isinstance(topics, list) or len(topics) != 3 or \
                str(topics[0]).lower() != TRANSFER_TOPIC:
            continue
        contract = str(log.get("address", "")).lower()
        raw = hex_int(log.get("data"), "log data")
        token = tokens.get(contract)
        out.append(ChainTransfer(
            to=topic_address(topics[2]), raw_amount=raw,
            amount=scaled(raw, token.decimals) if token else None,
            asset=token.asset if token else None, contract=contract,
            sender=topic_address(topics[1])))
    return tuple(out)
