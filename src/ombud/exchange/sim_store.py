"""How a saved simulated exchange is shared by processes: a snapshot, a journal of the actions
taken since it, and a lock around every read-apply-write.

``<name>`` is the snapshot of the whole state (`sim_state.save_state`). ``<name>.journal``
starts with an epoch line and holds one JSON line per action (credit, refund, freeze) taken
since that snapshot. ``<name>.lock`` is an exclusive ``flock``. An action appends one line, in
O(1) whatever the size of the exchange; any other change rewrites the snapshot and starts a new
journal with a new epoch, which tells every other process to reload. Before changing anything a
process reads what others appended, so no update is lost and a client id is used once.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import secrets
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ombud.exchange.sim_ledger import apply
from ombud.exchange.sim_state import SimState, load_state, save_state

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="Persistent")


class SimStore:
    """The files of one saved exchange. Re-entrant within a thread, serialised between
    threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self._lock_path = path.with_name(path.name + ".lock")
        self._mutex = threading.RLock()
        self._depth, self._fd, self._pid = 0, -1, -1

    @classmethod
    def at(cls, path: Path) -> SimStore:
        """The one store of `path` in this process (every instance shares its lock)."""
        key = path.resolve()
        with _STORES_GUARD:
            store = _STORES.get(key)
            if store is None:
                store = _STORES[key] = cls(path)
            return store

    @contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the lock; yields True for the outermost holder (who refreshes and saves)."""
        with self._mutex:
            if self._pid != os.getpid():  # a forked child must not share its parent's lock
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid, self._depth = os.getpid(), 0
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield self._depth == 1
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def epoch(self) -> tuple[str, int] | None:
        """(epoch, offset of the first entry) of the current journal; None when there is none."""
        try:
            with self.journal.open("rb") as fh:
                head = fh.readline()
        except FileNotFoundError:
            return None
        return (str(json.loads(head)["epoch"]), len(head)) if head.endswith(b"\n") else None

    def save(self, state: SimState) -> tuple[str, int]:
        """Write the snapshot, then a new, empty journal; returns (epoch, journal offset)."""
        save_state(state, self.path)
        return self.restart()

    def restart(self) -> tuple[str, int]:
        """Start a new, empty journal with a new epoch; returns (epoch, journal offset)."""
        epoch = secrets.token_hex(8)
        head = (json.dumps({"epoch": epoch}) + "\n").encode()
        tmp = self.journal.with_name(self.journal.name + ".tmp")
        tmp.write_bytes(head)
        os.replace(tmp, self.journal)
        return epoch, len(head)

    def read(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The complete entries after byte ``offset``, and the offset after the last of them."""
        with self.journal.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1
        return [json.loads(line) for line in data[:end].splitlines()], offset + end

    def append(self, entry: dict[str, Any], offset: int) -> int:
        """Append one entry after byte ``offset`` (dropping a torn line a killed writer left
        there); returns the new offset."""
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND)
        try:
            if os.fstat(fd).st_size != offset:
                os.ftruncate(fd, offset)
            os.write(fd, line)
        finally:
            os.close(fd)
        return offset + len(line)


_STORES: dict[Path, SimStore] = {}
_STORES_GUARD = threading.Lock()


class Persistent:
    """The saving side of the simulated exchange: its state kept in step with a `SimStore`."""

    state: SimState
    _store: SimStore | None
    _epoch: str | None  # of the journal the state has read
    _offset: int  # how far into that journal

    @abstractmethod
    def _adopt(self, state: SimState) -> None:
        """Take `state` as the whole state (rebuild what is derived from it)."""

    @abstractmethod
    def _sync(self) -> None:
        """Put what is kept outside `state` (books, random stream) back into it."""

    def refresh(self) -> None:
        """Catch up with what other processes did to the saved exchange."""
        if self._store is not None:
            with self._store.locked():
                self._refresh()

    def _refresh(self) -> None:
        assert self._store is not None
        head = self._store.epoch()
        if head is None:  # a snapshot without a journal (`save`, or an older version)
            self._adopt(load_state(self._store.path))
            self._epoch, self._offset = self._store.restart()
        elif head[0] != self._epoch:  # someone rewrote the snapshot: start from it
            self._adopt(load_state(self._store.path))
            self._epoch, self._offset = head
        entries, self._offset = self._store.read(self._offset)
        for entry in entries:
            apply(self.state, entry)

    def _save(self) -> None:
        assert self._store is not None
        self._sync()
        self._epoch, self._offset = self._store.save(self.state)

    @contextmanager
    def _changing(self, snapshot: bool) -> Iterator[None]:
        """Change the exchange under its lock, starting from the latest saved state; on
        success save the snapshot (``snapshot``), or rely on the change's journal entry. A
        change that fails half-way is dropped: the next one reloads."""
        if self._store is None:
            yield
            return
        with self._store.locked() as outermost:
            if outermost:
                self._refresh()
            try:
                yield
            except BaseException:
                if outermost:
                    self._epoch = None
                raise
            if outermost and snapshot:
                self._save()

    def _journal(self, entry: dict[str, Any]) -> None:
        """Record an action just applied to the state, for the other processes."""
        if self._store is not None:
            self.state.journal += 1
            self._offset = self._store.append({"n": self.state.journal, **entry}, self._offset)


def writes(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A set-up change: made on the latest saved state, under the lock, then saved."""
    @functools.wraps(method)
    def change(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._changing(snapshot=True):
            return method(self, *args, **kwargs)
    return change
