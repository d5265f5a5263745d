"""Text helpers shared by completeness and the classifier: language, script, length (pure)."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources

MAX_CHARS = 20_000
"""Longer texts are cut to this many characters before extraction and classification."""

EN, ZH_HANS, ZH_HANT = "en", "zh-Hans", "zh-Hant"
LANGUAGES = (EN, ZH_HANS, ZH_HANT)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z]{2,}|[\u3400-\u9fff]")

# Traditional-only vocabulary (Taiwan/Hong Kong usage) applied before the character map.
_HANT_PHRASES = {
    "软件": "軟體", "网络": "網路", "信息": "資訊", "视频": "影片", "账户": "帳戶",
    "账号": "帳號", "登录": "登入", "默认": "預設", "支持": "支援", "滑点": "滑價",
}


@cache
def _s2t() -> dict[str, str]:
    """Simplified -> Traditional character map (data/s2t.json, built with OpenCC s2t)."""
    data = resources.files("ombud.triage").joinpath("data/s2t.json").read_text("utf-8")
    table: dict[str, str] = json.loads(data)
    return table


@cache
def _hant_only() -> frozenset[str]:
    s2t = _s2t()
    return frozenset(t for s, t in s2t.items() if t != s and t not in s2t)


def to_traditional(text: str, *, regional: bool = True) -> str:
    """Simplified Chinese ``text`` in Traditional characters (Taiwan vocabulary if regional)."""
    if regional:
        for simplified, traditional in _HANT_PHRASES.items():
            text = text.replace(simplified, traditional)
    table = _s2t()
    return "".join(table.get(ch, ch) for ch in text)


def clip(text: str) -> tuple[str, bool]:
    """``text`` NFKC-normalised and cut to :data:`MAX_CHARS`; True if it was cut."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    return text[:MAX_CHARS], len(text) > MAX_CHARS


def script_counts(text: str) -> tuple[int, int]:
    """(CJK characters, Latin letters) in ``text``."""
    return len(_CJK.findall(text)), len(_LATIN.findall(text))


def word_count(text: str) -> int:
    """Latin words of two letters or more plus CJK characters: a rough amount of content."""
    return len(_WORD.findall(text))


def detect_language(text: str, default: str = EN) -> str:
    """The dominant language of ``text``: ``en``, ``zh-Hans`` or ``zh-Hant``.

    Chinese wins when CJK characters are at least a third of the letters (a Latin letter
    carries less than a character); the script is whichever of Simplified-only and
    Traditional-only characters is more frequent (Simplified on a tie). ``default`` when the
    text has no letters at all.
    """
    cjk, latin = script_counts(text)
    if cjk == 0 and latin == 0:
        return default
    if cjk * 3 < latin:
        return EN
    s2t, hant = _s2t(), _hant_only()
    simplified = sum(1 for ch in text if ch in s2t and s2t[ch] != ch)
    traditional = sum(1 for ch in text if ch in hant)
    return ZH_HANT if traditional > simplified else ZH_HANS


def is_mixed(text: str) -> bool:
    """True when both Chinese and English carry a real share of ``text``."""
    cjk, latin = script_counts(text)
    weights = sorted((cjk * 3, latin))
    return cjk >= 4 and latin >= 12 and weights[0] >= weights[1] * 0.2
