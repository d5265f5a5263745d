"""One triage of one case, data in and data out (pure): classification, completeness,
priority, and the deadline clocks to store, each with its reasons.

Entry point: :func:`triage`. The service gathers the facts from the database, calls this,
and writes the result through the cases verbs; the routing decision is separate
(:mod:`ombud.triage.routing`) because it needs the live load of each handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ombud.cases.taxonomy import SUBCATEGORIES, Category, Priority
from ombud.triage import calendars
from ombud.triage.classifier import Classifier, Prediction, classify
from ombud.triage.completeness import Completeness, Holdings, check
from ombud.triage.priority import Assessment, PriorityInput, Tier, assess
from ombud.triage.regulatory_clocks import case_clocks
from ombud.triage.regulatory_model import CaseFacts, ClockKind, Purpose, RegulatoryConfig
from ombud.triage.service_levels import (
    DEFAULT_TARGETS,
    ServiceLevelPolicy,
    SlaMetric,
    service_clocks,
)
from ombud.triage.sla import Clock, Pause, Period, PeriodEnd, Unit, due_at

SUPPORT_DESK = calendars.BusinessCalendar("Support desk (24x5, UTC)", "UTC")
"""[D] The calendar of the exchange's own service levels: every weekday, all day."""

CALENDARS: dict[str, calendars.BusinessCalendar] = {c.name: c for c in (
    SUPPORT_DESK, calendars.UK_ENGLAND_WALES, calendars.UK_SCOTLAND,
    calendars.UK_NORTHERN_IRELAND, calendars.MALTA, calendars.US_FEDERAL, calendars.HONG_KONG,
    calendars.UAE)}
"""Calendars a stored clock can name (to recount it after a pause)."""

PRIORITY_LEVELS: dict[Priority, str] = {
    Priority.URGENT: "p1", Priority.HIGH: "p2", Priority.NORMAL: "p3", Priority.LOW: "p4"}
"""Case priority -> service-level policy row."""

#: Service-level metrics stored as clocks. The next-update clock is recurring: the sweep
#: starts a new cycle from each update to the customer, and from each breach.
STORED_METRICS = (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_UPDATE, SlaMetric.RESOLUTION)

USD_PRICES: Mapping[str, Decimal] = {
    "USD": Decimal(1), "USDT": Decimal(1), "USDC": Decimal(1),
    "EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "HKD": Decimal("0.128"),
    "BTC": Decimal(60_000), "ETH": Decimal(3_000),
}
"""[D] Reference prices for the USD value of an amount in dispute (configurable)."""


EXCHANGE_HOLDS = Holdings(orders=True, transfers=True, positions=True, logins=True,
                          kyc_decisions=True)
"""DC-5: the simulated exchange holds orders, transfers, positions, logins and KYC decisions."""


@dataclass(frozen=True)
class TriageConfig:
    """Per-exchange settings of triage."""

    holdings: Holdings = EXCHANGE_HOLDS
    regulatory: RegulatoryConfig = field(default_factory=RegulatoryConfig)
    service_levels: ServiceLevelPolicy | None = None
    service_jurisdictions: frozenset[str] = frozenset()  # where the exchange is regulated
    malta_licensed: bool = False
    usd_prices: Mapping[str, Decimal] = field(default_factory=lambda: dict(USD_PRICES))
    max_question_rounds: int = 2
    warn_fraction: float = 0.8

    def policy(self) -> ServiceLevelPolicy:
        """The service-level policy (the design defaults on the support-desk calendar)."""
        if self.service_levels is not None:
            return self.service_levels
        return ServiceLevelPolicy("Exchange", SUPPORT_DESK, DEFAULT_TARGETS)


@dataclass(frozen=True)
class CaseInput:
    """What one triage reads about a case."""

    text: str
    language: str
    received_at: datetime
    jurisdictions: frozenset[str]
    amount: Decimal | None = None
    asset: str | None = None
    tier: str = "regular"
    repeat_contacts: int = 0
    question_rounds: int = 0
    corrected: tuple[str, str] | None = None  # (category, subcategory) set by staff


@dataclass(frozen=True)
class ClockPlan:
    """A clock to store: what it is, the rule it cites, when it warns and expires."""

    slot: str
    rule_id: str
    citation: str
    source: str  # regulatory | service
    purpose: str
    kind: str
    pausable: bool
    strictest: bool
    definition: dict[str, Any]
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """The outcome of one triage."""

    prediction: Prediction
    category: Category
    subcategory: str
    needs_human: bool
    completeness: Completeness | None
    ask: bool  # questions go to the customer
    assessment: Assessment
    amount_usd: Decimal | None
    clocks: tuple[ClockPlan, ...]
    due_at: datetime
    clock_notes: tuple[str, ...]
    subject: str  # asset, chain or feature the complaint is about (incident key)
    reasons: tuple[str, ...]


def usd_value(amount: Decimal | None, asset: str | None,
              prices: Mapping[str, Decimal]) -> tuple[Decimal | None, str | None]:
    """The USD value of an amount in dispute, or None with the reason."""
    if amount is None:
        return None, None
    price = prices.get((asset or "").upper())
    if price is None:
        return None, f"no USD reference price for {asset}: amount not valued"
    return (amount * price).quantize(Decimal("0.01")), None


def definition(clock: Clock) -> dict[str, Any]:
    """A stored clock's recipe, to recount it after pauses (with the whole calendar when it
    is a team's own rather than one of :data:`CALENDARS`)."""
    recipe: dict[str, Any] = {
        "amount": clock.period.amount, "unit": clock.period.unit.value,
        "calendar": clock.calendar.name, "period_end": clock.period_end.value,
        "roll_forward": clock.roll_forward}
    if CALENDARS.get(clock.calendar.name) != clock.calendar:
        recipe["spec"] = calendars.to_spec(clock.calendar)
    return recipe


def _calendar_of(recipe: dict[str, Any]) -> calendars.BusinessCalendar:
    if "spec" in recipe:
        return calendars.from_spec(recipe["calendar"], recipe["spec"])
    return CALENDARS.get(recipe["calendar"], SUPPORT_DESK)


def recount(recipe: dict[str, Any], rule_id: str, start: datetime,
            pauses: tuple[Pause, ...], now: datetime) -> datetime:
    """The due time of a stored pausable clock given the pauses so far (open ones to ``now``)."""
    clock = Clock(rule_id, "", start, Period(int(recipe["amount"]), Unit(recipe["unit"])),
                  _calendar_of(recipe), pausable=True, pauses=pauses,
                  period_end=PeriodEnd(recipe["period_end"]),
                  roll_forward=bool(recipe["roll_forward"]))
    return due_at(clock, now)


def _warn(start: datetime, due: datetime, fraction: float) -> datetime:
    return start + (due - start) * fraction if due > start else due


def _clocks(case: CaseInput, priority: Priority, cfg: TriageConfig,
            now: datetime) -> tuple[list[ClockPlan], tuple[str, ...]]:
    """Regulatory clocks (CL-1..CL-7, AK-3) and the service levels of ``priority``."""
    facts = CaseFacts(received_at=case.received_at,
                      jurisdictions=frozenset(j for j in case.jurisdictions if j)
                      | cfg.service_jurisdictions,
                      language=case.language, malta_licensed=cfg.malta_licensed)
    found = case_clocks(facts, cfg.regulatory, now)
    strictest = {p: found.strictest(p) for p in Purpose}
    plans = []
    for rc in found.clocks:
        plans.append(ClockPlan(
            slot=f"{rc.rule_id}:{rc.purpose.value}:{rc.clock.calendar.name}"[:64],
            rule_id=rc.rule_id, citation=rc.citation, source="regulatory",
            purpose=rc.purpose.value, kind=rc.kind.value, pausable=rc.clock.pausable,
            strictest=strictest.get(rc.purpose) is rc, definition=definition(rc.clock),
            started_at=rc.clock.start, warn_at=_warn(rc.clock.start, rc.due_at, cfg.warn_fraction),
            due_at=rc.due_at, notes=rc.notes))
    plans += _service_plans(cfg.policy(), priority, case.received_at, cfg.warn_fraction)
    return plans, found.notes


def _service_plans(policy: ServiceLevelPolicy, priority: Priority, received_at: datetime,
                   warn_fraction: float) -> list[ClockPlan]:
    """The stored service-level clocks of ``priority`` on the policy's calendar."""
    service = service_clocks(policy, PRIORITY_LEVELS[priority], received_at)
    plans = []
    for metric in STORED_METRICS:
        clock = service[metric]
        due = due_at(clock)
        plans.append(ClockPlan(
            slot=f"SLA:{metric.value}", rule_id=clock.rule_id,
            citation=f"{clock.citation}, on the calendar {clock.calendar.name!r}",
            source="service", purpose=metric.value, kind=ClockKind.OBLIGATION.value,
            pausable=True, strictest=False, definition=definition(clock),
            started_at=clock.start, warn_at=_warn(clock.start, due, warn_fraction),
            due_at=due, notes=()))
    return plans


def on_team_calendar(result: Result, calendar: calendars.BusinessCalendar,
                     received_at: datetime, cfg: TriageConfig) -> Result:
    """``result`` with its service-level clocks counted on the calendar of the team the case
    was routed to (its business hours and holidays); the regulatory clocks keep theirs."""
    policy = replace(cfg.policy(), calendar=calendar)
    plans = [p for p in result.clocks if p.source != "service"]
    plans += _service_plans(policy, result.assessment.priority, received_at, cfg.warn_fraction)
    return replace(result, clocks=tuple(plans), due_at=_resolution_due(plans))


def _resolution_due(plans: list[ClockPlan]) -> datetime:
    """The strictest resolution deadline: regulatory responses and the service resolution."""
    finals = [p.due_at for p in plans if p.kind == ClockKind.OBLIGATION.value and p.purpose in (
        Purpose.RESPONSE.value, Purpose.FINAL_RESPONSE.value, SlaMetric.RESOLUTION.value)]
    return min(finals)


def _subject(category: Category, subcategory: str, comp: Completeness | None,
             asset: str | None) -> str:
    """What the complaint is about, for spike detection: chain, asset or feature."""
    if comp is not None and comp.facts.networks:
        return comp.facts.networks[0]
    if asset:
        return asset.upper()
    if comp is not None and comp.facts.assets:
        return comp.facts.assets[0]
    return subcategory or category.value


def triage(case: CaseInput, cfg: TriageConfig, now: datetime,
           classifier: Classifier | None = None) -> Result:
    """Classify, check completeness, prioritise and set the clocks of one case."""
    prediction = classify(case.text, classifier)
    reasons = list(prediction.reasons)
    needs_human = prediction.needs_human
    category, sub = prediction.category, prediction.subcategory or ""
    if case.corrected is not None:
        category, sub = Category(case.corrected[0]), case.corrected[1]
        needs_human = False
        reasons.append(f"category set by staff: {category.value}/{sub or '-'}")
    if sub and sub not in SUBCATEGORIES[category]:
        sub = ""
    comp = None if needs_human else check(case.text, category, cfg.holdings,
                                          language=case.language, subcategory=sub or None)
    ask = comp is not None and not comp.complete
    if ask and case.question_rounds >= cfg.max_question_rounds:
        ask = False
        reasons.append(f"still missing after {case.question_rounds} rounds of questions: "
                       "routed to a handler to follow up")
    amount_usd, why = usd_value(case.amount, case.asset, cfg.usd_prices)
    try:
        tier = Tier(case.tier)
    except ValueError:
        tier = Tier.REGULAR
    assessment = assess(PriorityInput(category=category, text=case.text, amount_usd=amount_usd,
                                      repeat_contacts=case.repeat_contacts, tier=tier,
                                      subcategory=sub or None))
    if why:
        assessment = replace(assessment, reasons=(why, *assessment.reasons))
    plans, notes = _clocks(case, assessment.priority, cfg, now)
    return Result(
        prediction=prediction, category=category, subcategory=sub, needs_human=needs_human,
        completeness=comp, ask=ask, assessment=assessment, amount_usd=amount_usd,
        clocks=tuple(plans), due_at=_resolution_due(plans), clock_notes=notes,
        subject=_subject(category, sub, comp, case.asset), reasons=tuple(reasons))
