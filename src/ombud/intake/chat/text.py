"""Pure text helpers of the chat: search terms (CJK as character bigrams), language, intent."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of",
    "on", "or", "our", "so", "that", "the", "their", "this", "to", "was", "we", "what", "when",
    "where", "which", "who", "why", "will", "with", "you", "your"))
#: Characters written only in Traditional Chinese (their Simplified forms differ).
_TRADITIONAL = frozenset("們這個來時說對會與為從帳號現幣戶過還點錢轉續費沒麼嗎請問應該")
_PERSON = re.compile(
    r"\b(human|person|agent|someone|staff|operator|representative|real people)\b|人工|客服|真人",
    re.IGNORECASE)
MAX_TERMS = 64


def _stem(word: str) -> str:
    """A light English stem, the same for articles and queries: plural and -ing/-ed off."""
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def search_terms(text: str) -> list[str]:
    """The index terms of ``text``: lower-cased, stemmed words without stop words, and every
    run of Chinese characters as overlapping character bigrams (a lone character stays one
    term), so that a Chinese query matches a Chinese article without a word segmenter."""
    terms: list[str] = []
    for token in _TOKENS.findall(unicodedata.normalize("NFKC", text).lower()):
        if _IS_CJK.match(token):
            terms.extend([token] if len(token) == 1 else
                         [token[i:i + 2] for i in range(len(token) - 1)])
        elif token not in _STOP:
            terms.append(_stem(token))
    return terms


def index_text(*parts: str) -> str:
    """The space-separated index terms of an article (never empty)."""
    return " ".join(t for part in parts for t in search_terms(part)) or "_"


def query_terms(text: str) -> list[str]:
    """Distinct search terms of a query, at most ``MAX_TERMS``, in order of appearance."""
    return list(dict.fromkeys(search_terms(text)))[:MAX_TERMS]


def language_of(text: str) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en``: Chinese when a third of the letters are Chinese."""
    letters = [c for c in text if c.isalpha()]
    chinese = [c for c in letters if _IS_CJK.match(c)]
    if not letters or len(chinese) * 3 < len(letters):
        return "en"
    return "zh-Hant" if any(c in _TRADITIONAL for c in chinese) else "zh-Hans"


def wants_person(text: str) -> bool:
    """True when the customer asks for a person rather than the bot."""
    return bool(_PERSON.search(text))
