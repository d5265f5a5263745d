"""Pure hashing of audit events and anchors (SHA-256 over canonical JSON)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ombud.common.clock import iso

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces, non-ASCII kept: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    *, chain: str, seq: int, at: dt.datetime, actor: str, action: str, data: str, prev_hash: str
) -> str:
    """The hash of one event; ``data`` is the stored canonical JSON text."""
    body = canonical_json(
        {"chain": chain, "seq": seq, "at": iso(at), "actor": actor, "action": action, "data": data}
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """Digest over (chain, seq, hash) triples, in chain order."""
    h = hashlib.sha256()
    for chain, seq, head_hash in sorted(heads):
        h.update(f"{chain}:{seq}:{head_hash}\n".encode())
    return h.hexdigest()


def anchor_hash(*, at: dt.datetime, heads_digest: str, prev_hash: str) -> str:
    """The hash of one anchor, chained to the previous anchor."""
    return hashlib.sha256(f"{prev_hash}|{iso(at)}|{heads_digest}".encode()).hexdigest()
