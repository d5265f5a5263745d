"""Feedback types that cross the domain boundary: an answer, the survey page, a case's
survey for staff, and the satisfaction summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ombud.cases.schemas import Instant, Text
from ombud.feedback.model import COMMENT_MAX, CSAT_MAX, CSAT_MIN, NPS_MAX, NPS_MIN


class AnswerIn(BaseModel):
    """A customer's answer to the survey."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    csat: int = Field(ge=CSAT_MIN, le=CSAT_MAX, description="Satisfaction, 1 (very "
                      "dissatisfied) to 5 (very satisfied)")
    nps: int = Field(ge=NPS_MIN, le=NPS_MAX, description="How likely to recommend, 0 to 10")
    comment: Text = Field(default="", max_length=COMMENT_MAX)


class SurveyPage(BaseModel):
    """What the survey page shows for a token: the form, the thanks, or that it closed."""

    state: Literal["open", "answered", "expired"]
    reference: str
    language: str
    expires_at: Instant
    csat: int | None = None
    nps: int | None = None
    comment: str = ""


class SurveyOut(BaseModel):
    """A case's survey as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    language: str
    channel: str
    routes: str
    sent_at: Instant
    expires_at: Instant
    csat: int | None
    nps: int | None
    comment: str
    answered_at: Instant | None


class SurveyFigures(BaseModel):
    """Satisfaction figures over a set of surveys (percentages and the mean to 2 places)."""

    model_config = ConfigDict(from_attributes=True)

    sent: int
    answered: int
    response_rate: Decimal | None = Field(description="answered / sent, percent")
    mean_csat: Decimal | None = Field(description="mean CSAT, 1 to 5")
    csat_percent: Decimal | None = Field(description="CSAT answers of 4 or 5, percent")
    nps: Decimal | None = Field(description="promoters (9-10) minus detractors (0-6), percent")


class SurveySummary(BaseModel):
    """Surveys sent in ``[since, until)`` and their answers (whenever given), overall and
    by the case's category."""

    since: dt.datetime
    until: dt.datetime
    overall: SurveyFigures
    by_category: dict[str, SurveyFigures]
