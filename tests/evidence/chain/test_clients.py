"""Esplora and EVM JSON-RPC clients against local servers speaking those wire formats."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from ombud.evidence.chain import (
    TRANSFER_TOPIC,
    ChainDataError,
    ChainUnavailable,
    EsploraClient,
    EvmClient,
    Token,
    TxStatus,
)
from tests.exchange.server import Reply, Request, serve

CONFIRMED = "a" * 64
PENDING = "b" * 64
STATUS = {"confirmed": True, "block_height": 880_000, "block_hash": "00" * 32,
          "block_time": 1_772_442_000}
BTC_TX = {
    "txid": CONFIRMED, "version": 2, "locktime": 0, "size": 222, "weight": 561, "fee": 1410,
    "vin": [{"txid": "c" * 64, "vout": 0, "is_coinbase": False, "sequence": 4294967293,
             "prevout": {"scriptpubkey_address": "bc1qsender", "value": 60_000_000}}],
    "vout": [
        {"scriptpubkey": "0014", "scriptpubkey_type": "v0_p2wpkh",
         "scriptpubkey_address": "bc1qexchangedeposit", "value": 50_000_000},
        {"scriptpubkey": "6a", "scriptpubkey_type": "op_return", "value": 0},
        {"scriptpubkey": "0014", "scriptpubkey_type": "v0_p2wpkh",
         "scriptpubkey_address": "bc1qchange", "value": 9_998_590}],
    "status": STATUS,
}


def esplora(request: Request) -> Reply:
    path = request.path
    if path == "/blocks/tip/height":
        return Reply(200, "880002", {"Content-Type": "text/plain"})
    if path == f"/tx/{CONFIRMED}":
        return Reply(200, json.dumps(BTC_TX))
    if path == f"/tx/{CONFIRMED}/status":
        return Reply(200, json.dumps(STATUS))
    if path == f"/tx/{PENDING}":
        return Reply(200, json.dumps({**BTC_TX, "txid": PENDING, "status": {"confirmed": False}}))
    if path == f"/tx/{PENDING}/status":
        return Reply(200, json.dumps({"confirmed": False}))
    if path.startswith("/tx/5"):
        return Reply(503, "upstream down")
    if path.startswith("/tx/7"):
        return Reply(200, "{not json")
    if path.startswith("/tx/9"):
        return Reply(200, "{}", delay=0.5)
    return Reply(404, "Transaction not found", {"Content-Type": "text/plain"})


@pytest.fixture(scope="module")
def btc() -> Iterator[EsploraClient]:
    with serve(esplora) as (url, _):
        yield EsploraClient(url, timeout=0.2)


def test_esplora_confirmed_transaction_with_outputs_and_confirmations(btc: EsploraClient) -> None:
    tx = btc.transaction(CONFIRMED)
    assert tx.status is TxStatus.CONFIRMED and tx.block_height == 880_000
    assert tx.confirmations == 3  # tip 880002 - 880000 + 1
    assert [(t.to, t.amount) for t in tx.transfers] == [
        ("bc1qexchangedeposit", Decimal("0.5")), ("bc1qchange", Decimal("0.0999859"))]


def test_esplora_pending_and_unknown_transactions(btc: EsploraClient) -> None:
    pending = btc.transaction(PENDING)
    assert pending.status is TxStatus.PENDING and pending.confirmations == 0
    assert btc.transaction("f" * 64).status is TxStatus.NOT_FOUND


@pytest.mark.parametrize(("txid", "error", "words"), [
    ("5" * 64, ChainUnavailable, "HTTP 503"),
    ("7" * 64, ChainDataError, "not JSON"),
    ("9" * 64, ChainUnavailable, "timed out"),
])
def test_esplora_failures_are_clear(btc: EsploraClient, txid: str, error: type[Exception],
                                    words: str) -> None:
    with pytest.raises(error, match=words):
        btc.transaction(txid)


USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
DEPOSIT_ADDR = "0x" + "ab" * 20
SENDER = "0x" + "cd" * 20


def topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def rpc_server(txs: dict[str, dict | None], receipts: dict[str, dict | None]
               ) -> Callable[[Request], Reply]:
    def handle(request: Request) -> Reply:
        call = json.loads(request.body)
        method, params = call["method"], call["params"]
        if params and params[0] == "0xdown":
            return Reply(502, "bad gateway")
        if params and params[0] == "0xgarbled":
            return Reply(200, "<html>")
        if params and params[0] == "0xbad":
            error = {"code": -32602, "message": "invalid argument 0: hex string has length 6"}
            return Reply(200, json.dumps({"jsonrpc": "2.0", "id": call["id"], "error": error}))
        result = {"eth_blockNumber": lambda: "0x1312d40",  # 20,000,064
                  "eth_getTransactionByHash": lambda: txs.get(params[0]),
                  "eth_getTransactionReceipt": lambda: receipts.get(params[0])}[method]()
        return Reply(200, json.dumps({"jsonrpc": "2.0", "id": call["id"], "result": result}))
    return handle


def tx(hash_: str, block: str | None, value: str = "0x0", to: str = USDT) -> dict:
    return {"hash": hash_, "from": SENDER, "to": to, "value": value, "input": "0xa9059cbb",
            "blockNumber": block, "nonce": "0x1", "gas": "0x5208"}


def receipt(hash_: str, status: str, logs: list[dict]) -> dict:
    return {"transactionHash": hash_, "blockNumber": "0x1312d01", "status": status,
            "gasUsed": "0xb411", "logs": logs}


TRANSFER_LOG = {"address": USDT, "topics": [TRANSFER_TOPIC, topic(SENDER), topic(DEPOSIT_ADDR)],
                "data": "0x" + f"{500_000_000:064x}", "logIndex": "0x3"}
APPROVAL_LOG = {"address": USDT, "topics": ["0x8c5be1e5" + "0" * 56, topic(SENDER)],
                "data": "0x00"}


@pytest.fixture(scope="module")
def eth() -> Iterator[EvmClient]:
    txs = {"0xok": tx("0xok", "0x1312d01"), "0xrev": tx("0xrev", "0x1312d01"),
           "0xmempool": tx("0xmempool", None),
           "0xeth": tx("0xeth", "0x1312d01", value=hex(2 * 10**18), to=DEPOSIT_ADDR)}
    receipts = {"0xok": receipt("0xok", "0x1", [APPROVAL_LOG, TRANSFER_LOG]),
                "0xrev": receipt("0xrev", "0x0", []), "0xeth": receipt("0xeth", "0x1", [])}
    with serve(rpc_server(txs, receipts)) as (url, _):
        yield EvmClient(url, "ERC20", tokens={USDT.upper().replace("0X", "0x"):
                                              Token("USDT", 6)}, timeout=0.5)


def test_evm_erc20_transfer_decoded_from_topics_and_data(eth: EvmClient) -> None:
    found = eth.transaction("0xok")
    assert found.status is TxStatus.CONFIRMED and found.confirmations == 64
    (transfer,) = found.transfers  # the Approval log is not a transfer
    assert transfer.to == DEPOSIT_ADDR and transfer.sender == SENDER
    assert transfer.amount == Decimal(500) and transfer.asset == "USDT"
    assert transfer.raw_amount == 500_000_000


def test_evm_native_value_reverted_pending_and_unknown(eth: EvmClient) -> None:
    native = eth.transaction("0xeth")
    assert [(t.to, t.amount, t.asset) for t in native.transfers] == [
        (DEPOSIT_ADDR, Decimal(2), "ETH")]
    reverted = eth.transaction("0xrev")
    assert reverted.status is TxStatus.FAILED and "reverted" in reverted.detail
    assert eth.transaction("0xmempool").status is TxStatus.PENDING
    assert eth.transaction("0xnothing").status is TxStatus.NOT_FOUND


@pytest.mark.parametrize(("txid", "error", "words"), [
    ("0xdown", ChainUnavailable, "HTTP 502"),
    ("0xgarbled", ChainDataError, "not JSON"),
    ("0xbad", ChainDataError, "invalid argument"),
])
def test_evm_failures_are_clear(eth: EvmClient, txid: str, error: type[Exception],
                                words: str) -> None:
    with pytest.raises(error, match=words):
        eth.transaction(txid)


def test_evm_unreachable_node_is_unavailable() -> None:
    client = EvmClient("http://127.0.0.1:9/", "ERC20", timeout=0.2)
    with pytest.raises(ChainUnavailable) as caught:
        client.transaction("0xok")
    assert caught.value.retryable
