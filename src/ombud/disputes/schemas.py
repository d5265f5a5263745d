"""Dispute types that cross domain boundaries and the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ombud.cases.schemas import Instant


class ObjectionOut(BaseModel):
    """An objection and where its re-review stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    proposal_id: int
    body: str
    channel: str
    received_at: Instant
    reviewer_id: int | None
    review_started_at: Instant | None
    outcome: str | None
    review_note: str
    reviewed_at: Instant | None
