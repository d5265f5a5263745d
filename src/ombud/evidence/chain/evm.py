"""EVM chains over JSON-RPC: `eth_getTransactionByHash`, `eth_getTransactionReceipt`,
`eth_blockNumber`; native value and ERC-20 `Transfer` logs."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import httpx

from ombud.evidence.chain.erc20 import Token, decode_transfers, hex_int, scaled
from ombud.evidence.chain.model import (
    ChainDataError,
    ChainTransfer,
    ChainTx,
    ChainUnavailable,
    TxStatus,
)


class EvmClient:
    """A `ChainClient` for one EVM network (Ethereum as "ERC20", BSC, Arbitrum, ...)."""

    def __init__(self, url: str, network: str, native: str = "ETH",
                 tokens: Mapping[str, Token] | None = None, timeout: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        self.network = network
        self.native = native
        self.tokens = {k.lower(): v for k, v in (tokens or {}).items()}
        self._url = url
        self._http = client or httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def _rpc(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        try:
            response = self._http.post(self._url, json=body)
        except httpx.TimeoutException:
            raise ChainUnavailable(f"{self.network} node: {method} timed out") from None
        except httpx.TransportError as exc:
            raise ChainUnavailable(f"{self.network} node: {method}: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise ChainUnavailable(f"{self.network} node: {method}: HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise ChainDataError(f"{self.network} node: {method}: body is not JSON") from None
        if not isinstance(payload, dict):
            raise ChainDataError(f"{self.network} node: {method}: answer is not an object")
        if "error" in payload:
            raise ChainDataError(f"{self.network} node: {method}: {payload['error']}")
        if "result" not in payload:
            raise ChainDataError(f"{self.network} node: {method}: no result")
        return payload["result"]

    def transaction(self, tx_id: str) -> ChainTx:
        """The transaction, its receipt status, transfers and confirmations."""
        tx = self._rpc("eth_getTransactionByHash", tx_id)
        if tx is None:
            return ChainTx(self.network, tx_id, TxStatus.NOT_FOUND)
        if not isinstance(tx, dict):
            raise ChainDataError(f"{self.network} node: transaction is not an object")
        transfers: list[ChainTransfer] = []
        value = hex_int(tx.get("value", "0x0"), "value")
        if value and tx.get("to"):
            transfers.append(ChainTransfer(str(tx["to"]).lower(), value, scaled(value, 18),
                                           self.native, sender=str(tx.get("from", "")).lower()))
        if tx.get("blockNumber") is None:
            return ChainTx(self.network, tx_id, TxStatus.PENDING, transfers=tuple(transfers))
        receipt = self._rpc("eth_getTransactionReceipt", tx_id)
        if receipt is None:
            return ChainTx(self.network, tx_id, TxStatus.PENDING, transfers=tuple(transfers))
        if not isinstance(receipt, dict):
            raise ChainDataError(f"{self.network} node: receipt is not an object")
        height = hex_int(receipt.get("blockNumber"), "receipt blockNumber")
        tip = hex_int(self._rpc("eth_blockNumber"), "eth_blockNumber")
        confirmations = max(tip - height + 1, 0)
        if hex_int(receipt.get("status"), "receipt status") != 1:
            return ChainTx(self.network, tx_id, TxStatus.FAILED, confirmations, height,
                           detail="reverted: receipt status 0x0, no value moved")
        transfers.extend(decode_transfers(receipt.get("logs"), self.tokens))
        return ChainTx(self.network, tx_id, TxStatus.CONFIRMED, confirmations, height,
                       tuple(transfers))
