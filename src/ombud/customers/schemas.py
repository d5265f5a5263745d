"""Customer types that cross domain boundaries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CustomerOut(BaseModel):
    """A customer as other domains and the API see one."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    uid: str | None
    email: str | None
    name: str
    language: str
    jurisdiction: str
    tier: str
