"""The case lifecycle as a pure state machine (DESIGN §3).

``transition(state, event, context)`` returns the next state or raises: ``IllegalTransition``
when the event has no meaning in that state, ``GuardFailed`` when a rule forbids it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where a case stands."""

    RECEIVED = "received"
    NEEDS_INFO = "needs_info"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    AWAITING_CUSTOMER = "awaiting_customer"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    EXECUTING = "executing"
    RESOLVED = "resolved"
    CLOSED = "closed"
    OBJECTED = "objected"
    RE_REVIEW = "re_review"
    APPEALED = "appealed"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    MERGED = "merged"


class Event(StrEnum):
    """What can happen to a case."""

    TRIAGE = "triage"
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    START_INVESTIGATION = "start_investigation"
    ASK_CUSTOMER = "ask_customer"
    CUSTOMER_REPLIED = "customer_replied"
    PROPOSE = "propose"
    ACCEPT = "accept"
    LAPSE = "lapse"
    OBJECT = "object"
    START_RE_REVIEW = "start_re_review"
    EXECUTE = "execute"
    COMPLETE = "complete"
    CLOSE = "close"
    REOPEN = "reopen"
    APPEAL = "appeal"
    REFER = "refer"
    WITHDRAW = "withdraw"
    REJECT = "reject"
    MERGE = "merge"
    RESOLVE_BY_INCIDENT = "resolve_by_incident"


S, E = Status, Event

#: Every legal move. Anything not listed is illegal.
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.RECEIVED, E.TRIAGE): S.TRIAGED,
    (S.RECEIVED, E.REQUEST_INFO): S.NEEDS_INFO,
    (S.NEEDS_INFO, E.INFO_RECEIVED): S.TRIAGED,
    (S.TRIAGED, E.REQUEST_INFO): S.NEEDS_INFO,
    (S.TRIAGED, E.START_INVESTIGATION): S.INVESTIGATING,
    (S.TRIAGED, E.PROPOSE): S.PROPOSED,
    (S.INVESTIGATING, E.ASK_CUSTOMER): S.AWAITING_CUSTOMER,
    (S.AWAITING_CUSTOMER, E.CUSTOMER_REPLIED): S.INVESTIGATING,
    (S.INVESTIGATING, E.PROPOSE): S.PROPOSED,
    (S.PROPOSED, E.ACCEPT): S.ACCEPTED,
    (S.PROPOSED, E.OBJECT): S.OBJECTED,
    (S.PROPOSED, E.LAPSE): S.RESOLVED,
    (S.OBJECTED, E.START_RE_REVIEW): S.RE_REVIEW,
    (S.RE_REVIEW, E.PROPOSE): S.PROPOSED,
    (S.ACCEPTED, E.EXECUTE): S.EXECUTING,
    (S.ACCEPTED, E.COMPLETE): S.RESOLVED,
    (S.EXECUTING, E.COMPLETE): S.RESOLVED,
    (S.RESOLVED, E.CLOSE): S.CLOSED,
    (S.RESOLVED, E.REOPEN): S.INVESTIGATING,
    (S.CLOSED, E.REOPEN): S.INVESTIGATING,
    (S.PROPOSED, E.APPEAL): S.APPEALED,
    (S.RESOLVED, E.APPEAL): S.APPEALED,
    (S.CLOSED, E.APPEAL): S.APPEALED,
    (S.APPEALED, E.PROPOSE): S.PROPOSED,
    (S.APPEALED, E.REFER): S.REFERRED,
    (S.PROPOSED, E.REFER): S.REFERRED,
    (S.REFERRED, E.CLOSE): S.CLOSED,
}
#: States a case can be withdrawn, rejected or merged from (before any decision is final).
OPEN_STATES = frozenset({
    S.RECEIVED, S.NEEDS_INFO, S.TRIAGED, S.INVESTIGATING, S.AWAITING_CUSTOMER, S.PROPOSED,
    S.OBJECTED, S.RE_REVIEW,
})
for _state in OPEN_STATES:
    TRANSITIONS[(_state, E.WITHDRAW)] = S.WITHDRAWN
    TRANSITIONS[(_state, E.MERGE)] = S.MERGED
for _state in (S.RECEIVED, S.NEEDS_INFO, S.TRIAGED):
    TRANSITIONS[(_state, E.REJECT)] = S.REJECTED
#: States a major incident's final answer resolves a member from: no individual decision is
#: in flight (a proposal, objection or re-review keeps its own path).
BEFORE_DECISION = frozenset({
    S.RECEIVED, S.NEEDS_INFO, S.TRIAGED, S.INVESTIGATING, S.AWAITING_CUSTOMER})
for _state in BEFORE_DECISION:
    TRANSITIONS[(_state, E.RESOLVE_BY_INCIDENT)] = S.RESOLVED

TERMINAL = frozenset({S.WITHDRAWN, S.REJECTED, S.MERGED})
#: States in which the case waits on the customer (SLA clocks pause).
WAITING_ON_CUSTOMER = frozenset({S.NEEDS_INFO, S.AWAITING_CUSTOMER, S.PROPOSED})


@dataclass(frozen=True)
class Context:
    """Facts the guards need, gathered by the service from the case and its records."""

    actor_id: int | None = None
    proposer_id: int | None = None
    cited_findings: int = 0
    needs_approval: bool = False
    approved_by_other: bool = False
    open_remedies: int = 0
    within_reopen_window: bool = True
    reason: str = ""
    incident_ref: str = ""  # the major incident whose final answer resolves this case


class IllegalTransition(ValueError):
    """The event has no meaning in the case's current state."""


class GuardFailed(ValueError):
    """The move exists but a rule forbids it now; the message says which."""


def _guard(state: Status, event: Event, ctx: Context) -> str | None:
    """Why ``event`` may not happen now, or None."""
    if event is E.PROPOSE:
        if ctx.cited_findings < 1:
            return "a proposal needs at least one finding that cites evidence"
        if ctx.needs_approval and not ctx.approved_by_other:
            return "a remedy above the proposer's limit needs approval by someone else"
        if state in (S.RE_REVIEW, S.APPEALED) and (
                ctx.actor_id is None or ctx.actor_id == ctx.proposer_id):
            return "a re-review must be done by someone other than the original proposer"
    if event is E.START_RE_REVIEW and (ctx.actor_id is None or ctx.actor_id == ctx.proposer_id):
        return "a re-review must be done by someone other than the original proposer"
    if event in (E.CLOSE, E.COMPLETE) and ctx.open_remedies:
        return (f"{ctx.open_remedies} accepted remedies are neither executed nor cancelled "
                "with a reason")
    if event is E.REOPEN and not ctx.within_reopen_window:
        return "the reopening window has passed"
    if event is E.RESOLVE_BY_INCIDENT and not ctx.incident_ref:
        return "only a major incident's final answer resolves a case without a proposal"
    if event in (E.REJECT, E.WITHDRAW, E.RESOLVE_BY_INCIDENT) and not ctx.reason.strip():
        return f"{event.value} needs a reason"
    return None


def transition(state: Status, event: Event, ctx: Context | None = None) -> Status:
    """The state after ``event``; raises IllegalTransition or GuardFailed."""
    target = TRANSITIONS.get((state, event))
    if target is None:
        raise IllegalTransition(f"cannot {event.value} a case that is {state.value}")
    problem = _guard(state, event, ctx or Context())
    if problem:
        raise GuardFailed(problem)
    return target


def events_from(state: Status) -> list[Event]:
    """The events that have a meaning in ``state`` (guards may still refuse them)."""
    return [e for (s, e) in TRANSITIONS if s is state]


def mermaid() -> str:
    """The state diagram as Mermaid text, generated from ``TRANSITIONS``."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.RECEIVED.value}"]
    for (src, event), dst in sorted(TRANSITIONS.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        lines.append(f"    {src.value} --> {dst.value}: {event.value}")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL | {S.CLOSED})]
    return "\n".join(lines)
