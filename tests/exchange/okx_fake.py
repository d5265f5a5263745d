"""A fake OKX v5 REST server: checks every private request's signature and serves the
documented response shapes (exchange-domain §1) from in-memory rows."""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from ombud.exchange.okx_http import sign
from tests.exchange.server import Reply, Request

KEY, SECRET, PASSPHRASE = "key-carol", "22582BD0CFF14C41EDBF1AB98506286D", "pass-carol"
OP_KEY, OP_SECRET, OP_PASSPHRASE = "key-operator", "0PERAT0R5ECRET", "pass-operator"
PUBLIC = ("/api/v5/market/", "/api/v5/public/", "/api/v5/system/")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
T0 = 1_772_442_000_000  # 2026-03-02T09:00:00Z in ms


def ok(data: list[Any]) -> Reply:
    return Reply(200, json.dumps({"code": "0", "msg": "", "data": data}))


def fill_row(n: int) -> dict[str, str]:
    """A `/trade/fills-history` row with every documented field."""
    return {
        "instType": "SPOT", "instId": "BTC-USDT", "tradeId": str(900 + n), "ordId": "312",
        "clOrdId": "", "billId": str(5000 + n), "subType": "1", "tag": "",
        "fillPx": "60000.5", "fillSz": "0.25", "fillIdxPx": "60001.1", "fillPnl": "0",
        "fillPxVol": "", "fillPxUsd": "", "fillMarkVol": "", "fillFwdPx": "", "fillMarkPx": "",
        "side": "buy", "posSide": "net", "execType": "T", "feeCcy": "BTC",
        "fee": "-0.00025", "ts": str(T0 + n * 1000), "fillTime": str(T0 + n * 1000),
        "feeRate": "-0.001", "tradeQuoteCcy": "USDT",
    }


ORDER = {
    "instType": "SPOT", "instId": "BTC-USDT", "tgtCcy": "", "ccy": "", "ordId": "312",
    "clOrdId": "", "tag": "", "px": "", "pxUsd": "", "pxVol": "", "pxType": "", "sz": "1",
    "ordType": "market", "side": "buy", "posSide": "", "tdMode": "cash", "accFillSz": "1",
    "fillPx": "60001", "tradeId": "904", "fillSz": "0.25", "fillTime": str(T0 + 4000),
    "avgPx": "60000.8", "state": "filled", "lever": "", "attachAlgoClOrdId": "",
    "tpTriggerPx": "", "tpTriggerPxType": "", "tpOrdPx": "", "slTriggerPx": "",
    "slTriggerPxType": "", "slOrdPx": "", "attachAlgoOrds": [], "linkedAlgoOrd": {"algoId": ""},
    "stpId": "", "stpMode": "cancel_maker", "feeCcy": "BTC", "fee": "-0.001", "rebateCcy": "USDT",
    "rebate": "0", "source": "", "pnl": "0", "category": "normal", "reduceOnly": "false",
    "cancelSource": "", "cancelSourceReason": "", "algoClOrdId": "", "algoId": "",
    "isTpLimit": "false", "uTime": str(T0 + 4000), "cTime": str(T0), "tradeQuoteCcy": "USDT",
}
BILL = {
    "instType": "SPOT", "billId": "7001", "type": "2", "subType": "1", "ts": str(T0 + 1000),
    "balChg": "-15000.125", "posBalChg": "0", "bal": "85000", "posBal": "0", "sz": "0.25",
    "px": "60000.5", "ccy": "USDT", "pnl": "0", "fee": "0", "earnAmt": "", "earnApr": "",
    "mgnMode": "cash", "instId": "BTC-USDT", "ordId": "312", "execType": "T", "from": "",
    "to": "", "notes": "", "interest": "0", "tag": "", "fillTime": str(T0 + 1000),
    "tradeId": "901", "clOrdId": "", "fillIdxPx": "", "fillMarkPx": "", "fillPxVol": "",
    "fillPxUsd": "", "fillMarkVol": "", "fillFwdPx": "",
}
DEPOSIT = {
    "ccy": "USDT", "chain": "USDT-ERC20", "amt": "500", "from": "", "areaCodeFrom": "",
    "to": "0xabc0000000000000000000000000000000000001", "txId": "0xdead", "ts": str(T0 + 60_000),
    "state": "0", "depId": "88", "fromWdId": "", "actualDepBlkConfirm": "12",
}
WITHDRAWAL = {
    "ccy": "BTC", "chain": "BTC-Bitcoin", "nonTradableAsset": "false", "amt": "2",
    "ts": str(T0 + 120_000), "from": "", "areaCodeFrom": "", "to": "bc1qexample",
    "areaCodeTo": "", "toAddrType": "1", "tag": "", "pmtId": "", "memo": "", "addrEx": None,
    "txId": "", "fee": "0.0002", "feeCcy": "BTC", "state": "4", "wdId": "77", "clientId": "",
    "note": "",
}
POSITION_HISTORY = {
    "instType": "SWAP", "instId": "BTC-USDT-SWAP", "mgnMode": "isolated", "type": "3",
    "cTime": str(T0), "uTime": str(T0 + 180_000), "openAvgPx": "60000", "nonSettleAvgPx": "",
    "closeAvgPx": "54000", "posId": "1", "openMaxPos": "100", "closeTotalPos": "100",
    "realizedPnl": "-6000", "settledPnl": "", "pnlRatio": "-1", "fee": "0", "fundingFee": "0",
    "liqPenalty": "-244.1", "pnl": "-5755.9", "posSide": "long", "lever": "10",
    "direction": "long", "triggerPx": "54100", "uly": "BTC-USDT", "ccy": "USDT",
}
CURRENCY = {
    "ccy": "USDT", "chain": "USDT-ERC20", "canDep": "true", "canWd": "true",
    "canInternal": "true", "depEstOpenTime": "", "wdEstOpenTime": "", "minDep": "1",
    "minWd": "10", "minInternal": "0.1", "maxWd": "1000000", "wdTickSz": "6", "wdQuota": "",
    "usedWdQuota": "", "fee": "3", "burningFeeRate": "", "mainNet": "false", "needTag": "false",
    "minDepArrivalConfirm": "64", "minWdUnlockConfirm": "96", "depQuotaFixed": "",
    "usedDepQuotaFixed": "", "depQuoteDailyLayer2": "", "ctAddr": "831ec7",
}
STATUS = {
    "title": "Spot matching engine upgrade", "state": "completed", "begin": str(T0 - 60_000),
    "end": str(T0 + 600_000), "preOpenBegin": "", "href": "https://www.okx.com/help",
    "serviceType": "5", "system": "unified", "scheDesc": "", "maintType": "1", "env": "1",
    "ts": str(T0 - 3_600_000),
}


class OkxFake:
    """Routes, a per-path script of replies served first, and signature checks."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[Request, dict[str, str]], Reply]] = {}
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.fills = [fill_row(n) for n in range(250)][::-1]  # newest first
        self.transfers: dict[str, dict[str, str]] = {}
        self.bad_signatures = 0
        self._install()

    def script(self, path: str, *replies: Reply) -> None:
        self.scripts[path].extend(replies)

    def __call__(self, request: Request) -> Reply:
        if not request.path.startswith(PUBLIC):
            problem = self._check_auth(request)
            if problem:
                self.bad_signatures += 1
                return Reply(401, json.dumps({"code": "50113", "msg": problem, "data": []}))
        if self.scripts[request.path]:
            return self.scripts[request.path].popleft()
        route = self.routes.get(request.path)
        if route is None:
            return Reply(404, json.dumps({"code": "50014", "msg": "no route", "data": []}))
        query = dict(parse_qsl(request.target.split("?", 1)[1])) if "?" in request.target else {}
        return route(request, query)

    def _check_auth(self, request: Request) -> str | None:
        h = request.headers
        secrets = {KEY: (SECRET, PASSPHRASE), OP_KEY: (OP_SECRET, OP_PASSPHRASE)}
        if h.get("ok-access-key") not in secrets:
            return "Invalid OK-ACCESS-KEY"
        secret, passphrase = secrets[h["ok-access-key"]]
        if h.get("ok-access-passphrase") != passphrase:
            return "Invalid OK-ACCESS-PASSPHRASE"
        stamp = h.get("ok-access-timestamp", "")
        if not TS_RE.match(stamp):
            return "Invalid OK-ACCESS-TIMESTAMP"
        if h.get("ok-access-sign") != sign(secret, stamp, request.method, request.target,
                                           request.body):
            return "Invalid Sign"
        return None

    def _install(self) -> None:
        r = self.routes
        r["/api/v5/trade/fills-history"] = self._fills
        r["/api/v5/trade/orders-history-archive"] = \
            lambda req, q: ok([ORDER] if q.get("instType") == "SPOT" else [])
        r["/api/v5/account/bills-archive"] = lambda req, q: ok([BILL])
        r["/api/v5/asset/deposit-history"] = lambda req, q: ok([DEPOSIT])
        r["/api/v5/asset/withdrawal-history"] = lambda req, q: ok([WITHDRAWAL])
        r["/api/v5/account/positions-history"] = lambda req, q: ok([POSITION_HISTORY])
        r["/api/v5/asset/currencies"] = lambda req, q: ok([CURRENCY])
        r["/api/v5/system/status"] = lambda req, q: ok([STATUS])
        r["/api/v5/market/history-mark-price-candles"] = lambda req, q: ok([
            [str(T0 + 120_000), "57000", "57010", "54100", "57005", "1"],
            [str(T0 + 60_000), "57000", "57020", "56990", "57000", "1"]])
        r["/api/v5/market/books"] = lambda req, q: ok([{
            "asks": [["60000.5", "0.3", "0", "2"], ["60001", "0.5", "0", "1"]],
            "bids": [["59999.9", "1.2", "0", "4"]], "ts": str(T0)}])
        r["/api/v5/account/balance"] = lambda req, q: ok([{
            "totalEq": "100000", "uTime": str(T0), "details": [
                {"ccy": "USDT", "eq": "100000", "cashBal": "100000", "availBal": "99000",
                 "frozenBal": "1000", "ordFrozen": "1000", "upl": "", "uTime": str(T0)}]}])
        r["/api/v5/asset/deposit-address"] = lambda req, q: ok([
            {"chain": "XRP-Ripple", "ctAddr": "", "ccy": "XRP", "to": "6", "addr": "rShared",
             "verifiedName": "", "memo": "", "tag": "4242", "pmtId": "", "addrEx": None,
             "selected": True}])
        r["/api/v5/account/positions"] = lambda req, q: ok([{
            "instType": "SWAP", "instId": "BTC-USDT-SWAP", "mgnMode": "isolated", "posId": "9",
            "posSide": "long", "pos": "100", "availPos": "100", "avgPx": "60000",
            "markPx": "57000", "upl": "-3000", "uplLastPx": "-3000", "lever": "10",
            "liqPx": "54244.1", "imr": "", "margin": "6000", "mgnRatio": "11.7", "mmr": "228",
            "liab": "", "interest": "", "notionalUsd": "57000", "adl": "1", "last": "57001",
            "idxPx": "57002", "usdPx": "", "bePx": "60060", "realizedPnl": "0", "pnl": "0",
            "fee": "0", "fundingFee": "0", "liqPenalty": "0", "cTime": str(T0),
            "uTime": str(T0)}])
        r["/api/v5/market/history-index-candles"] = lambda req, q: ok([
            [str(T0 + 120_000), "57000", "57012", "56985", "57004", "1"]])
        r["/api/v5/market/history-trades"] = lambda req, q: ok([
            {"instId": "BTC-USDT", "side": "sell", "sz": "0.01", "px": "60000.1",
             "source": "0", "tradeId": "242720720", "ts": str(T0 + 5000)}])
        r["/api/v5/asset/transfer"] = self._transfer
        r["/api/v5/asset/transfer-state"] = self._transfer_state

    def _fills(self, request: Request, q: dict[str, str]) -> Reply:
        limit = int(q.get("limit", "100"))
        rows = [f for f in self.fills if not q.get("after") or int(f["billId"]) < int(q["after"])]
        return ok(rows[:limit])

    def _transfer(self, request: Request, q: dict[str, str]) -> Reply:
        body = json.loads(request.body)
        trans_id = str(len(self.transfers) + 1)
        self.transfers[body["clientId"]] = {
            "transId": trans_id, "clientId": body["clientId"], "ccy": body["ccy"],
            "amt": body["amt"], "type": body["type"], "from": body["from"], "to": body["to"],
            "subAcct": body["subAcct"], "instId": "", "toInstId": "", "state": "success"}
        return ok([{"transId": trans_id, "ccy": body["ccy"], "clientId": body["clientId"],
                    "from": body["from"], "amt": body["amt"], "to": body["to"]}])

    def _transfer_state(self, request: Request, q: dict[str, str]) -> Reply:
        row = self.transfers.get(q.get("clientId", ""))
        return ok([row] if row else [])
