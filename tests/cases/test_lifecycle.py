"""The case lifecycle as a pure state machine: random walks checked against the rules of
DESIGN §3, plus worked examples."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ombud.cases.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    Context,
    Event,
    GuardFailed,
    IllegalTransition,
    Status,
    events_from,
    transition,
)

S, E = Status, Event
#: States in which an individual decision is in flight or made: an incident's answer must not
#: resolve a case over it (written independently of lifecycle.BEFORE_DECISION).
DECIDING = frozenset({S.PROPOSED, S.ACCEPTED, S.EXECUTING, S.OBJECTED, S.RE_REVIEW,
                      S.APPEALED, S.REFERRED})


def _reachable() -> frozenset[Status]:
    """Every state reachable from ``received`` by following TRANSITIONS (BFS)."""
    seen, todo = {S.RECEIVED}, deque([S.RECEIVED])
    while todo:
        state = todo.popleft()
        for (src, _event), dst in TRANSITIONS.items():
            if src is state and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return frozenset(seen)


REACHABLE = _reachable()
ACTORS = st.sampled_from([None, 1, 2, 3])


@st.composite
def contexts(draw: st.DrawFn, proposer: int | None) -> Context:
    """Any guard context; the proposer is usually the one who really proposed."""
    return Context(
        actor_id=draw(ACTORS),
        proposer_id=draw(st.one_of(st.just(proposer), ACTORS)),
        cited_findings=draw(st.integers(0, 3)),
        needs_approval=draw(st.booleans()),
        approved_by_other=draw(st.booleans()),
        open_remedies=draw(st.sampled_from([0, 0, 1, 2])),
        within_reopen_window=draw(st.booleans()),
        reason=draw(st.sampled_from(["", "  ", "duplicate of C-2026-000001", "spam"])),
        incident_ref=draw(st.sampled_from(["", "", "C-2026-000009"])),
    )


@st.composite
def passing(draw: st.DrawFn, proposer: int | None) -> Context:
    """A context every guard accepts (an actor who is not the proposer, a cited finding...)."""
    actor = draw(st.integers(1, 3).filter(lambda a: a != proposer))
    return Context(actor_id=actor, proposer_id=proposer, cited_findings=draw(st.integers(1, 3)),
                   needs_approval=draw(st.booleans()), approved_by_other=True,
                   reason="customer asked", incident_ref="C-2026-000009")


def refusal(state: Status, event: Event, ctx: Context) -> str | None:
    """The rules of DESIGN §3, written independently of the implementation: which guard
    forbids ``event`` now (a short tag), or None."""
    if event is E.PROPOSE:
        if ctx.cited_findings < 1:
            return "no finding"
        if ctx.needs_approval and not ctx.approved_by_other:
            return "no approval"
        if state in (S.RE_REVIEW, S.APPEALED) and (
            ctx.actor_id is None or ctx.actor_id == ctx.proposer_id
        ):
            return "same reviewer"
    if event is E.START_RE_REVIEW and (ctx.actor_id is None or ctx.actor_id == ctx.proposer_id):
        return "same reviewer"
    if event in (E.CLOSE, E.COMPLETE) and ctx.open_remedies > 0:
        return "open remedies"
    if event is E.REOPEN and not ctx.within_reopen_window:
        return "window"
    if event is E.RESOLVE_BY_INCIDENT and not ctx.incident_ref:
        return "not an incident answer"
    if event in (E.REJECT, E.WITHDRAW, E.RESOLVE_BY_INCIDENT) and not ctx.reason.strip():
        return "no reason"
    return None


class Lifecycle(RuleBasedStateMachine):
    """Drive one case with random events and random guard contexts."""

    def __init__(self) -> None:
        super().__init__()
        self.state = S.RECEIVED
        self.proposer: int | None = None

    def context(self, data: st.DataObject) -> Context:
        """A guard context: often one that satisfies every guard, else anything at all."""
        return data.draw(st.one_of(passing(self.proposer), contexts(self.proposer)))

    def _apply(self, event: Event, ctx: Context) -> None:
        before = self.state
        target = TRANSITIONS.get((before, event))
        if target is None:
            with pytest.raises(IllegalTransition):
                transition(before, event, ctx)
            return
        expected_refusal = refusal(before, event, ctx)
        if expected_refusal is not None:
            with pytest.raises(GuardFailed):
                transition(before, event, ctx)
            return  # the case stays where it was
        after = transition(before, event, ctx)
        assert (before, event) in TRANSITIONS and after is TRANSITIONS[(before, event)]
        if after is S.PROPOSED:
            assert ctx.cited_findings >= 1
            assert not ctx.needs_approval or ctx.approved_by_other
            if before in (S.RE_REVIEW, S.APPEALED):
                assert ctx.actor_id is not None and ctx.actor_id != ctx.proposer_id
            self.proposer = ctx.actor_id
        if event in (E.CLOSE, E.COMPLETE):
            assert ctx.open_remedies == 0
        if event is E.RESOLVE_BY_INCIDENT:
            assert before not in DECIDING and ctx.incident_ref and ctx.reason.strip()
            assert after is S.RESOLVED
        self.state = after

    @rule(event=st.sampled_from(list(Event)), data=st.data())
    def any_event(self, event: Event, data: st.DataObject) -> None:
        """Any event at all, legal here or not, with any context."""
        self._apply(event, data.draw(contexts(self.proposer)))

    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        """An event with a meaning here that keeps the case alive (so walks go deep)."""
        options = [e for e in events_from(self.state) if TRANSITIONS[(self.state, e)]
                   not in TERMINAL]
        if options:
            self._apply(data.draw(st.sampled_from(options)), self.context(data))

    @precondition(lambda self: self.state in TERMINAL)
    @rule()
    def next_case(self) -> None:
        """A finished case stays finished; carry on with a fresh one."""
        self.state, self.proposer = S.RECEIVED, None

    @invariant()
    def only_reachable_states(self) -> None:
        assert self.state in REACHABLE

    @invariant()
    def terminal_states_accept_nothing(self) -> None:
        if self.state in TERMINAL:
            assert events_from(self.state) == []
            for event in Event:
                with pytest.raises(IllegalTransition):
                    transition(self.state, event, GOOD)


GOOD = Context(actor_id=2, proposer_id=1, cited_findings=1, reason="a reason")

TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_every_state_is_reachable_and_terminal_states_have_no_way_out() -> None:
    assert set(Status) == REACHABLE
    assert {S.WITHDRAWN, S.REJECTED, S.MERGED} == TERMINAL
    assert not any(src in TERMINAL for src, _ in TRANSITIONS)


def test_the_happy_path_from_receipt_to_closing() -> None:
    path = [
        (E.TRIAGE, S.TRIAGED), (E.START_INVESTIGATION, S.INVESTIGATING),
        (E.ASK_CUSTOMER, S.AWAITING_CUSTOMER), (E.CUSTOMER_REPLIED, S.INVESTIGATING),
        (E.PROPOSE, S.PROPOSED), (E.ACCEPT, S.ACCEPTED), (E.EXECUTE, S.EXECUTING),
        (E.COMPLETE, S.RESOLVED), (E.CLOSE, S.CLOSED),
    ]
    state = S.RECEIVED
    for event, expected in path:
        state = transition(state, event, GOOD)
        assert state is expected


def test_a_proposal_needs_a_cited_finding_and_an_approval_by_someone_else() -> None:
    with pytest.raises(GuardFailed, match="finding that cites evidence"):
        transition(S.INVESTIGATING, E.PROPOSE, Context(actor_id=1))
    with pytest.raises(GuardFailed, match="approval by someone else"):
        transition(S.INVESTIGATING, E.PROPOSE,
                   Context(actor_id=1, cited_findings=2, needs_approval=True))
    approved = Context(actor_id=1, cited_findings=2, needs_approval=True, approved_by_other=True)
    assert transition(S.INVESTIGATING, E.PROPOSE, approved) is S.PROPOSED


@pytest.mark.parametrize("state", [S.RE_REVIEW, S.APPEALED])
def test_a_re_review_or_appeal_proposal_is_made_by_someone_other_than_the_proposer(
    state: Status,
) -> None:
    same = Context(actor_id=7, proposer_id=7, cited_findings=1)
    with pytest.raises(GuardFailed, match="someone other than the original proposer"):
        transition(state, E.PROPOSE, same)
    with pytest.raises(GuardFailed):  # an unknown actor cannot show they are someone else
        transition(state, E.PROPOSE, Context(actor_id=None, proposer_id=7, cited_findings=1))
    assert transition(state, E.PROPOSE, Context(actor_id=8, proposer_id=7,
                                                cited_findings=1)) is S.PROPOSED


@pytest.mark.parametrize(("state", "event"), [
    (S.ACCEPTED, E.COMPLETE), (S.EXECUTING, E.COMPLETE), (S.RESOLVED, E.CLOSE),
    (S.REFERRED, E.CLOSE),
])
def test_closing_or_completing_with_open_remedies_is_refused(state: Status, event: Event) -> None:
    with pytest.raises(GuardFailed, match="2 accepted remedies"):
        transition(state, event, Context(open_remedies=2))
    assert transition(state, event, Context(open_remedies=0)) is TRANSITIONS[(state, event)]


def test_objection_goes_to_re_review_then_back_to_proposed() -> None:
    state = transition(S.PROPOSED, E.OBJECT)
    assert state is S.OBJECTED
    with pytest.raises(GuardFailed, match="someone other than the original proposer"):
        transition(state, E.START_RE_REVIEW, Context(actor_id=1, proposer_id=1))
    state = transition(state, E.START_RE_REVIEW, GOOD)
    assert state is S.RE_REVIEW
    assert transition(state, E.PROPOSE, GOOD) is S.PROPOSED


def test_reject_and_withdraw_need_a_reason_and_reopen_a_window() -> None:
    with pytest.raises(GuardFailed, match="reject needs a reason"):
        transition(S.RECEIVED, E.REJECT, Context(reason="  "))
    assert transition(S.RECEIVED, E.REJECT, Context(reason="spam")) is S.REJECTED
    with pytest.raises(GuardFailed, match="reopening window"):
        transition(S.CLOSED, E.REOPEN, Context(within_reopen_window=False))
    assert transition(S.CLOSED, E.REOPEN) is S.INVESTIGATING


@pytest.mark.parametrize("state", [S.RECEIVED, S.NEEDS_INFO, S.TRIAGED, S.INVESTIGATING,
                                   S.AWAITING_CUSTOMER])
def test_an_incidents_final_answer_resolves_a_member_before_any_decision(state: Status) -> None:
    with pytest.raises(GuardFailed, match="only a major incident's final answer"):
        transition(state, E.RESOLVE_BY_INCIDENT, Context(reason="the outage is over"))
    with pytest.raises(GuardFailed, match="resolve_by_incident needs a reason"):
        transition(state, E.RESOLVE_BY_INCIDENT, Context(incident_ref="C-2026-000009"))
    answered = Context(incident_ref="C-2026-000009", reason="answered by major incident")
    assert transition(state, E.RESOLVE_BY_INCIDENT, answered) is S.RESOLVED


@pytest.mark.parametrize("state", sorted(DECIDING | TERMINAL | {S.RESOLVED, S.CLOSED}))
def test_an_incident_never_resolves_over_a_decision_or_a_finished_case(state: Status) -> None:
    answered = Context(incident_ref="C-2026-000009", reason="answered by major incident")
    with pytest.raises(IllegalTransition):
        transition(state, E.RESOLVE_BY_INCIDENT, answered)


def test_illegal_moves_name_the_event_and_the_state() -> None:
    with pytest.raises(IllegalTransition, match="cannot close a case that is received"):
        transition(S.RECEIVED, E.CLOSE, GOOD)
    with pytest.raises(IllegalTransition):
        transition(S.INVESTIGATING, E.REJECT, GOOD)  # too late to call it spam
    with pytest.raises(IllegalTransition):
        transition(S.MERGED, E.REOPEN, GOOD)
