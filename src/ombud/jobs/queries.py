"""Read side of the job queue, for the admin page."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.jobs.tables import Job


class JobOut(BaseModel):
    """A job as admins see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    key: str
    status: str
    attempts: int
    max_attempts: int
    run_at: dt.datetime
    last_error: str | None


def list_jobs(session: Session, status: str | None = None, limit: int = 100) -> list[JobOut]:
    """The newest jobs, optionally of one status."""
    q = select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        q = q.where(Job.status == status)
    return [JobOut.model_validate(j) for j in session.scalars(q)]
