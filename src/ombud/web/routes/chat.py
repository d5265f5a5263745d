"""Live chat over WebSocket: customers at ``/chat/ws``, staff at ``/console/chats/...``.

Every event of a chat carries its sequence number. A connection sends each one once and in
order: it follows the chat's fan-out channel, fills any gap from the database, and drops
what it already sent; a client reconnects with ``since=<last seq seen>`` and gets exactly
what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud.common.errors import Forbidden, OmbudError, Unauthorized
from ombud.intake.chat import kb, queries, service
from ombud.intake.chat.hub import LOBBY, Hub, make_hub
from ombud.intake.chat.limits import TokenBucket
from ombud.intake.chat.schemas import MAX_BODY, ArticleOut, ChatEvent, ChatText, Posted, ago
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.web.deps import SESSION_COOKIE, db
from ombud.web.routes.console import Staff
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(db)]
T = TypeVar("T")

#: A frame larger than this closes the connection (1009); a longer body is refused.
MAX_FRAME = 16 * 1024
#: Flood control per person and process: a burst of 5, then one message a second.
RATE, BURST = 1.0, 5.0
MAX_BUCKETS = 100_000
#: Refused messages in a row after which a flooding client is disconnected (1008).
FLOOD_CLOSE = 30
#: An idle connection checks the database this often, in case a fan-out was lost.
IDLE_CHECK = 30.0


def hub_of(app: FastAPI) -> Hub:
    """The process's fan-out hub, made on first use (Redis when ``redis_url`` is set)."""
    hub: Hub | None = getattr(app.state, "chat_hub", None)
    if hub is None:
        hub = app.state.chat_hub = make_hub(app.state.settings.redis_url)
    return hub


async def close_hub(app: FastAPI) -> None:
    """Release the hub's connections (the app's lifespan calls this on shutdown)."""
    hub: Hub | None = getattr(app.state, "chat_hub", None)
    if hub is not None:
        await hub.close()
        app.state.chat_hub = None


def _bucket(app: FastAPI, who: Principal) -> TokenBucket:
    buckets: dict[str, TokenBucket] = app.state.__dict__.setdefault("chat_buckets", {})
    if len(buckets) > MAX_BUCKETS and who.actor not in buckets:
        buckets.clear()  # a full bucket is the state of anyone idle for a few seconds
    return buckets.setdefault(who.actor, TokenBucket(RATE, BURST))


async def _db(app: FastAPI, fn: Callable[[Session], T]) -> T:
    """Run ``fn(session)`` in a worker thread with a session of its own."""

    def run() -> T:
        with app.state.sessions() as session:
            return fn(session)

    return await run_in_threadpool(run)


def _principal(ws: WebSocket, session: Session) -> Principal:
    """Who opened the socket: the browser session cookie, or a bearer token (a session
    token, or a customer token issued by the exchange)."""
    cfg = ws.app.state.settings
    auth = ws.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ws.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("sign in first")
    try:
        payload = security.session_payload(cfg, token)
    except Unauthorized:
        if token == ws.cookies.get(SESSION_COOKIE):
            raise
        return security.principal_from_customer_token(session, cfg, token)
    return security.principal_from_session(session, payload)


def _same_origin(ws: WebSocket) -> bool:
    """A browser's socket must come from our own pages (cookies ride along cross-site)."""
    origin = ws.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == ws.headers.get("host", "")


class Connection:
    """One open socket following one chat: sends each event once, in order."""

    def __init__(self, ws: WebSocket, who: Principal, key: str, since: int) -> None:
        self.ws, self.who, self.key, self.sent = ws, who, key, since
        self.app: FastAPI = ws.app
        self.lock = asyncio.Lock()
        self.refused = 0

    async def send(self, frame: dict[str, Any]) -> None:
        """One frame (sends never interleave)."""
        async with self.lock:
            await self.ws.send_text(json.dumps(frame, ensure_ascii=False))

    async def error(self, code: str, detail: str, **extra: Any) -> None:
        """Tell the client what was refused and why."""
        await self.send({"type": "error", "code": code, "detail": detail, **extra})

    async def emit(self, events: list[ChatEvent]) -> None:
        """Send the events not yet sent, filling any gap before them from the database."""
        async with self.lock:
            for event in sorted(events, key=lambda e: e.seq):
                if event.seq <= self.sent:
                    continue
                if event.seq > self.sent + 1:
                    await self._catch_up(event.seq - 1)
                await self._send_event(event)

    async def _send_event(self, event: ChatEvent) -> None:
        await self.ws.send_text(event.model_dump_json())
        self.sent = event.seq

    async def _catch_up(self, until: int | None = None) -> None:
        """Send stored events after ``self.sent`` (up to ``until``); the lock is held."""
        while until is None or self.sent < until:
            page = await _db(self.app, functools.partial(
                queries.events_since, principal=self.who, key=self.key, since=self.sent))
            page = [e for e in page if until is None or e.seq <= until]
            for event in page:
                await self._send_event(event)
            if len(page) < queries.PAGE:
                return

    async def resume(self, since: int) -> None:
        """Send everything after ``since`` again (the client saw a gap or reconnected)."""
        async with self.lock:
            self.sent = min(self.sent, max(0, since))
            await self._catch_up()

    async def publish(self, posted: Posted, lobby: bool) -> None:
        """Show our own events at once, and fan them out to every other follower."""
        await self.emit(posted.events)
        hub = hub_of(self.app)
        for event in posted.events:
            await hub.publish(f"chat:{self.key}", event.model_dump_json())
        if lobby:
            await hub.publish(LOBBY, json.dumps({"type": "lobby", "chat": self.key,
                                                 "status": posted.chat.status}))

    async def follow(self, queue: asyncio.Queue[str]) -> None:
        """Forward fanned-out events; when idle, check the database for a lost one."""
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), IDLE_CHECK)
            except TimeoutError:
                async with self.lock:
                    await self._catch_up()
                continue
            await self.emit([ChatEvent.model_validate_json(data)])

    async def listen(self) -> None:
        """Read the client's frames until it leaves."""
        while True:
            raw = await self.ws.receive_text()
            if len(raw) > MAX_FRAME:
                await self.error("too_large", f"a frame may be at most {MAX_FRAME} bytes")
                await self.ws.close(code=1009)
                return
            try:
                frame = json.loads(raw)
                kind = frame.get("type") if isinstance(frame, dict) else None
            except ValueError:
                kind = None
            if kind == "resume":
                since = frame.get("since")
                await self.resume(since if isinstance(since, int) else 0)
            elif kind == "ping":
                await self.send({"type": "pong"})
            elif kind in ("message", "handover", "pick_up", "close"):
                if not await self.act(kind, frame):
                    return
            else:
                await self.error("invalid", "send JSON frames: message, handover, pick_up, "
                                            "close, resume or ping")

    async def act(self, kind: str, frame: dict[str, Any]) -> bool:
        """Carry out one request of the client; False when the connection must end."""
        if kind == "message":
            body = frame.get("body")
            if isinstance(body, str) and len(body) > MAX_BODY:
                await self.error("too_large", f"a message may be at most {MAX_BODY} "
                                              f"characters; this one has {len(body)}")
                return True
            wait = _bucket(self.app, self.who).take(time.monotonic())
            if wait:
                self.refused += 1
                if self.refused >= FLOOD_CLOSE:
                    await self.error("rate_limited", "too many messages: disconnected")
                    await self.ws.close(code=1008)
                    return False
                await self.error("rate_limited", "You are sending messages too fast. Wait "
                                 f"{max(1, round(wait))} s and send it again.",
                                 retry_after=round(wait, 1), client_id=frame.get("client_id"))
                return True
            self.refused = 0
        verbs: dict[str, Callable[[Session], Posted]] = {
            "message": lambda s: service.post(s, self.who, self.key, ChatText.model_validate(
                {"body": frame.get("body", ""), "client_id": frame.get("client_id")})),
            "handover": lambda s: service.handover(s, self.who, self.key),
            "pick_up": lambda s: service.pick_up(s, self.who, self.key),
            "close": lambda s: service.close(s, self.who, self.key),
        }
        try:
            posted = await _db(self.app, verbs[kind])
        except ValidationError as exc:
            await self.error("invalid", exc.errors()[0]["msg"], client_id=frame.get("client_id"))
            return True
        except OmbudError as exc:
            await self.error(exc.title.lower().replace(" ", "_"), exc.detail)
            return True
        await self.publish(posted, lobby=kind != "message" or any(
            e.kind != "text" for e in posted.events))
        return True


async def _serve(ws: WebSocket, who: Principal, key: str, since: int) -> None:
    """Follow chat ``key`` for ``who``: events since ``since``, then live, until either side
    leaves."""
    conn = Connection(ws, who, key, since)
    chat = await _db(ws.app, lambda s: queries.get_chat(s, who, key))
    async with hub_of(ws.app).subscribe(f"chat:{key}") as queue:
        await conn.send({"type": "hello", "chat": chat.model_dump(mode="json")})
        await conn.resume(since)
        tasks = [asyncio.create_task(conn.listen()), asyncio.create_task(conn.follow(queue))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not isinstance(task.exception(), WebSocketDisconnect | None):
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _open(ws: WebSocket, check: Callable[[Principal], None]) -> Principal | None:
    """Accept the socket and say who is there, or explain the refusal and close."""
    await ws.accept()
    try:
        if not _same_origin(ws):
            raise Forbidden("this socket must be opened from this site's own pages")
        who = await _db(ws.app, lambda s: _principal(ws, s))
        check(who)
        return who
    except OmbudError as exc:
        await ws.send_text(json.dumps({"type": "error", "code": exc.title.lower().replace(
            " ", "_"), "detail": exc.detail}))
        await ws.close(code=4000 + exc.status)
        return None


def _customer_only(who: Principal) -> None:
    if who.kind != "customer":
        raise Forbidden("this chat is for customers; staff use the console")


def _staff_only(who: Principal) -> None:
    if who.kind != "staff":
        raise Forbidden("sign in to the console first")


async def _guarded(ws: WebSocket, body: Callable[[], Any]) -> None:
    """Run the socket; a refusal on the way (unknown chat) is told to the client, then close."""
    try:
        await body()
    except WebSocketDisconnect:
        return
    except OmbudError as exc:
        with contextlib.suppress(Exception):
            await ws.send_text(json.dumps({"type": "error", "code": exc.title.lower().replace(
                " ", "_"), "detail": exc.detail}))
            await ws.close(code=4000 + exc.status)


@router.websocket("/chat/ws")
async def customer_socket(ws: WebSocket, chat: str = "", since: int = 0, case: str = "",
                          lang: str = "en") -> None:
    """A customer's chat: a new one (no ``chat``), or theirs resumed after ``since``."""
    who = await _open(ws, _customer_only)
    if who is None:
        return

    async def body() -> None:
        key = chat
        if not key:
            language = lang if lang in ("en", "zh-Hans", "zh-Hant") else "en"
            started = await _db(ws.app, lambda s: service.start(
                s, who, case_reference=case or None, language=language))
            key = started.chat.key
        await _serve(ws, who, key, since)

    await _guarded(ws, body)


@router.websocket("/console/chats/ws")
async def lobby_socket(ws: WebSocket) -> None:
    """Staff: a frame each time a chat starts waiting, is picked up or closes."""
    if await _open(ws, _staff_only) is None:
        return

    async def body() -> None:
        async with hub_of(ws.app).subscribe(LOBBY) as queue:
            await ws.send_text('{"type": "ready"}')
            reader = asyncio.create_task(ws.receive_text())  # notices the client leaving
            try:
                while True:
                    getter = asyncio.create_task(queue.get())
                    await asyncio.wait([reader, getter], return_when=asyncio.FIRST_COMPLETED)
                    if not getter.done():
                        getter.cancel()
                        return
                    await ws.send_text(getter.result())
            finally:
                reader.cancel()
                with contextlib.suppress(BaseException):
                    await reader

    await _guarded(ws, body)


@router.websocket("/console/chats/{key}/ws")
async def staff_socket(ws: WebSocket, key: str, since: int = 0) -> None:
    """Staff following one chat (through the access gate of its case)."""
    who = await _open(ws, _staff_only)
    if who is not None:
        await _guarded(ws, lambda: _serve(ws, who, key, since))


@router.get("/chat/articles")
def search_articles(session: DB, q: str = "", lang: str = "en") -> list[ArticleOut]:
    """The knowledge-base articles that best match ``q`` (public)."""
    return kb.search(session, q[:500], lang)


@router.get("/console/chats")
def chats_page(request: Request, session: DB, who: Staff) -> Response:
    """Chats waiting for a person and chats in progress, for staff to pick up."""
    chats = queries.staff_chats(session, who)
    return render(request, "console/chats.html", principal=who, chats=chats, ago=ago)


@router.get("/console/chats/{key}")
def chat_page(request: Request, key: str, session: DB, who: Staff) -> Response:
    """One chat: its transcript so far, live, with a box to answer."""
    chat = queries.get_chat(session, who, key)
    events = queries.events_since(session, who, key, 0)
    return render(request, "console/chat.html", principal=who, chat=chat, events=events)


@router.post("/console/chats/{key}/pick", dependencies=[Depends(verify_csrf)])
async def pick_up(request: Request, key: str, who: Staff) -> Response:
    """Take the chat; the customer sees who joined."""
    try:
        posted = await _db(request.app, lambda s: service.pick_up(s, who, key))
    except OmbudError as exc:
        if exc.status == 404:
            raise
        return redirect(request, "/console/chats", ("error", exc.detail))
    hub = hub_of(request.app)
    for event in posted.events:
        await hub.publish(f"chat:{key}", event.model_dump_json())
    await hub.publish(LOBBY, json.dumps({"type": "lobby", "chat": key, "status": "live"}))
    return redirect(request, f"/console/chats/{key}", ("ok", "You have the chat."))
