"""Signed tokens: staff sessions, exchange-issued customer tokens, CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from ombud.common.errors import Unauthorized


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, payload: dict[str, Any]) -> str:
    """``base64(json).base64(hmac-sha256)`` of ``payload``."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(secret: str, token: str, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a token signed with ``secret``; raises Unauthorized if forged or expired.

    A payload's ``exp`` (Unix seconds) is enforced.
    """
    try:
        body, mac = token.split(".", 1)
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise ValueError("bad signature")
        payload = json.loads(_unb64(body))
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        expires = float(payload.get("exp", 0))
    except (ValueError, TypeError):
        raise Unauthorized("the token is not valid") from None
    if not expires >= (time.time() if now is None else now):  # NaN counts as expired
        raise Unauthorized("the token has expired")
    return payload


def customer_token(secret: str, uid: str, ttl_seconds: int = 3600, **extra: Any) -> str:
    """What the exchange issues to a signed-in customer: their UID, an expiry, a signature."""
    return sign(secret, {"uid": uid, "exp": int(time.time()) + ttl_seconds, **extra})


def csrf_token(secret: str, session_nonce: str) -> str:
    """The CSRF token bound to one session."""
    return _b64(hmac.new(secret.encode(), f"csrf:{session_nonce}".encode(), "sha256").digest())


def check_csrf(secret: str, session_nonce: str, token: str | None) -> bool:
    """True when ``token`` is this session's CSRF token."""
    return bool(token) and hmac.compare_digest(csrf_token(secret, session_nonce), token or "")


def hash_token(token: str) -> str:
    """Stored form of a one-time token."""
    return hashlib.sha256(token.encode()).hexdigest()
