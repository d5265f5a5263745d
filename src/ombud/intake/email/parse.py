"""MIME in, one normalised ``InboundMail`` out (pure: bytes in, data out)."""

from __future__ import annotations

import datetime as dt
import email
import re
from dataclasses import dataclass, field
from email import errors as mime_errors
from email import policy
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr, parsedate_to_datetime

from ombud.intake.email.decode import decode_bytes, decode_header_value
from ombud.intake.email.text import fold_quotes, html_to_text, sanitise_html
from ombud.intake.email.tnef import TnefError, is_tnef, parse_tnef

MAX_DEPTH = 12
MAX_PARTS = 500
_FATAL = (
    mime_errors.NoBoundaryInMultipartDefect,
    mime_errors.StartBoundaryNotFoundDefect,
    mime_errors.MultipartInvariantViolationDefect,
)
_MSGID = re.compile(r"<[^<>\s]{1,900}>")


class ParseError(ValueError):
    """The message cannot be read as mail; the text says why (the quarantine reason)."""


@dataclass(frozen=True)
class Part:
    """A file carried by the mail (attachment, inline image, or extracted from TNEF)."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class InboundMail:
    """Everything intake needs from one mail, decoded and normalised."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    text: str = ""  # what the sender wrote now, for the timeline
    folded: str = ""  # quoted history, folded away
    html: str = ""  # sanitised HTML when the mail had an HTML body
    attachments: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name → values
    content_type: str = "text/plain"
    report_type: str = ""
    charsets: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The first value of header ``name`` ("" when absent)."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""


@dataclass
class _Acc:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)
    parts: int = 0

    def merge(self, other: _Acc, *, texts: bool = True) -> None:
        if texts:
            self.plain += other.plain
            self.html += other.html
        self.files += other.files
        self.notes += other.notes
        self.charsets += other.charsets
        self.parts += other.parts


def parse(raw: bytes, *, lenient: bool = False) -> InboundMail:
    """Parse one raw message. Raises ``ParseError`` when it cannot be read as mail.

    ``lenient`` (used when staff re-process a quarantined message) reads a body whose MIME
    structure is broken as plain text instead of refusing it.
    """
    if not raw.strip():
        raise ParseError("empty message: no headers and no body")
    try:
        msg = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # the parser should not raise; if it does, say why
        raise ParseError(f"the MIME parser failed: {type(exc).__name__}: {exc}") from None
    fatal = _fatal_defect(msg)
    if not msg.keys():
        raise ParseError("no mail headers: this is not an email message")
    mail = InboundMail(content_type=msg.get_content_type())
    acc = _Acc()
    if fatal and not lenient:
        raise ParseError(f"malformed MIME structure: {fatal}")
    if fatal:
        unix = raw.replace(b"\r\n", b"\n")
        text, codec = decode_bytes(unix.split(b"\n\n", 1)[-1], None)
        acc.plain.append(text)
        acc.charsets.append(codec)
        acc.notes.append(f"read as plain text despite: {fatal}")
    else:
        _walk(msg, acc, 0)
    fallback = acc.charsets[0] if acc.charsets else None
    _headers(msg, mail, fallback)
    if mail.content_type == "multipart/report":
        mail.report_type = str(msg.get_param("report-type") or "").lower()
    _body(mail, acc)
    return mail


def peek(raw: bytes) -> InboundMail:
    """Best-effort headers of a mail ``parse`` refused (for the quarantine list); never raises."""
    mail = InboundMail()
    try:
        msg = email.message_from_bytes(raw, policy=policy.compat32)
        if msg.keys():
            _headers(msg, mail, None)
    except Exception:  # the quarantine keeps the bytes; the headers are a convenience
        return InboundMail()
    return mail


def _fatal_defect(msg: Message) -> str:
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            if isinstance(defect, _FATAL):
                return f"{type(defect).__name__} in {part.get_content_type()}"
    return ""


def _headers(msg: Message, mail: InboundMail, fallback: str | None) -> None:
    for name, value in msg.raw_items():
        mail.headers.setdefault(name.lower(), []).append(
            decode_header_value(str(value), fallback))
    raw = {n.lower(): str(v) for n, v in reversed(list(msg.raw_items()))}
    mail.subject = mail.header("subject")[:998]
    name, addr = parseaddr(_unfold(raw.get("from", "")))
    if not addr or "@" not in addr:
        name, addr = parseaddr(_unfold(raw.get("sender", "")))
    mail.from_address = addr.strip().lower()
    mail.from_name = decode_header_value(name, fallback).strip('"').strip()[:120]
    mail.to = [a.lower() for _n, a in getaddresses([_unfold(v) for v in (
        mail.headers.get("to", []) + mail.headers.get("cc", []))]) if "@" in a]
    mail.message_id = next(iter(_ids(raw.get("message-id", ""))), "")
    mail.in_reply_to = _ids(raw.get("in-reply-to", ""))
    mail.references = _ids(raw.get("references", ""))
    try:
        mail.date = parsedate_to_datetime(raw["date"]) if raw.get("date") else None
    except (TypeError, ValueError, IndexError):
        mail.date = None
    if mail.date is not None and mail.date.tzinfo is None:
        mail.date = mail.date.replace(tzinfo=dt.UTC)


def _unfold(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def _ids(value: str) -> list[str]:
    found = _MSGID.findall(_unfold(value))
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return found


def _body(mail: InboundMail, acc: _Acc) -> None:
    if acc.plain:
        text = "\n\n".join(t.strip() for t in acc.plain if t.strip())
    else:
        text = "\n\n".join(html_to_text(h) for h in acc.html)
    mail.html = sanitise_html("\n".join(acc.html)) if acc.html else ""
    mail.text, mail.folded = fold_quotes(text.replace("\x00", ""))
    mail.attachments = acc.files
    mail.notes = acc.notes
    mail.charsets = acc.charsets


def _walk(part: Message, acc: _Acc, depth: int) -> None:
    acc.parts += 1
    if depth > MAX_DEPTH or acc.parts > MAX_PARTS:
        acc.notes.append("parts nested too deep or too many parts: the rest was not read")
        return
    ctype = part.get_content_type()
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "message/rfc822":
            for inner in children:
                _forwarded(inner, acc, depth)
        elif ctype == "multipart/alternative":
            _alternative(children, acc, depth)
        else:
            for child in children:
                _walk(child, acc, depth + 1)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        text, codec = decode_bytes(payload, part.get_content_charset())
        acc.charsets.append(codec)
        (acc.plain if ctype == "text/plain" else acc.html).append(text)
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not data:
        return
    if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat" or is_tnef(data):
        _tnef(data, filename or "winmail.dat", acc)
        return
    name = filename or f"part-{acc.parts}{_extension(ctype)}"
    acc.files.append(Part(name, ctype, data, inline=disposition == "inline" or (
        disposition == "" and ctype.startswith("image/"))))


def _alternative(children: list[Message], acc: _Acc, depth: int) -> None:
    subs = []
    for child in children:
        sub = _Acc()
        _walk(child, sub, depth + 1)
        subs.append(sub)
    best = next((s for s in reversed(subs) if s.plain), None)
    best = best or next((s for s in reversed(subs) if s.html), None)
    html = next((s for s in reversed(subs) if s.html), None)
    for sub in subs:
        acc.merge(sub, texts=sub is best)
    if html is not None and html is not best:
        acc.html += html.html


def _forwarded(inner: Message, acc: _Acc, depth: int) -> None:
    sub = _Acc()
    _walk(inner, sub, depth + 1)
    fallback = sub.charsets[0] if sub.charsets else None

    def head(name: str) -> str:
        return decode_header_value(str(inner.get(name, "") or ""), fallback)

    body = "\n\n".join(t.strip() for t in sub.plain) or "\n\n".join(
        html_to_text(h) for h in sub.html)
    acc.plain.append(
        "---------- Forwarded message ----------\n"
        f"From: {head('from')}\nDate: {head('date')}\nSubject: {head('subject')}\n\n{body}")
    acc.merge(sub, texts=False)
    acc.notes.append(f"forwarded message: {head('subject')[:120]}")


def _tnef(data: bytes, filename: str, acc: _Acc) -> None:
    acc.files.append(Part(filename, "application/ms-tnef", data))
    try:
        tnef = parse_tnef(data)
    except TnefError as exc:
        acc.notes.append(f"{filename} (Outlook TNEF) kept as is: {exc}")
        return
    for item in tnef.files:
        acc.files.append(Part(item.filename or "attachment", "application/octet-stream",
                              item.data))
    if tnef.body.strip() and not acc.plain:
        acc.plain.append(tnef.body)
    acc.notes.append(f"{filename} (Outlook TNEF) kept; {len(tnef.files)} file(s) extracted")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a broken parameter must not lose the file
        name = ""
    if not name:
        param = part.get_param("name")
        name = collapse_rfc2231_value(param) if param else ""
    name = str(name)
    if "=?" in name or any("\udc80" <= c <= "\udcff" for c in name):
        name = decode_header_value(name)
    return name.strip()


_EXTENSIONS = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "application/pdf": ".pdf",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics",
    "message/delivery-status": ".txt", "text/rfc822-headers": ".txt",
}


def _extension(ctype: str) -> str:
    return _EXTENSIONS.get(ctype, ".dat")
