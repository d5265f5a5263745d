"""Senders: how an outbound email leaves (SMTP, or an outbox folder in the embedded default)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from ombud.common.errors import Invalid


class Sender(Protocol):
    """Delivers one email."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise."""
        ...


def _header_safe(value: str, name: str) -> str:
    if "\r" in value or "\n" in value:
        raise Invalid(f"line breaks are not allowed in the {name} header")
    return value


def build_email(
    *, sender: str, to: str, subject: str, body: str, message_id: str | None = None,
    in_reply_to: str | None = None,
) -> EmailMessage:
    """A UTF-8 text email; header values with line breaks are refused (no injection)."""
    msg = EmailMessage()
    msg["From"] = _header_safe(sender, "From")
    msg["To"] = _header_safe(to, "To")
    msg["Subject"] = _header_safe(subject, "Subject")
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = _header_safe(message_id or make_msgid(domain="ombud.local"), "Message-ID")
    if in_reply_to:
        msg["In-Reply-To"] = _header_safe(in_reply_to, "In-Reply-To")
        msg["References"] = msg["In-Reply-To"]
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(body, charset="utf-8")
    return msg


class OutboxSender:
    """Writes each email as an .eml file: the embedded default, where no SMTP server is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` to ``folder/<message-id>.eml``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


class SmtpSender:
    """Delivers through an SMTP server, with STARTTLS when configured, signing in (SMTP AUTH)
    when given a user; credentials only ever travel over STARTTLS."""

    def __init__(self, host: str, port: int = 25, *, starttls: bool = False,
                 tls: ssl.SSLContext | None = None, user: str = "", password: str = "") -> None:
        if user and not starttls:
            raise Invalid("SMTP credentials are only sent over STARTTLS: set "
                          "OMBUD_SMTP_STARTTLS=true with OMBUD_SMTP_USER")
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password = user, password
        self.tls = tls or ssl.create_default_context()  # the server's certificate is checked

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server."""
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls(context=self.tls)
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
