"""OKX v5 REST transport: signing, per-endpoint token buckets, retries, error mapping, paging.

Signing (exchange-domain §1.1): ``base64(HMAC_SHA256(secret, timestamp + METHOD + requestPath
(+ '?' + query) + body))`` in `OK-ACCESS-SIGN`, with `OK-ACCESS-KEY`, `OK-ACCESS-TIMESTAMP`
(ISO-8601 UTC with milliseconds) and `OK-ACCESS-PASSPHRASE`; demo trading adds
`x-simulated-trading: 1`. Safe requests (GET, and anything the exchange refused before
applying: 429 and rate-limit codes) are retried with exponential backoff inside a bounded
budget; a POST that timed out or met a 5xx is not retried, because it may have been applied.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from ombud.exchange.errors import (
    ExchangeAuthError,
    ExchangeError,
    ExchangeRateLimited,
    ExchangeRejected,
    ExchangeTimeout,
    ExchangeUnavailable,
    MalformedResponse,
)

Row = Any  # an object per record, or an array (candles)
RATE_LIMIT_CODES = frozenset({"50011", "50061"})
BUSY_CODES = frozenset({"50001", "50004", "50013", "50026"})
AUTH_CODES = frozenset({"50100", "50101", "50102", "50103", "50104", "50105", "50106",
                        "50107", "50111", "50112", "50113", "50114"})
# (requests, seconds) per endpoint, from the OKX docs; others get DEFAULT_LIMIT.
LIMITS: dict[str, tuple[int, float]] = {
    "/api/v5/trade/fills": (60, 2), "/api/v5/trade/fills-history": (10, 2),
    "/api/v5/trade/orders-history-archive": (20, 2), "/api/v5/account/bills": (5, 1),
    "/api/v5/account/bills-archive": (5, 2), "/api/v5/asset/deposit-history": (6, 1),
    "/api/v5/asset/withdrawal-history": (6, 1), "/api/v5/account/positions-history": (10, 2),
    "/api/v5/asset/deposit-withdraw-status": (1, 2), "/api/v5/market/books": (40, 2),
    "/api/v5/system/status": (1, 5), "/api/v5/asset/transfer": (2, 1),
}
DEFAULT_LIMIT = (10, 2.0)


def sign(secret: str, timestamp: str, method: str, request_path: str, body: str = "") -> str:
    """OK-ACCESS-SIGN of one request (`request_path` includes '?query' for GET)."""
    prehash = f"{timestamp}{method.upper()}{request_path}{body}"
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def okx_timestamp(now: dt.datetime) -> str:
    """`2020-12-08T09:08:57.715Z` form of an aware time."""
    return now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class OkxCredentials:
    """An API key; `demo` selects OKX demo trading."""

    api_key: str
    secret: str
    passphrase: str
    demo: bool = False


@dataclass
class TokenBucket:
    """`rate` requests per `per` seconds, refilled continuously."""

    rate: int
    per: float
    tokens: float = 0.0
    stamp: float | None = None

    def wait(self, now: float) -> float:
        """Take one token; return how long to wait before sending (0 if none)."""
        if self.stamp is None:
            self.tokens, self.stamp = float(self.rate), now
        self.tokens = min(float(self.rate), self.tokens + (now - self.stamp) * self.rate / self.per)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens * self.per / self.rate


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `base` × 2^attempt capped at `cap`; at most `attempts` tries and
    `budget` seconds of waiting in all."""

    attempts: int = 5
    base: float = 0.25
    cap: float = 8.0
    budget: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Wait before retry number `attempt` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        return min(self.base * 2 ** attempt, self.cap)


@dataclass
class OkxHttp:
    """Signed, rate-limited, retrying access to the OKX v5 REST API."""

    base_url: str = "https://www.okx.com"
    timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    client: httpx.Client | None = None
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = httpx.Client(base_url=self.base_url, timeout=self.timeout)

    def close(self) -> None:
        """Close the connection pool."""
        if self.client is not None:
            self.client.close()

    def get(self, path: str, params: dict[str, str] | None = None,
            auth: OkxCredentials | None = None) -> list[Row]:
        """GET `path` and return the `data` list of a `code` "0" answer."""
        query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
        target = path + (f"?{query}" if query else "")
        return self._call("GET", target, "", auth, safe=True, path=path)

    def post(self, path: str, body: dict[str, str], auth: OkxCredentials) -> list[Row]:
        """POST a JSON body; not retried once it may have been applied."""
        return self._call("POST", path, json.dumps(body, separators=(",", ":")), auth,
                          safe=False, path=path)

    def pages(self, path: str, params: dict[str, str], cursor: Callable[[Row], str],
              auth: OkxCredentials | None = None, limit: int = 100,
              stop: Callable[[Row], bool] = lambda row: False,
              max_pages: int = 1000) -> Iterator[Row]:
        """Rows of every page, newest first, following `after` cursors until a short page,
        a row for which `stop` is true, or `max_pages`."""
        after = params.get("after", "")
        for _ in range(max_pages):
            rows = self.get(path, {**params, "after": after, "limit": str(limit)}, auth)
            for row in rows:
                if stop(row):
                    return
                yield row
            if len(rows) < limit:
                return
            following = cursor(rows[-1])
            if following == after:
                raise MalformedResponse(f"{path}: the page cursor did not advance ({after})")
            after = following
        raise ExchangeError(f"{path}: more than {max_pages} pages; narrow the window")

    def _call(self, method: str, request_path: str, body: str, auth: OkxCredentials | None,
              *, safe: bool, path: str) -> list[Row]:
        waited = 0.0
        last: ExchangeError | None = None
        for attempt in range(self.retry.attempts):
            bucket = self.buckets.setdefault(path, TokenBucket(*LIMITS.get(path, DEFAULT_LIMIT)))
            pause = bucket.wait(self.monotonic())
            if pause:
                self.sleep(pause)
            try:
                return self._once(method, request_path, body, auth)
            except (ExchangeRateLimited, ExchangeUnavailable) as exc:
                may_retry = safe or isinstance(exc, ExchangeRateLimited)
                if not may_retry:
                    raise
                last = exc
                hint = exc.retry_after if isinstance(exc, ExchangeRateLimited) else None
                delay = self.retry.delay(attempt, hint)
                if attempt + 1 >= self.retry.attempts or waited + delay > self.retry.budget:
                    break
                waited += delay
                self.sleep(delay)
        assert last is not None
        raise type(last)(f"{last} (gave up after {attempt + 1} attempts, "
                         f"{waited:.2f} s of backoff)")

    def _once(self, method: str, request_path: str, body: str,
              auth: OkxCredentials | None) -> list[Row]:
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            stamp = okx_timestamp(self.clock())
            headers |= {"OK-ACCESS-KEY": auth.api_key, "OK-ACCESS-TIMESTAMP": stamp,
                        "OK-ACCESS-PASSPHRASE": auth.passphrase,
                        "OK-ACCESS-SIGN": sign(auth.secret, stamp, method, request_path, body)}
            if auth.demo:
                headers["x-simulated-trading"] = "1"
        assert self.client is not None
        try:
            response = self.client.request(method, request_path, content=body or None,
                                           headers=headers)
        except httpx.TimeoutException as exc:
            raise ExchangeTimeout(f"{method} {request_path}: no answer in time ({exc})") from None
        except httpx.TransportError as exc:
            raise ExchangeUnavailable(f"{method} {request_path}: {exc}") from None
        return _decode(method, request_path, response)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _decode(method: str, request_path: str, response: httpx.Response) -> list[Row]:
    what = f"{method} {request_path}"
    if response.status_code == 429:
        raise ExchangeRateLimited(f"{what}: HTTP 429 Too Many Requests", _retry_after(response))
    if response.status_code >= 500:
        raise ExchangeUnavailable(f"{what}: HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        raise MalformedResponse(f"{what}: HTTP {response.status_code}, body is not JSON: "
                                f"{response.text[:120]!r}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
        raise MalformedResponse(f"{what}: no string 'code' in the answer: {str(payload)[:120]}")
    code, msg = payload["code"], str(payload.get("msg", ""))
    if code != "0":
        if code in RATE_LIMIT_CODES:
            raise ExchangeRateLimited(f"{what}: code {code}: {msg}")
        if code in BUSY_CODES:
            raise ExchangeUnavailable(f"{what}: code {code}: {msg}")
        if code in AUTH_CODES:
            raise ExchangeAuthError(f"{what}: code {code}: {msg}")
        raise ExchangeRejected(code, msg)
    data = payload.get("data")
    if not isinstance(data, list):
        raise MalformedResponse(f"{what}: 'data' is not a list")
    return data
