"""Which case a mail belongs to: the order of the evidence, without the database (pure)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from ombud.intake.email.parse import InboundMail

_REFERENCE = re.compile(r"\[?\b(C-\d{4}-\d{6,})\b\]?")
_OUR_ID = re.compile(r"^<(C-\d{4}-\d{6,})\.")
_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|sv|vs|tr|rv|答复|回复|回覆|轉寄|转发)\s*(\[\d+\])?\s*[:：]\s*)+", re.I)
#: Longest Message-ID stored as is; longer ones are stored by their hash.
MAX_ID = 250


def msgid_key(message_id: str) -> str:
    """The stored form of a Message-ID: itself, or its hash when too long for the column."""
    if len(message_id) <= MAX_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()


def referenced_ids(mail: InboundMail) -> list[str]:
    """Message-IDs this mail answers, nearest first (In-Reply-To, then References backwards)."""
    seen: list[str] = []
    for mid in [*mail.in_reply_to, *reversed(mail.references)]:
        key = msgid_key(mid)
        if key not in seen:
            seen.append(key)
    return seen


def reference_in_ids(ids: Iterable[str]) -> str | None:
    """A case reference embedded in one of our own Message-IDs (``<C-2026-000001.x@host>``)."""
    for mid in ids:
        match = _OUR_ID.match(mid)
        if match:
            return match.group(1)
    return None


def reference_in_subject(subject: str) -> str | None:
    """The case reference named in a subject line (``[C-2026-000123]``), if any."""
    match = _REFERENCE.search(subject)
    return match.group(1) if match else None


def is_reply(subject: str) -> bool:
    """True when the subject starts with a reply or forward prefix (Re:, Fwd:, 回复: ...)."""
    return bool(_PREFIX.match(subject))


def normalise_subject(subject: str) -> str:
    """A subject without reply/forward prefixes, references, case or extra spaces."""
    text = _PREFIX.sub("", subject)
    text = _REFERENCE.sub("", text)
    return " ".join(text.lower().split())


def same_subject(a: str, b: str) -> bool:
    """True when two subjects are the same once reply prefixes are removed (and not empty)."""
    left, right = normalise_subject(a), normalise_subject(b)
    return bool(left) and left == right
