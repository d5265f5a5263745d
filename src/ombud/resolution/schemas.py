"""Resolution types that cross domain boundaries, the API and the console."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ombud.cases.schemas import Id, Instant, Text
from ombud.resolution.policy import RemedyKind

Outcome = Literal["upheld", "partly_upheld", "rejected"]
ProposalStatus = Literal["draft", "awaiting_approval", "approved", "issued", "accepted",
                         "objected", "lapsed", "superseded"]
RemedyStatus = Literal["proposed", "accepted", "executing", "executed", "cancelled",
                       "superseded"]
#: A positive amount, exact to 18 places.
PositiveAmount = Annotated[Decimal, Field(gt=0, le=Decimal("1e15"), max_digits=38,
                                          decimal_places=18)]


class PointIn(BaseModel):
    """One point of the complaint and how the decision answers it (DC-1)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    point: Text = Field(min_length=3, max_length=2_000, description="What the customer says")
    finding_id: Id | None = Field(default=None, description="The finding that answers it")
    upheld: bool = False
    reason: Text = Field(default="", max_length=10_000)


class RemedyIn(BaseModel):
    """A remedy as entered by the proposer; the policy checks it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: RemedyKind
    clause_id: Text = Field(min_length=1, max_length=32)
    asset: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9]{1,16}$")
    amount: PositiveAmount | None = None
    usd: PositiveAmount | None = Field(
        default=None, description="USD value, only where no finding gives a rate")
    finding_id: Id | None = None
    note: Text = Field(default="", max_length=2_000)


class ProposalIn(BaseModel):
    """A draft decision: the points, the remedies, and a justification where needed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Outcome
    summary: Text = Field(default="", max_length=10_000, description="The decision in brief")
    points: list[PointIn] = Field(min_length=1, max_length=50)
    remedies: list[RemedyIn] = Field(default_factory=list, max_length=20)
    justification: Text = Field(default="", max_length=10_000,
                                description="Why, where the remedy is outside the precedents")


class DecisionIn(BaseModel):
    """An approver's or reviewer's decision with its note."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(default="", max_length=10_000)


class CancelIn(BaseModel):
    """Cancelling an accepted remedy needs a reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=3, max_length=2_000)


class ObjectionIn(BaseModel):
    """The customer's objection, with what they think is wrong."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: Text = Field(min_length=3, max_length=100_000)


class PointOut(BaseModel):
    """A point of a proposal."""

    model_config = ConfigDict(from_attributes=True)

    position: int
    point: str
    finding_id: int | None
    upheld: bool
    reason: str


class RemedyOut(BaseModel):
    """A remedy and where its execution stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RemedyKind
    clause_id: str
    finding_id: int | None
    asset: str | None
    amount: Decimal | None
    usd: Decimal | None
    note: str
    status: RemedyStatus
    client_id: str | None
    bill_id: str | None
    receipt_evidence_id: int | None
    last_error: str | None
    cancel_reason: str | None
    executed_at: Instant | None


class ApprovalOut(BaseModel):
    """Who approved or refused, and why."""

    model_config = ConfigDict(from_attributes=True)

    staff_id: int
    decision: Literal["approved", "refused"]
    note: str
    created_at: Instant


class PrecedentOut(BaseModel):
    """A similar decided case, as shown to the proposer (DC-2)."""

    reference: str
    similarity: float
    category: str
    subcategory: str
    fault: str
    jurisdiction: str
    loss_usd: Decimal
    remedy_usd: Decimal
    ratio: Decimal = Field(description="Remedy as a share of the loss")
    remedy_kinds: list[str]
    outcome: str


class ProposalOut(BaseModel):
    """A proposal with its points, remedies, approvals and letter."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    revision: int
    status: ProposalStatus
    outcome: Outcome
    policy_version: int
    proposer_id: int
    total_usd: Decimal
    needs_approval: bool
    approval_reasons: list[str]
    justification: str
    summary: str
    precedents: list[PrecedentOut]
    language: str
    letter_subject: str | None
    letter_body: str | None
    created_at: Instant
    issued_at: Instant | None
    respond_by: Instant | None
    answered_at: Instant | None
    points: list[PointOut]
    remedies: list[RemedyOut]
    approvals: list[ApprovalOut]


class SuggestionOut(BaseModel):
    """What the policy proposes for a case's findings, with the precedents around it."""

    policy_version: int
    remedies: list[RemedyIn]
    precedents: list[PrecedentOut]
    ratio_range: tuple[Decimal, Decimal] | None = Field(
        description="Lowest and highest remedy/loss ratio among the precedents")


class PolicyIn(BaseModel):
    """A new policy version (compliance)."""

    model_config = ConfigDict(extra="forbid")

    effective_from: Instant
    document: Text = Field(min_length=2, max_length=200_000, description="The policy as JSON")
    note: Text = Field(default="", max_length=5_000)


class PolicyOut(BaseModel):
    """A stored policy version."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    effective_from: Instant
    document: str
    note: str
    created_by: str
    created_at: Instant
