"""Bitcoin through an Esplora REST server (`/tx/{txid}`, `/tx/{txid}/status`,
`/blocks/tip/height`), the API of blockstream.info and mempool.space."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from ombud.evidence.chain.model import (
    ChainDataError,
    ChainTransfer,
    ChainTx,
    ChainUnavailable,
    TxStatus,
)

SATS = 8


class EsploraClient:
    """A `ChainClient` for Bitcoin-like chains served by Esplora."""

    def __init__(self, base_url: str, network: str = "Bitcoin", asset: str = "BTC",
                 timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.network = network
        self.asset = asset
        self._http = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def _get(self, path: str) -> httpx.Response:
        try:
            response = self._http.get(path)
        except httpx.TimeoutException:
            raise ChainUnavailable(f"{self.network} node: {path} timed out") from None
        except httpx.TransportError as exc:
            raise ChainUnavailable(f"{self.network} node: {path}: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise ChainUnavailable(f"{self.network} node: {path}: HTTP {response.status_code}")
        return response

    def _json(self, path: str) -> Any:
        response = self._get(path)
        if response.status_code != 200:
            raise ChainDataError(f"{self.network} node: {path}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise ChainDataError(f"{self.network} node: {path}: body is not JSON") from None

    def tip_height(self) -> int:
        """Height of the best block."""
        text = self._get("/blocks/tip/height").text.strip()
        if not text.isdigit():
            raise ChainDataError(f"{self.network} node: tip height {text[:40]!r} is not a number")
        return int(text)

    def transaction(self, tx_id: str) -> ChainTx:
        """The transaction, its outputs and its confirmations (tip − height + 1)."""
        response = self._get(f"/tx/{tx_id}")
        if response.status_code in (400, 404):
            return ChainTx(self.network, tx_id, TxStatus.NOT_FOUND,
                           detail=response.text.strip()[:80])
        tx = self._json(f"/tx/{tx_id}")
        status = self._json(f"/tx/{tx_id}/status")
        if not isinstance(tx, dict) or not isinstance(tx.get("vout"), list) \
                or not isinstance(status, dict) or "confirmed" not in status:
            raise ChainDataError(f"{self.network} node: /tx/{tx_id} lacks vout or status")
        outputs = tuple(_output(out, self.asset) for out in tx["vout"]
                        if isinstance(out, dict) and out.get("scriptpubkey_address"))
        if not status["confirmed"]:
            return ChainTx(self.network, tx_id, TxStatus.PENDING, transfers=outputs)
        height = status.get("block_height")
        if not isinstance(height, int):
            raise ChainDataError(f"{self.network} node: confirmed tx without a block height")
        return ChainTx(self.network, tx_id, TxStatus.CONFIRMED,
                       confirmations=max(self.tip_height() - height + 1, 0),
                       block_height=height, transfers=outputs)


def _output(out: dict[str, Any], asset: str) -> ChainTransfer:
    value = out.get("value")
    if not isinstance(value, int):
        raise ChainDataError(f"output value {value!r} is not an integer of satoshis")
    return ChainTransfer(to=str(out["scriptpubkey_address"]), raw_amount=value,
                         amount=Decimal(value).scaleb(-SATS), asset=asset)
