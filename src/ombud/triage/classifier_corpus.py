"""The classifier's labelled set: complaints generated from template families, plus
hand-written ones, and the held-out split by family (pure; seeded, so reproducible).

A *family* is one way of describing a problem (data/templates.txt), with English and Chinese
phrasings; the held-out split keeps whole families out of training, so the score measures
how the model does on phrasings it has never seen, not on re-filled templates.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ombud.triage.classifier_text import EN, ZH_HANS, ZH_HANT, detect_language, to_traditional


@dataclass(frozen=True)
class Example:
    """One labelled complaint; ``label`` is ``category/sub_category``."""

    text: str
    label: str
    language: str
    family: str
    source: str  # generated | handwritten | correction

    @property
    def category(self) -> str:
        """The category part of the label."""
        return self.label.split("/", 1)[0]


@dataclass(frozen=True)
class Family:
    """One template family of a sub-category."""

    label: str
    key: str
    en: tuple[str, ...]
    zh: tuple[str, ...]


ASSETS = ("BTC", "ETH", "USDT", "SOL", "XRP", "DOGE", "TRX", "LTC", "BNB", "USDC", "ADA", "TON")
ZH_ASSET_NAMES = {"BTC": "比特币", "ETH": "以太坊", "USDT": "泰达币", "DOGE": "狗狗币",
                  "XRP": "瑞波币", "LTC": "莱特币", "SOL": "SOL", "TRX": "波场币"}
QUOTES = ("USDT", "USDC", "USD", "BTC")
NETWORKS = ("TRC20", "ERC20", "BEP20", "Arbitrum", "Polygon", "Solana", "Optimism", "Base",
            "BSC", "Tron", "Lightning", "Avalanche C-Chain")
SIDE = {EN: ("buy", "sell", "long", "short"), ZH_HANS: ("买入", "卖出", "开多", "开空")}
TIME = {
    EN: ("yesterday", "this morning", "last night", "at 14:32 UTC", "on 3 March",
         "around 9pm", "2 hours ago", "on Monday", "at 08:00", "2024-08-08 13:05"),
    ZH_HANS: ("昨天", "今天早上", "昨晚", "下午三点", "3月5日", "凌晨两点", "刚才", "周一",
              "2024-08-08 13:05", "两个小时前"),
}
DOCS = {EN: ("passport", "ID card", "driving licence", "proof of address", "selfie",
             "residence permit", "utility bill", "bank statement"),
        ZH_HANS: ("护照", "身份证", "驾照", "地址证明", "手持身份证照片", "居住证", "水电账单",
                  "银行流水")}
ENDPOINTS = ("/api/v5/trade/order", "/api/v3/order", "/api/v5/account/balance",
             "/fapi/v1/positionRisk", "/api/v5/market/books", "/sapi/v1/capital/withdraw/apply",
             "/api/v2/spot/trade/place-order", "/ws/v5/private")
CODES = ("50011", "51008", "-1021", "-2015", "429", "500", "10006", "40014", "50113")
OPENERS = {
    EN: ("Hello,", "Hi support,", "Dear team,", "Hi,", "Good morning,", "To whom it may concern,",
         "URGENT:", "Complaint:", "Hey,", "Hello, I need help."),
    ZH_HANS: ("你好，", "客服您好，", "您好！", "投诉：", "紧急！", "你们好，", "在吗？",
              "客服，"),
}
CLOSERS = {
    EN: ("Please fix this.", "I want this resolved today.", "Please help asap.",
         "I expect compensation.", "Thanks.", "This is unacceptable.",
         "I will escalate if I do not hear back.", "Please look into it.", "Regards",
         "Waiting for your reply."),
    ZH_HANS: ("请尽快处理。", "请给个说法。", "我要求赔偿。", "谢谢。", "太不负责任了！",
              "请尽快回复。", "不处理我就投诉到监管。", "麻烦帮忙看看。", "急！"),
}
CONTEXT = {
    EN: ("I have used your exchange for three years.", "My UID is {uid}.",
         "I attached screenshots.", "This happened on the mobile app.", "I am on the web version."),
    ZH_HANS: ("我用你们平台三年了。", "我的UID是{uid}。", "截图已附上。", "是在手机APP上操作的。",
              "我用的是网页版。"),
}
_SLOT = re.compile(r"\{(\w+)\}")
_LANG_WEIGHTS = ((EN, 0.4), (ZH_HANS, 0.3), (ZH_HANT, 0.3))


def _read(name: str) -> list[str]:
    text = resources.files("ombud.triage").joinpath(f"data/{name}").read_text("utf-8")
    return [ln.rstrip() for ln in text.splitlines()]


@cache
def load_families() -> tuple[Family, ...]:
    """The template families of data/templates.txt."""
    families: list[Family] = []
    label = ""
    en: list[str] = []
    zh: list[str] = []

    def flush() -> None:
        if en or zh:
            families.append(Family(label, f"{label}#{sum(f.label == label for f in families)}",
                                   tuple(en), tuple(zh)))
        en.clear()
        zh.clear()

    for line in _read("templates.txt"):
        if line.startswith("## "):
            flush()
            label = line[3:].strip()
        elif line.strip() == "# family":
            flush()
        elif line.startswith("en: "):
            en.append(line[4:])
        elif line.startswith("zh: "):
            zh.append(line[4:])
    flush()
    return tuple(families)


@cache
def load_handwritten() -> tuple[Example, ...]:
    """The hand-written complaints of data/handwritten.txt (each its own family)."""
    examples = []
    for n, line in enumerate(_read("handwritten.txt")):
        if not line or line.startswith("#"):
            continue
        label, text = (part.strip() for part in line.split("|", 1))
        examples.append(Example(text, label, detect_language(text), f"hw#{n}", "handwritten"))
    return tuple(examples)


def _number(rng: random.Random, low: float, high: float, places: int) -> str:
    value = rng.uniform(low, high)
    return f"{value:,.{places}f}" if rng.random() < 0.5 else f"{value:.{places}f}"


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    zh = ZH_HANS if lang != EN else EN
    asset = rng.choice(ASSETS)
    price = rng.uniform(0.05, 70_000)
    places = 2 if price > 10 else 4
    quote = rng.choice(QUOTES)
    pair = rng.choice((f"{asset}-{quote}", f"{asset}/{quote}", f"{asset}{quote}",
                       f"{asset}-{quote}-SWAP"))
    hexdigits = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    addr = rng.choice(("0x" + hexdigits[:40], "T" + hexdigits[:33].upper(),
                       "bc1q" + hexdigits[:38]))
    return {
        "asset": ZH_ASSET_NAMES.get(asset, asset) if zh != EN and rng.random() < 0.3 else asset,
        "amount": _number(rng, 0.01, 20_000, rng.choice((0, 1, 2, 4))),
        "pair": pair,
        "price": f"{price:.{places}f}",
        "price2": f"{price * rng.uniform(0.9, 1.1):.{places}f}",
        "pct": f"{rng.uniform(0.3, 15):.1f}",
        "time": rng.choice(TIME[zh]),
        "network": rng.choice(NETWORKS),
        "txid": rng.choice((hexdigits, "0x" + hexdigits, hexdigits[:12] + "...")),
        "addr": addr,
        "order": str(rng.randrange(10**9, 10**18)),
        "side": rng.choice(SIDE[zh]),
        "lev": str(rng.choice((3, 5, 10, 20, 25, 50, 75, 100, 125))),
        "doc": rng.choice(DOCS[zh]),
        "code": rng.choice(CODES),
        "endpoint": rng.choice(ENDPOINTS),
        "n": str(rng.randint(2, 72)),
        "fee": _number(rng, 0.5, 300, 2),
        "usd": _number(rng, 20, 250_000, 0),
        "uid": str(rng.randrange(10**7, 10**10)),
    }


def _typos(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 4 and word.isalpha() and rng.random() < 0.06:
            j = rng.randrange(1, len(word) - 1)
            words[i] = rng.choice((word[:j] + word[j + 1:], word[:j] + word[j + 1] + word[j]
                                   + word[j + 2:]))
    text = " ".join(words)
    return text.lower() if rng.random() < 0.15 else text


def render(family: Family, rng: random.Random) -> Example:
    """One complaint from ``family`` in a random language, with fillers and noise."""
    lang = rng.choices([lg for lg, _ in _LANG_WEIGHTS], [w for _, w in _LANG_WEIGHTS])[0]
    phrasings = family.en if lang == EN or not family.zh else family.zh
    if lang != EN and not family.zh:
        lang = EN
    base = EN if lang == EN else ZH_HANS
    slots = _slots(rng, lang)
    chosen = rng.sample(phrasings, k=min(len(phrasings), 1 + (rng.random() < 0.3)))
    parts = [_SLOT.sub(lambda m: slots[m.group(1)], p) for p in chosen]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(OPENERS[base]))
    if rng.random() < 0.25:
        parts.append(rng.choice(CONTEXT[base]).format(uid=slots["uid"]))
    if rng.random() < 0.5:
        switch = rng.random() < 0.1  # sometimes a closer in the other language (mixed text)
        parts.append(rng.choice(CLOSERS[(ZH_HANS if base == EN else EN) if switch else base]))
    sep = " " if base == EN else rng.choice(("", "", " ", "\n"))
    text = sep.join(parts)
    if base == EN:
        text = _typos(rng, text)
    if lang == ZH_HANT:
        text = to_traditional(text, regional=rng.random() < 0.6)
    return Example(text, family.label, lang, family.key, "generated")


def generate(per_family: int = 16, seed: int = 0) -> list[Example]:
    """``per_family`` generated complaints for every template family (deterministic)."""
    rng = random.Random(seed)
    return [render(f, rng) for f in load_families() for _ in range(per_family)]


def base_set(per_family: int = 16, seed: int = 0) -> list[Example]:
    """The full labelled set: generated plus hand-written examples."""
    return generate(per_family, seed) + list(load_handwritten())


def split_by_family(
    examples: Sequence[Example], test_share: float = 0.3, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """(train, held-out): about ``test_share`` of each label's families are held out whole.

    Every label keeps at least one family on each side (when it has two or more).
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        if ex.family not in by_label[ex.label]:
            by_label[ex.label].append(ex.family)
    rng = random.Random(seed)
    held: set[str] = set()
    for label in sorted(by_label):
        for source in ("generated", "handwritten"):
            hand = source != "generated"
            fams = sorted(f for f in by_label[label] if f.startswith("hw#") == hand)
            if len(fams) < 2:
                continue
            k = min(len(fams) - 1, max(1, round(len(fams) * test_share)))
            held.update(rng.sample(fams, k))
    train = [ex for ex in examples if ex.family not in held]
    test = [ex for ex in examples if ex.family in held]
    return train, test


def labels_of(examples: Iterable[Example]) -> list[str]:
    """The sorted distinct labels in ``examples``."""
    return sorted({ex.label for ex in examples})
