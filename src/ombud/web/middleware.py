"""ASGI middleware: request id and access log, body size limits."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ombud.common.logs import request_id
from ombud.web import metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("ombud.http")


class RequestContext:
    """Gives each request an id (``X-Request-ID``, kept if the client sent a sane one) and
    logs one JSON line per request with its status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if 0 < len(sent) <= 64 and sent.isprintable() else uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            seconds = time.perf_counter() - start
            metrics.observe(scope, status, seconds)
            log.info("request", extra={"fields": {
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round(seconds * 1000, 2)}})
            request_id.reset(token)


class BodyLimit:
    """Answers 413 as soon as a request body passes its limit (declared or streamed)."""

    def __init__(self, app: ASGIApp, *, default: int, uploads: int) -> None:
        self.app, self.default, self.uploads = app, default, uploads

    def _limit(self, scope: Scope) -> int:
        ctype = dict(scope["headers"]).get(b"content-type", b"")
        return self.uploads if ctype.startswith(b"multipart/") else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, scope["path"])
            return
        seen = 0
        exceeded = response_started = False

        async def _receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def _send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                return  # the app's error answer to our interruption is replaced by a 413
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, _receive, _send)
        # The app lets our interruption through, or catches it (FastAPI turns a body-reading
        # error into a 400, which _send swallowed): either way the client gets its 413.
        if exceeded and not response_started:
            await _too_large(send, limit, scope["path"])


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int, path: str) -> None:
    body = json.dumps({"type": "about:blank", "title": "Content too large", "status": 413,
                       "detail": f"the request body is larger than {limit} bytes",
                       "instance": path}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
