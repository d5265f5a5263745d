"""Fan-out of chat events to the WebSocket connections that follow a chat: in-process, or
across every ``ombud serve`` process through Redis pub/sub.

Delivery is best effort by design: a subscriber whose queue is full loses events, and a
process misses what Redis published while it was disconnected. Nothing is lost for the
customer or staff, because every event is stored with its sequence number first and a
connection fills any gap from the database (see ``web/routes/chat.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger("ombud.chat")

#: Events a slow connection may have waiting before newer ones are dropped.
QUEUE_SIZE = 256
PREFIX = "ombud:chat:"
LOBBY = "lobby"


class Hub(Protocol):
    """Publish text to a channel; follow a channel as an asyncio queue."""

    async def publish(self, channel: str, data: str) -> None:
        """Send ``data`` to every subscriber of ``channel`` (in every process)."""

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[
            asyncio.Queue[str]]:
        """A queue that receives what is published to ``channel`` while the block runs."""

    async def close(self) -> None:
        """Release connections and tasks."""


class LocalHub:
    """Fan-out inside one process (the embedded default, and the local half of Redis)."""

    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[str]]] = {}

    def deliver(self, channel: str, data: str) -> None:
        """Hand ``data`` to this process's subscribers of ``channel`` (never blocks)."""
        for queue in self._subs.get(channel, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(data)

    async def publish(self, channel: str, data: str) -> None:
        """Deliver at once: every subscriber is in this process."""
        self.deliver(channel, data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
        """Follow ``channel`` for the duration of the block."""
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._subs.setdefault(channel, set()).add(queue)
        try:
            yield queue
        finally:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(queue)
                if not subs:
                    del self._subs[channel]

    @property
    def channels(self) -> int:
        """How many channels have a subscriber here."""
        return len(self._subs)

    async def close(self) -> None:
        """Nothing to release."""


class RedisHub:
    """Fan-out across processes: one Redis connection publishes, one pattern subscription
    per process receives every chat's events and hands them to the local subscribers."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = LocalHub()
        self._redis: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    async def _start(self) -> None:
        if self._ready is None:
            import redis.asyncio as aioredis

            self._ready = asyncio.Event()
            self._redis = aioredis.from_url(self._url)
            self._reader = asyncio.create_task(self._read(), name="ombud-chat-redis")
        await self._ready.wait()

    async def _read(self) -> None:
        assert self._ready is not None
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(PREFIX + "*")
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            channel = message["channel"].decode()[len(PREFIX):]
                            self._local.deliver(channel, message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: retry; clients fill gaps from the DB
                log.warning("chat fan-out lost Redis (%s); reconnecting", exc)
                await asyncio.sleep(0.5)

    async def publish(self, channel: str, data: str) -> None:
        """Publish through Redis; this process's own subscribers hear it back from Redis."""
        await self._start()
        await self._redis.publish(PREFIX + channel, data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
        """Follow ``channel`` (once the pattern subscription is live)."""
        await self._start()
        async with self._local.subscribe(channel) as queue:
            yield queue

    async def close(self) -> None:
        """Stop the reader and close the connection pool."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._redis is not None:
            await self._redis.aclose()
        self._reader = self._redis = self._ready = None


def make_hub(redis_url: str | None) -> Hub:
    """Redis fan-out when a URL is configured, else in-process."""
    return RedisHub(redis_url) if redis_url else LocalHub()
