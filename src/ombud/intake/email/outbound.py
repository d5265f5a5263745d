"""Replies to email cases: threaded (Message-ID, In-Reply-To, References), the case reference
in the subject, UTF-8, and no header injection from names or subjects people typed."""

from __future__ import annotations

import re
import secrets
import unicodedata
from email.message import EmailMessage
from email.utils import formataddr

from ombud.common.errors import Invalid
from ombud.notify.senders import build_email

_MSGID = re.compile(r"^<[^<>\s]{1,900}>$")
MAX_REFERENCES = 20


def header_text(value: str, limit: int = 200) -> str:
    """User text made safe for a header: control characters (CR, LF, NUL...) become spaces."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value)
    return " ".join(text.split())[:limit]


def address(name: str, email: str) -> str:
    """``"Name" <email>`` with the name cleaned; an address with breaks or brackets is refused."""
    if not email or any(c in email for c in "\r\n<>,; \t\"") or "@" not in email:
        raise Invalid(f"{email!r} is not a deliverable address", pointer="to")
    return formataddr((header_text(name, 78), email))


def case_subject(subject: str, reference: str) -> str:
    """The subject with ``[reference]`` in it exactly once."""
    text = header_text(subject, 180)
    return text if reference in text else f"{text} [{reference}]".strip()


def new_message_id(reference: str, domain: str) -> str:
    """A fresh Message-ID that carries the case reference (so replies find the case)."""
    return f"<{reference}.{secrets.token_hex(8)}@{domain}>"


def compose(
    *,
    sender: str,
    to: str,
    to_name: str,
    subject: str,
    body: str,
    reference: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
) -> EmailMessage:
    """One reply on a case's email thread, through notify's ``build_email``."""
    ids = [m for m in references if _MSGID.match(m)]
    if in_reply_to and not _MSGID.match(in_reply_to):
        in_reply_to = None
    if in_reply_to and in_reply_to not in ids:
        ids.append(in_reply_to)
    msg = build_email(sender=sender, to=address(to_name, to), subject=case_subject(subject,
                      reference), body=body, message_id=message_id, in_reply_to=in_reply_to)
    if ids:
        del msg["References"]
        msg["References"] = " ".join(ids[:1] + ids[1:][-(MAX_REFERENCES - 1):])
    return msg
