"""Priority, impact, severity and complexity of a case, each with the reasons why (pure).

Entry point: :func:`assess`. Points add up from the amount in dispute (USD at the time),
vulnerable-customer signs, repeat contact, a regulator, lawyer or the media being mentioned,
and the account tier; account security is always urgent and marked for immediate action, and
so is any sign of risk to life. Every point given is listed in ``reasons``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ombud.cases.taxonomy import Category, Priority
from ombud.triage.classifier_text import clip


class Impact(StrEnum):
    """How much harm the case carries for the customer."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Complexity(StrEnum):
    """How much investigation the case is likely to need."""

    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"


class Tier(StrEnum):
    """The customer's account tier."""

    REGULAR = "regular"
    VIP = "vip"
    INSTITUTIONAL = "institutional"


@dataclass(frozen=True)
class PriorityInput:
    """What priority is assessed from."""

    category: Category
    text: str = ""
    amount_usd: Decimal | None = None
    repeat_contacts: int = 0
    tier: Tier = Tier.REGULAR
    subcategory: str | None = None


@dataclass(frozen=True)
class Assessment:
    """Priority and impact with the reasons for them ("why this priority")."""

    priority: Priority
    impact: Impact
    severity: int  # 1 (most severe) to 4
    complexity: Complexity
    immediate_action: bool
    vulnerability: tuple[str, ...]
    mentions: tuple[str, ...]
    reasons: tuple[str, ...]


_VULNERABLE: dict[str, re.Pattern[str]] = {
    "risk to life": re.compile(
        r"suicid|kill myself|end my life|want to die|no reason to live|自杀|自殺|不想活|活不下去"
        r"|轻生|輕生|跳楼|跳樓", re.I),
    "elderly": re.compile(r"elderly|pensioner|retired|retiree|my (?:grand)?(?:mother|father)"
                          r"(?:'s)? account|\b[789]\d years old|老人|退休|养老|養老|年迈|年邁|"
                          r"老年", re.I),
    "disability or illness": re.compile(
        r"disab|\bblind\b|\bdeaf\b|wheelchair|dementia|cancer|chemo|hospital|mental health|depress|"
        r"残疾|殘疾|失明|住院|癌|抑郁|憂鬱|抑鬱|精神疾病|生病", re.I),
    "bereavement": re.compile(r"passed away|died|deceased|bereave|funeral|widow|去世|过世|過世|"
                              r"丧事|喪事|遗产|遺產|葬礼|葬禮", re.I),
    "financial hardship": re.compile(
        r"life savings|all my savings|can'?t pay (?:my )?(?:rent|bills)|hardship|"
        r"bankrupt|unemployed|lost my job|medical bills|debt|全部积蓄|全部積蓄|全部的积蓄|"
        r"全部的積蓄|养家|養家|房租|失业|失業|负债|負債|破产|破產|救命钱|救命錢|看病", re.I),
}
_MENTIONS: dict[str, re.Pattern[str]] = {
    "regulator": re.compile(r"regulator|\bFCA\b|\bSEC\b|\bCFTC\b|\bCFPB\b|\bMFSA\b|\bVARA\b|"
                            r"\bBaFin\b|\bAMF\b|\bMAS\b|\bSFC\b|ombudsman|监管|監管|证监会|"
                            r"證監會|金融监督|金管会|金管會", re.I),
    "lawyer": re.compile(r"lawyer|attorney|solicitor|legal action|sue\b|lawsuit|court|律师|律師|"
                         r"起诉|起訴|法院|诉讼|訴訟", re.I),
    "media": re.compile(r"journalist|newspaper|\bpress\b|\bmedia\b|twitter|tiktok|youtube|reddit|"
                        r"go public|记者|記者|媒体|媒體|曝光|微博", re.I),
}
_AMOUNT_BANDS: tuple[tuple[Decimal, int, Impact], ...] = (
    (Decimal(100_000), 3, Impact.CRITICAL),
    (Decimal(10_000), 2, Impact.HIGH),
    (Decimal(1_000), 1, Impact.MEDIUM),
    (Decimal(0), 0, Impact.LOW),
)
_COMPLEX = {Category.LIQUIDATION, Category.TRADE_DISPUTE, Category.ACCOUNT_SECURITY}
_SIMPLE = {Category.KYC, Category.OTHER}
_IMPACT_ORDER = list(Impact)


def signs(text: str, table: dict[str, re.Pattern[str]]) -> tuple[str, ...]:
    """The names of the patterns in ``table`` that ``text`` matches."""
    return tuple(name for name, pattern in table.items() if pattern.search(text))


def vulnerability_signs(text: str) -> tuple[str, ...]:
    """Signs of a vulnerable customer in ``text`` (English or Chinese)."""
    return signs(clip(text)[0], _VULNERABLE)


def _raise(impact: Impact, floor: Impact) -> Impact:
    return max(impact, floor, key=_IMPACT_ORDER.index)


def assess(case: PriorityInput) -> Assessment:
    """Priority, impact, severity and complexity of ``case``, with the reasons."""
    text = clip(case.text)[0]
    reasons: list[str] = []
    points = 0
    if case.amount_usd is None:
        impact = Impact.MEDIUM
        reasons.append("no amount in dispute recorded: impact taken as medium until one is "
                       "known (0 points)")
    else:
        for floor, pts, band_impact in _AMOUNT_BANDS:
            if case.amount_usd >= floor:
                points, impact = pts, band_impact
                reasons.append(f"amount in dispute {case.amount_usd:,.2f} USD >= "
                               f"{floor:,} USD (+{pts})")
                break
    vulnerable = signs(text, _VULNERABLE)
    if vulnerable:
        points += 2
        impact = _raise(impact, Impact.HIGH)
        reasons.append(f"vulnerable-customer signs: {', '.join(vulnerable)} (+2)")
    if case.repeat_contacts >= 2:
        pts = 2 if case.repeat_contacts >= 4 else 1
        points += pts
        reasons.append(f"repeat contact: {case.repeat_contacts} earlier contacts (+{pts})")
    mentions = signs(text, _MENTIONS)
    for name in mentions:
        pts = 1 if name == "media" else 2
        points += pts
        reasons.append(f"{name} mentioned (+{pts})")
    if case.tier is not Tier.REGULAR:
        points += 1
        reasons.append(f"{case.tier.value} account tier (+1)")
    immediate = False
    if case.category is Category.ACCOUNT_SECURITY:
        immediate = True
        impact = _raise(impact, Impact.HIGH)
        reasons.append("account security: urgent, needs immediate action (protect the account)")
    if "risk to life" in vulnerable:
        immediate = True
        reasons.append("risk to life: urgent, needs immediate action (welfare escalation)")
    if immediate or points >= 5:
        priority = Priority.URGENT
    elif points >= 3:
        priority = Priority.HIGH
    elif points >= 1 or case.amount_usd is None:
        priority = Priority.NORMAL
    else:
        priority = Priority.LOW
    reasons.append(f"{points} points -> {priority.value}")
    complexity = (Complexity.COMPLEX if case.category in _COMPLEX
                  else Complexity.SIMPLE if case.category in _SIMPLE else Complexity.MODERATE)
    if complexity is Complexity.SIMPLE and (mentions or case.repeat_contacts >= 2):
        complexity = Complexity.MODERATE
    return Assessment(
        priority=priority,
        impact=impact,
        severity=4 - list(Priority).index(priority),
        complexity=complexity,
        immediate_action=immediate,
        vulnerability=vulnerable,
        mentions=mentions,
        reasons=tuple(reasons),
    )
