"""Chat benchmark: 1,000 concurrent chat connections, message fan-out latency.

Rerun from the repo root (Redis at 127.0.0.1:6379, e.g. ``make ci-services``):

    .venv/bin/python bench/chat.py                       # SQLite, 2 processes, Redis
    .venv/bin/python bench/chat.py --db postgresql --chats 500 --seconds 30

Two real ``ombud serve`` processes share the database and Redis pub/sub. ``--chats`` (500)
customers each open a chat on the first process, ask the bot and hand over to a person;
one member of staff follows every chat from the second process and picks it up. That is
1,000 open WebSockets (half on each process). Then, for ``--seconds``, every customer sends
a message every ``--interval`` (10) seconds, jittered: a brisk human chat. Each message is
stored (sequence number, chat row, case message, audit event) and fanned out through Redis
to the staff socket on the other process. Latency is send → receipt by the other party,
measured in this one client process (one clock). Target: p99 < 100 ms, no message lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from websockets.asyncio.client import ClientConnection, connect

from _results import record
from _server import SECRET, WORK, database_url, env_for, reset_database, serve
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.demo import seed_articles
from ombud.security import service as security
from ombud.security.roles import Role
from ombud.security.tables import Staff
from ombud.security.tokens import customer_token

PORTS = (8710, 8711)


def _staff_token(url: str) -> str:
    """A session token for a supervisor (sees every team's chats); seeds the knowledge base."""
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as session:
        seed_articles(session)
        created = security.create_staff(session, username="bench-sup", password="bench-pass-1",
                                        role=Role.SUPERVISOR, display_name="Bench")
        staff = session.get(Staff, created.staff.id)
        assert staff is not None
        token = security.staff_session_token(Settings(secret_key="bench-secret-key"), staff)
    engine.dispose()
    return token


async def _frame(ws: ClientConnection, **match: object) -> dict[str, object]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if all(frame.get(k) == v for k, v in match.items()):
            return frame


class Pair:
    """One chat: the customer's socket on process A, the staff socket on process B."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.customer: ClientConnection | None = None
        self.staff: ClientConnection | None = None
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.received: list[str] = []

    async def open(self, staff_token: str, gate: asyncio.Semaphore) -> None:
        token = customer_token(SECRET, f"BENCH-{self.n:05d}", ttl_seconds=3600)
        async with gate:
            self.customer = await connect(f"ws://127.0.0.1:{PORTS[0]}/chat/ws", max_queue=None,
                                          additional_headers={"Authorization": f"Bearer {token}"})
            key = (await _frame(self.customer, type="hello"))["chat"]["key"]  # type: ignore[index]
            await self.customer.send(json.dumps({"type": "message", "client_id": "q",
                                                 "body": "my deposit has not arrived"}))
            await _frame(self.customer, author_kind="bot", seq=3)
            await self.customer.send(json.dumps({"type": "handover"}))
            handover = await _frame(self.customer, kind="handover")
            self.staff = await connect(
                f"ws://127.0.0.1:{PORTS[1]}/console/chats/{key}/ws?since={handover['seq']}",
                max_queue=None, additional_headers={"Authorization": f"Bearer {staff_token}"})
            await _frame(self.staff, type="hello")
            await self.staff.send(json.dumps({"type": "pick_up"}))
            await _frame(self.customer, kind="joined")
            await _frame(self.staff, kind="joined")

    async def listen(self) -> None:
        assert self.staff is not None
        async for raw in self.staff:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame.get("author_kind") == "customer":
                cid = str(frame["client_id"])
                self.received.append(cid)
                if cid in self.sent:
                    self.latencies.append(time.perf_counter() - self.sent[cid])

    async def drain_customer(self) -> None:
        assert self.customer is not None
        async for _ in self.customer:  # echoes of our own messages
            pass

    async def talk(self, seconds: float, interval: float) -> None:
        assert self.customer is not None
        await asyncio.sleep(random.uniform(0, interval))
        end, i = time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            cid = f"m{self.n}-{i}"
            self.sent[cid] = time.perf_counter()
            await self.customer.send(json.dumps({"type": "message", "client_id": cid,
                                                 "body": f"message {i} of chat {self.n}"}))
            i += 1
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))


async def _run(chats: int, seconds: float, interval: float, token: str) -> list[Pair]:
    pairs = [Pair(n) for n in range(chats)]
    gate = asyncio.Semaphore(20)  # set-up: 20 chats handed over at a time
    t0 = time.perf_counter()
    await asyncio.gather(*(p.open(token, gate) for p in pairs))
    print(f"{2 * chats} sockets open, {chats} chats live in {time.perf_counter() - t0:.1f} s")
    listeners = [asyncio.create_task(p.listen()) for p in pairs]
    drains = [asyncio.create_task(p.drain_customer()) for p in pairs]
    await asyncio.gather(*(p.talk(seconds, interval) for p in pairs))
    await asyncio.sleep(3)  # let the last messages arrive
    for p in pairs:
        for ws in (p.customer, p.staff):
            if ws is not None:
                await ws.close()
    for task in listeners + drains:
        task.cancel()
    await asyncio.gather(*listeners, *drains, return_exceptions=True)
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    url = database_url(args.db, "chat")
    reset_database(url)
    token = _staff_token(url)
    env = env_for(url, OMBUD_REDIS_URL=args.redis, OMBUD_LOG_LEVEL="WARNING")
    with serve(env, PORTS[0], 1, WORK / "chat-a.log"), serve(env, PORTS[1], 1,
                                                             WORK / "chat-b.log"):
        pairs = asyncio.run(_run(args.chats, args.seconds, args.interval, token))
    sent = sum(len(p.sent) for p in pairs)
    got = [cid for p in pairs for cid in p.received]
    lost, doubled = sent - len(set(got)), len(got) - len(set(got))
    lat = sorted(x * 1000 for p in pairs for x in p.latencies)
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    note = (f"{args.db}, 2 serve processes + Redis, {2 * args.chats} sockets, {sent} messages "
            f"({sent / args.seconds:.0f}/s), p50 {p50:.1f} ms, max {lat[-1]:.1f} ms, "
            f"lost {lost}, doubled {doubled}")
    record("chat", "fan-out p99 (send → other process)", f"{p99:.1f} ms", "< 100 ms",
           p99 < 100 and lost == 0 and doubled == 0, note)


if __name__ == "__main__":
    main()
