"""Job handlers of the feedback domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud.feedback import service
from ombud.feedback.service import ReplyAddress, SurveyConfig


def survey(cfg: SurveyConfig, reply_address: ReplyAddress, session: Session,
           payload: dict[str, Any]) -> None:
    """Job ``feedback.survey`` (queued when a case is resolved): send the case's survey,
    once; a rerun finds the survey and does nothing."""
    service.send_survey(session, cfg, reply_address, int(payload["case_id"]),
                        recheck=int(payload.get("recheck", 0)))
