"""Incident detection: injected spikes open an incident; seasonal noise never does."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from ombud.triage.incidents import DetectorConfig, Signal, SpikeDetector, poisson_tail

START = datetime(2026, 3, 2, tzinfo=UTC)
KEYS = [("deposit_withdrawal", "TRC20"), ("deposit_withdrawal", "BTC"),
        ("trade_dispute", "BTC-USDT"), ("account_security", "login"), ("api", "websocket")]


def seasonal_stream(rng: random.Random, days: int, peak_per_hour: float) -> list[Signal]:
    """Poisson complaints per key with a daily rhythm: 10% of the peak at night."""
    signals: list[Signal] = []
    for k, (category, key) in enumerate(KEYS):
        scale = peak_per_hour / (k + 1)
        t = START
        end = START + timedelta(days=days)
        while t < end:
            hour = t.hour + t.minute / 60
            rate = scale * (0.55 + 0.45 * math.sin((hour - 9) / 24 * 2 * math.pi))  # per hour
            rate_max = scale
            t += timedelta(hours=rng.expovariate(rate_max))  # thinning
            if t < end and rng.random() < rate / rate_max:
                signals.append(Signal(t, f"C-{len(signals)}", category, key))
    return sorted(signals, key=lambda s: s.at)


def run(signals: list[Signal], config: DetectorConfig | None = None) -> SpikeDetector:
    detector = SpikeDetector(config)
    for signal in signals:
        detector.observe(signal)
    return detector


def spike(at: datetime, n: int, minutes: int, category: str, key: str) -> list[Signal]:
    step = timedelta(minutes=minutes) / n
    return [Signal(at + i * step, f"S-{i}", category, key) for i in range(n)]


@pytest.mark.parametrize("seed", range(8))
def test_seasonal_noise_never_opens_an_incident(seed: int) -> None:
    detector = run(seasonal_stream(random.Random(seed), days=10, peak_per_hour=12.0))
    assert detector.incidents == []


@pytest.mark.parametrize("seed", range(4))
def test_injected_spike_opens_one_incident_linking_the_members(seed: int) -> None:
    rng = random.Random(100 + seed)
    noise = seasonal_stream(rng, days=9, peak_per_hour=12.0)
    at = START + timedelta(days=8, hours=rng.randint(0, 23))
    injected = spike(at, 40, 25, "deposit_withdrawal", "TRC20")
    detector = run(sorted(noise + injected, key=lambda s: s.at))
    assert len(detector.incidents) == 1
    incident = detector.incidents[0]
    assert (incident.category, incident.key) == ("deposit_withdrawal", "TRC20")
    assert at <= incident.opened_at <= at + timedelta(minutes=25)
    injected_refs = {s.case_ref for s in injected}
    assert len(injected_refs & set(incident.members)) >= 35  # members linked, early ones too
    assert "baseline" in incident.reason


def test_a_spike_on_a_key_never_seen_opens_an_incident() -> None:
    detector = run(spike(START, 20, 20, "api", "new-endpoint"))
    assert len(detector.incidents) == 1
    assert detector.incidents[0].members == [f"S-{i}" for i in range(20)]
    assert detector.incidents[0].opened_at == START + 14 * timedelta(minutes=1)


def test_a_handful_of_complaints_is_not_an_incident() -> None:
    assert run(spike(START, 14, 10, "api", "keys")).incidents == []


def test_daily_peak_is_not_a_spike_once_history_knows_it() -> None:
    # 20 complaints every day between 12:00 and 12:30, nothing else: the same each day.
    signals = [s for d in range(8) for s in
               spike(START + timedelta(days=d, hours=12), 20, 30, "trade_dispute", "ETH")]
    detector = run(signals)
    assert len(detector.incidents) == 1  # only on the first day, before any history
    assert detector.incidents[0].opened_at < START + timedelta(days=1)


def test_incident_closes_after_quiet_and_a_later_spike_opens_another() -> None:
    config = DetectorConfig(quiet=timedelta(hours=1))
    first = spike(START, 20, 10, "api", "ws")
    second = spike(START + timedelta(hours=5), 60, 10, "api", "ws")
    detector = run(first + second, config)
    assert len(detector.incidents) == 2
    assert detector.incidents[0].closed_at is not None
    assert detector.close_quiet(START + timedelta(hours=9)) == [detector.incidents[1]]


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_tail(10, 0.0) == 0.0
