"""Registration fields read from a complaint's text: summary, amounts, language (pure; the
desired outcome is ``ombud.cases.outcome``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ombud.common.money import ASSET_PRECISION

_ASSETS = "|".join(sorted(ASSET_PRECISION, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?<![\w.])(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?\s*({_ASSETS})\b|"
    rf"\b({_ASSETS})\s*(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?(?![\w.])|"
    r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?",
    re.I)
#: Characters used only in Traditional (first) or only in Simplified (second) Chinese.
_TRAD = set("們這個說對時會來後為與從國過還號發帳戶請謝處幣錢賬單買賣體們網問題")
_SIMP = set("们这个说对时会来后为与从国过还号发帐户请谢处币钱账单买卖体们网问题")


@dataclass(frozen=True)
class Amount:
    """An amount of an asset mentioned in the text."""

    asset: str
    amount: Decimal


def summary_from(subject: str, text: str) -> str:
    """One line for the case list: the subject, else the first line of the text."""
    line = " ".join(subject.split())
    if len(line) < 3:
        line = next((" ".join(t.split()) for t in text.splitlines() if t.strip()), "")
    if len(line) < 3:
        line = "Complaint by email"
    return line[:200]


def amounts(text: str) -> list[Amount]:
    """Amounts and assets mentioned, in order (``$`` counts as USD)."""
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        if m.group(3):
            whole, frac, asset = m.group(1), m.group(2), m.group(3)
        elif m.group(4):
            asset, whole, frac = m.group(4), m.group(5), m.group(6)
        else:
            asset, whole, frac = "USD", m.group(7), m.group(8)
        try:
            value = Decimal(whole.replace(",", "") + (frac or ""))
        except InvalidOperation:
            continue
        if 0 < value <= Decimal("1e15"):
            found.append(Amount(asset.upper(), value))
    return found


def language_of(text: str, charsets: list[str] | None = None) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en`` from the script of the text (and its charset);
    Japanese (kana) and everything else get English, the catalogue's default."""
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    if cjk < 2 or any("\u3040" <= c <= "\u30ff" for c in text):  # kana: Japanese
        return "en"
    trad = sum(1 for c in text if c in _TRAD)
    simp = sum(1 for c in text if c in _SIMP)
    if trad > simp or (trad == simp and any(c.startswith("big5") for c in charsets or [])):
        return "zh-Hant"
    return "zh-Hans"
