"""Job handlers of the notify domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud.notify.senders import Sender, build_email


def send_email(sender: Sender, mail_from: str, _session: Session, payload: dict[str, Any]) -> None:
    """Job ``notify.email``: deliver one email (the job key makes a retry safe to repeat)."""
    sender.send(build_email(
        sender=mail_from, to=payload["to"], subject=payload["subject"], body=payload["body"],
        message_id=payload.get("message_id"), in_reply_to=payload.get("in_reply_to"),
    ))
