"""Evidence types that cross the domain boundary and the API."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ombud.cases.schemas import Id, Instant, Text


class Fault(StrEnum):
    """Whose fault a finding says it was."""

    PLATFORM = "platform"
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"
    MARKET = "market"
    UNDETERMINED = "undetermined"


class Analysis(StrEnum):
    """The analyses that can run on a case's captured evidence."""

    REPLAY = "replay"
    LIQUIDATION = "liquidation"
    TRANSFER = "transfer"
    LOGIN = "login"


class EvidenceOut(BaseModel):
    """One frozen piece of evidence."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source: str
    run: str
    request: str
    captured_at: Instant
    sha256: str
    media_type: str
    size: int
    data: str | None
    error: str | None
    created_by: str


class FindingIn(BaseModel):
    """A finding written by staff: it must cite at least one piece of the case's evidence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fault: Fault
    verdict: Text = Field(min_length=2, max_length=48, pattern=r"^[a-z][a-z0-9_]*$",
                          description="e.g. platform_fault, within_expectation")
    summary: Text = Field(min_length=3, max_length=20_000)
    loss_asset: str | None = Field(default=None, max_length=16, pattern=r"^[A-Z0-9]{1,16}$")
    loss_amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=38,
                                        decimal_places=18)
    loss_usd: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), max_digits=38,
                                     decimal_places=18)
    evidence_ids: list[Id] = Field(default_factory=list, max_length=100,
                                   description="The evidence this finding rests on (one at least)")


class FindingOut(BaseModel):
    """A finding with the ids of the evidence it cites."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    fault: Fault
    verdict: str
    summary: str
    loss_asset: str | None
    loss_amount: Decimal | None
    loss_usd: Decimal | None
    origin: Literal["analysis", "staff"]
    analysis: str | None
    created_by: str
    created_at: Instant
    evidence_ids: list[int] = Field(default_factory=list)


class Suggestion(BaseModel):
    """What an analysis concluded: a verdict, whose fault, why, and the loss it measured."""

    analysis: Analysis
    verdict: str
    fault: Fault
    summary: str
    loss_asset: str | None = None
    loss_amount: Decimal | None = None
    loss_usd: Decimal | None = None
    figures: dict[str, Any] = Field(default_factory=dict)
    cites: list[int] = Field(default_factory=list)


class EvidencePage(BaseModel):
    """A case's evidence and findings, for the console and the API."""

    evidence: list[EvidenceOut]
    findings: list[FindingOut]


class QueuedOut(BaseModel):
    """A capture or analysis queued as a job."""

    job_key: str
