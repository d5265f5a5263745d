"""Intake types that cross the domain boundary (console pages, the listener, the bench)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Outcome = Literal["case_opened", "follow_up", "automatic", "quarantined", "duplicate"]


class Received(BaseModel):
    """What became of one received mail."""

    outcome: Outcome
    mail_id: int | None = None
    case_reference: str | None = None
    note: str = ""


class QuarantineOut(BaseModel):
    """A quarantined mail as the console lists it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    mail_id: int
    reason: str
    status: str
    attempts: int
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None
    from_address: str = ""
    subject: str = ""
    size: int = 0
    sha256: str = ""
