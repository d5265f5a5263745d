"""Incident (spike) detection over the stream of new complaints (pure).

Each complaint is a :class:`Signal` with a key (category + asset, chain or feature). The
:class:`SpikeDetector` counts a key's complaints in the last ``window`` and compares the count
with its baseline: the median, over the previous ``baseline_days`` days that history covers,
of the count at the same time of day (the larger of the same window's count and the rate
over a wider ``slot`` around it), so the daily rhythm is not a spike; with less than a day
of history, the busiest earlier window. A count opens an incident when it is at least
``min_count``, at least ``min_ratio`` times the baseline, and improbable under a Poisson law
with the baseline as mean (tail probability below ``alpha``). While an incident is open,
every complaint of its key joins it; it closes once the key's window count has stayed below
the spike level for ``quiet``.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median


@dataclass(frozen=True)
class Signal:
    """One complaint as the detector sees it."""

    at: datetime
    case_ref: str
    category: str
    key: str  # asset, chain or feature, e.g. "BTC", "TRC20", "login"


@dataclass(frozen=True)
class DetectorConfig:
    """Thresholds of the spike test."""

    window: timedelta = timedelta(minutes=30)
    slot: timedelta = timedelta(hours=2)  # seasonal slot the baseline rate is measured over
    baseline_days: int = 7
    min_count: int = 15
    min_ratio: float = 3.0
    alpha: float = 1e-6
    baseline_floor: float = 0.5  # expected count assumed for a key never seen before
    quiet: timedelta = timedelta(hours=2)


@dataclass
class Incident:
    """A spike of similar complaints: one major-incident case linking the members."""

    category: str
    key: str
    opened_at: datetime
    count: int
    baseline: float
    p_value: float
    members: list[str] = field(default_factory=list)
    last_at: datetime | None = None  # the last time the key was still spiking
    closed_at: datetime | None = None

    @property
    def reason(self) -> str:
        """Why the incident was opened, for the case record."""
        return (f"{self.count} '{self.category}' complaints about {self.key} in the window "
                f"against a baseline of {self.baseline:.1f} (Poisson p={self.p_value:.1e})")


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), summed over the upper tail in log space."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term = math.exp(-mean + count * math.log(mean) - math.lgamma(count + 1))
    total, k = 0.0, count
    while term > total * 1e-12 and k < count + 10_000:
        total += term
        k += 1
        term *= mean / k
    return min(1.0, total)


class SpikeDetector:
    """Feed signals in time order with :meth:`observe`; read :attr:`incidents`."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self._times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        self._refs: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._open: dict[tuple[str, str], Incident] = {}
        self.incidents: list[Incident] = []

    @staticmethod
    def _count(times: list[datetime], start: datetime, end: datetime) -> int:
        return bisect_right(times, end) - bisect_left(times, start)

    def baseline(self, key: tuple[str, str], now: datetime) -> float:
        """The expected count of ``key`` in the window ending at ``now``."""
        cfg, times = self.config, self._times[key]
        if not times:
            return cfg.baseline_floor
        day = timedelta(days=1)
        days = [d for d in range(1, cfg.baseline_days + 1) if times[0] <= now - d * day]
        if days:
            # Per day, the larger of the same window's count (a sharp daily peak) and the rate
            # over a wider ``slot`` around it (a steady estimate from one day of noise).
            half = (cfg.slot - cfg.window) / 2
            scale = cfg.window / cfg.slot
            rates = [max(self._count(times, now - d * day - cfg.window, now - d * day),
                         self._count(times, now - d * day - cfg.window - half,
                                     now - d * day + half) * scale) for d in days]
            return max(float(median(rates)), cfg.baseline_floor)
        # Less than a day of history: the busiest earlier window, as the rhythm is unknown.
        slots = int((now - times[0]) / cfg.window)
        counts = [self._count(times, now - (i + 1) * cfg.window, now - i * cfg.window)
                  for i in range(1, slots + 1)]
        return max(float(max(counts, default=0)), cfg.baseline_floor)

    def _record(self, key: tuple[str, str], signal: Signal) -> list[datetime]:
        times, refs = self._times[key], self._refs[key]
        i = bisect_right(times, signal.at)  # signals slightly out of order still count
        times.insert(i, signal.at)
        refs.insert(i, signal.case_ref)
        horizon = signal.at - timedelta(days=self.config.baseline_days + 1) - self.config.window
        old = bisect_left(times, horizon)
        if old > len(times) // 2:  # prune history the baseline no longer reads
            del times[:old], refs[:old]
        return times

    def observe(self, signal: Signal) -> Incident | None:
        """Record ``signal``; return the incident it opened or joined, if any."""
        cfg = self.config
        key = (signal.category, signal.key)
        self.close_quiet(signal.at)
        incident = self._open.get(key)
        if incident is None:
            expected = self.baseline(key, signal.at)
        times = self._record(key, signal)
        start = bisect_left(times, signal.at - cfg.window)
        count = bisect_right(times, signal.at) - start
        if incident is not None:
            incident.members.append(signal.case_ref)
            incident.count += 1
            if count >= max(cfg.min_count, cfg.min_ratio * incident.baseline):
                incident.last_at = max(signal.at, incident.last_at or signal.at)  # still hot
            return incident
        if count < cfg.min_count or count < cfg.min_ratio * expected:
            return None
        p = poisson_tail(count, expected)
        if p >= cfg.alpha:
            return None
        members = self._refs[key][start:bisect_right(times, signal.at)]
        incident = Incident(signal.category, signal.key, signal.at, count, expected, p,
                            members=list(members), last_at=signal.at)
        self._open[key] = incident
        self.incidents.append(incident)
        return incident

    def close_quiet(self, now: datetime) -> list[Incident]:
        """Close incidents that have not spiked for ``quiet``; return them."""
        closed = []
        for key, incident in list(self._open.items()):
            if incident.last_at is not None and now - incident.last_at >= self.config.quiet:
                incident.closed_at = now
                closed.append(incident)
                del self._open[key]
        return closed
