"""Security types that cross domain boundaries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StaffOut(BaseModel):
    """A member of staff as lists and pages show one."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str
    role: str
    team_id: int | None
    active: bool


class TeamOut(BaseModel):
    """A team and its skills."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    categories: list[str]
    languages: list[str]


class NewStaff(BaseModel):
    """A created account, with the secrets shown once."""

    staff: StaffOut
    totp_secret: str
    totp_uri: str
