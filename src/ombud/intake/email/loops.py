"""Auto-replies, bounces and mail loops: mail that must never open a case nor be answered."""

from __future__ import annotations

from collections.abc import Iterable

from ombud.intake.email.parse import InboundMail

#: More Received lines naming one of our hosts than this means the mail is going round.
MAX_OWN_HOPS = 3
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply")


def loop_reason(mail: InboundMail, envelope_from: str | None, our_hosts: Iterable[str]) -> str:
    """Why ``mail`` is automatic ("" when a person sent it).

    ``envelope_from`` is the SMTP ``MAIL FROM`` (``""`` for the null sender ``<>``, None
    when unknown, e.g. IMAP). ``our_hosts`` are the names our own mail servers use.
    """
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return "null sender (MAIL FROM:<>): a bounce or notification"
    if envelope_from is None and "return-path" in mail.headers and not mail.header(
            "return-path").strip("<> "):
        return "null sender (Return-Path: <>): a bounce or notification"
    if mail.content_type == "multipart/report" or mail.report_type:
        return f"delivery report (multipart/report {mail.report_type or 'unknown'})"
    auto = mail.header("auto-submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    precedence = mail.header("precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS:
        if name in mail.headers:
            return f"{name} header: an automatic reply"
    suppress = mail.header("x-auto-response-suppress").lower()
    out_of_office = mail.subject.lower().startswith(("automatic reply", "out of office"))
    if mail.header("x-ms-exchange-generated-message-source") or (
            "oof" in suppress and out_of_office):
        return "Exchange automatic reply"
    sender = mail.from_address.lower()
    if sender.startswith(_BOUNCE_SENDERS):
        return f"sent by {sender}: a bounce"
    hosts = [h.lower() for h in our_hosts if h]
    own = sum(1 for line in mail.headers.get("received", [])
              if any(f"by {h}" in line.lower() for h in hosts))
    if own > MAX_OWN_HOPS:
        return f"mail loop: {own} Received lines from our own servers"
    return ""
