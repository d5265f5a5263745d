"""Service-level policies per priority: the exchange's own targets, pausable (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ombud.triage.calendars import BusinessCalendar
from ombud.triage.sla import Clock, Pause, Period, PeriodEnd, Unit


class SlaMetric(StrEnum):
    """What a service-level target measures."""

    FIRST_RESPONSE = "first_response"
    NEXT_UPDATE = "next_update"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class ServiceLevelPolicy:
    """Targets per priority and metric, counted on a team calendar."""

    name: str
    calendar: BusinessCalendar
    targets: Mapping[str, Mapping[SlaMetric, Period]]


DEFAULT_TARGETS: Mapping[str, Mapping[SlaMetric, Period]] = {
    "p1": {
        SlaMetric.FIRST_RESPONSE: Period(30, Unit.BUSINESS_MINUTES),
        SlaMetric.NEXT_UPDATE: Period(2, Unit.BUSINESS_HOURS),
        SlaMetric.RESOLUTION: Period(8, Unit.BUSINESS_HOURS),
    },
    "p2": {
        SlaMetric.FIRST_RESPONSE: Period(2, Unit.BUSINESS_HOURS),
        SlaMetric.NEXT_UPDATE: Period(8, Unit.BUSINESS_HOURS),
        SlaMetric.RESOLUTION: Period(3, Unit.BUSINESS_DAYS),
    },
    "p3": {
        SlaMetric.FIRST_RESPONSE: Period(8, Unit.BUSINESS_HOURS),
        SlaMetric.NEXT_UPDATE: Period(2, Unit.BUSINESS_DAYS),
        SlaMetric.RESOLUTION: Period(10, Unit.BUSINESS_DAYS),
    },
    "p4": {
        SlaMetric.FIRST_RESPONSE: Period(2, Unit.BUSINESS_DAYS),
        SlaMetric.NEXT_UPDATE: Period(5, Unit.BUSINESS_DAYS),
        SlaMetric.RESOLUTION: Period(15, Unit.BUSINESS_DAYS),
    },
}
"""Design defaults ([D], not regulatory); an exchange configures its own."""


def service_clocks(
    policy: ServiceLevelPolicy,
    priority: str,
    opened_at: datetime,
    *,
    last_update_at: datetime | None = None,
    pauses: tuple[Pause, ...] = (),
) -> dict[SlaMetric, Clock]:
    """Pausable clocks for each metric the policy sets for ``priority``.

    The next-update clock starts at ``last_update_at`` (the last message to the customer),
    or at ``opened_at`` before any update.
    """
    try:
        targets = policy.targets[priority]
    except KeyError:
        msg = f"policy {policy.name!r} has no targets for priority {priority!r}"
        raise ValueError(msg) from None
    starts = {SlaMetric.NEXT_UPDATE: last_update_at or opened_at}
    return {
        metric: Clock(
            rule_id=f"SLA-{metric.value}-{priority}",
            citation=f"{policy.name} service level: {metric.value} for {priority} in {period}",
            start=starts.get(metric, opened_at).astimezone(UTC),
            period=period,
            calendar=policy.calendar,
            pausable=True,
            pauses=pauses,
            period_end=PeriodEnd.CLOSE_OF_BUSINESS,
        )
        for metric, period in targets.items()
    }
