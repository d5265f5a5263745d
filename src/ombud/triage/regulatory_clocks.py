"""The regulatory clocks of a case, and the strictest one per purpose (CL-7) (pure).

Entry point: :func:`case_clocks`. Rules and citations are in regulation.md §3; the builders
live in :mod:`ombud.triage.regimes`, the value types in :mod:`ombud.triage.regulatory_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ombud.triage import regimes
from ombud.triage.regulatory_model import (
    CaseFacts,
    ClockKind,
    Purpose,
    Regime,
    RegulatoryClock,
    RegulatoryConfig,
)

EEA_STATES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO", "EU", "EEA",
})
"""Codes that map to the EU (MiCA) regime: EU member states, EEA states, and 'EU'/'EEA'."""

_REGIMES: dict[str, Regime] = {
    **dict.fromkeys(EEA_STATES, Regime.EU),
    "GB": Regime.UK,
    "UK": Regime.UK,
    "US": Regime.US,
    "AE": Regime.VARA,
    "HK": Regime.HK,
    "SG": Regime.SG,
    "CN": Regime.CN,
}

_NO_DEADLINE_REASONS: dict[Regime, str] = {
    Regime.US: "US: no statutory complaint deadline unless the complaint came through the CFPB "
    "portal",
    Regime.HK: "HK: SFC sets no firm response deadline in the stored sources",
    Regime.SG: "SG: MAS PS-G03 Ch. 6 asks for 'fair and timely' handling, no number",
    Regime.CN: "CN: no crypto complaint regime (PBoC notice of 24 Sep 2021)",
}


def regime_for(jurisdiction: str) -> Regime | None:
    """The complaint regime of an ISO country code (or 'EU'/'UK'); ``None`` if unknown."""
    return _REGIMES.get(jurisdiction.strip().upper())


@dataclass(frozen=True)
class CaseClocks:
    """Every clock that applies to a case, with notes on how they were chosen."""

    clocks: tuple[RegulatoryClock, ...]
    notes: tuple[str, ...]

    def strictest(self, purpose: Purpose) -> RegulatoryClock | None:
        """CL-7: the obligation with the earliest due time for ``purpose``, or ``None``."""
        candidates = [
            c for c in self.clocks if c.purpose is purpose and c.kind is ClockKind.OBLIGATION
        ]
        return min(candidates, key=lambda c: c.due_at, default=None)

    def by_rule(self, rule_id: str) -> tuple[RegulatoryClock, ...]:
        """The clocks of one rule id (e.g. ``CL-5`` has a response and a final clock)."""
        return tuple(c for c in self.clocks if c.rule_id == rule_id)


def case_clocks(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> CaseClocks:
    """All regulatory clocks of a case at ``now``; CL-7 via :meth:`CaseClocks.strictest`.

    A jurisdiction with no known regime, or a regime without a numeric deadline, adds the
    exchange's own SLA (response and acknowledgement), with the reason in ``notes``; CL-7
    still picks the earliest clock across all jurisdictions.
    """
    regimes_found: set[Regime] = set()
    reasons: list[str] = []
    for code in sorted(facts.jurisdictions):
        regime = regime_for(code)
        if regime is None:
            reasons.append(f"no complaint regime known for jurisdiction {code!r}; "
                           "the exchange's own SLA applies")
        else:
            regimes_found.add(regime)
    if not facts.jurisdictions:
        reasons.append("no jurisdiction recorded; the exchange's own SLA applies")
    clocks: list[RegulatoryClock] = []
    if Regime.EU in regimes_found:
        clocks.append(regimes.eu_decision(facts, cfg, now))
    if Regime.UK in regimes_found:
        clocks += [regimes.uk_response(facts, cfg, now), regimes.uk_summary_window(facts, cfg, now)]
    if Regime.VARA in regimes_found:
        clocks.append(regimes.vara_response(facts, cfg, now))
    if Regime.HK in regimes_found:
        clocks.append(regimes.hk_fdrc_right(facts, cfg, now))
    clocks += regimes.cfpb(facts, cfg, now)
    if facts.malta_licensed:
        clocks.append(regimes.oafs_right(facts, cfg, now))
    reasons += [
        _NO_DEADLINE_REASONS[r]
        for r in sorted(regimes_found)
        if r in _NO_DEADLINE_REASONS and not (r is Regime.US and facts.cfpb is not None)
    ]
    if reasons or not any(c.purpose is Purpose.RESPONSE for c in clocks):
        clocks.append(regimes.own_response(facts, cfg, now, tuple(reasons)))
    ack_regimes = regimes_found & {Regime.EU, Regime.UK, Regime.VARA}
    if not ack_regimes or reasons:
        ack_regimes.add(Regime.OWN)
    clocks += [regimes.acknowledgement(r, facts, cfg, now) for r in sorted(ack_regimes)]
    return CaseClocks(clocks=tuple(clocks), notes=tuple(reasons))


def uk_acknowledgement_problems(
    clocks: CaseClocks, stated_response_date: date | None, procedure_summary_included: bool
) -> tuple[str, ...]:
    """AK-4 (DISP 1.6.1R, 2026 text; DISP 1.2.1R(3)(b)): what a UK acknowledgement lacks.

    It must state when the response will come (no later than the CL-3 due date) and include
    or link the complaint-procedure summary. Empty for a case without a UK clock.
    """
    uk = clocks.by_rule("CL-3")
    if not uk:
        return ()
    due = uk[0].due_date
    problems = []
    if stated_response_date is None:
        problems.append(f"acknowledgement must state when the response will come (by {due})")
    elif due is not None and stated_response_date > due:
        problems.append(f"stated response date {stated_response_date} is after the 8-week "
                        f"deadline {due}")
    if not procedure_summary_included:
        problems.append("acknowledgement must include or link the complaint-procedure summary")
    return tuple(problems)
