"""Completeness: the facts an investigation needs per category, extracted from free text in
English or Chinese, and the specific questions for what is missing (pure).

Entry points: :func:`extract` (facts from text) and :func:`check` (what to ask). Questions are
in the customer's language (en, zh-Hans, zh-Hant; catalogue in data/questions.json). Nothing
the exchange already holds is asked (regulation.md DC-5): :class:`Holdings` says what the
exchange gateway can supply for this customer, and each fact not asked for that reason comes
back in ``not_asked`` with the reason, for the handler to see.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources

from ombud.cases.taxonomy import Category
from ombud.triage.classifier_text import EN, ZH_HANS, ZH_HANT, clip, detect_language, to_traditional


class Fact(StrEnum):
    """A fact an investigation may need."""

    ORDER_ID = "order_id"
    PAIR = "pair"
    SIDE = "side"
    TIME = "time"
    TXID = "txid"
    NETWORK = "network"
    ADDRESS = "address"
    AMOUNT = "amount"
    IDENTIFY_TRANSFER = "identify_transfer"
    LOSS = "loss"
    INSTRUMENT = "instrument"
    REJECTED_ITEM = "rejected_item"
    API_DETAIL = "api_detail"
    FEE_REF = "fee_ref"


@dataclass(frozen=True)
class Amount:
    """An amount of an asset mentioned in the text."""

    value: Decimal
    asset: str


@dataclass(frozen=True)
class Facts:
    """What :func:`extract` found, each as it appears in the text (normalised)."""

    order_ids: tuple[str, ...] = ()
    txids: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    assets: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    direction: str | None = None  # deposit | withdrawal | None
    loss_stated: bool = False
    no_loss_stated: bool = False


@dataclass(frozen=True)
class Holdings:
    """What the exchange gateway can supply for this customer (DC-5: never ask for it)."""

    orders: bool = False  # order and fill history: an order is found from pair + time
    transfers: bool = False  # deposit and withdrawal records: txid, network, address, amount
    positions: bool = False  # derivatives positions and liquidation records
    logins: bool = False  # login history: devices, IP addresses, locations
    kyc_decisions: bool = False  # the KYC vendor's decisions and rejection reasons


@dataclass(frozen=True)
class Question:
    """One question to the customer, in their language."""

    fact: Fact
    text: str


@dataclass(frozen=True)
class NotAsked:
    """A fact deliberately not asked for, and why (shown to the handler)."""

    fact: str
    reason: str


@dataclass(frozen=True)
class Completeness:
    """The outcome of :func:`check`: complete, or the questions that would make it so."""

    category: Category
    language: str
    facts: Facts
    questions: tuple[Question, ...]
    not_asked: tuple[NotAsked, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """True when nothing needs to be asked."""
        return not self.questions


# --- extraction --------------------------------------------------------------------------

ASSET_NAMES = {
    "比特币": "BTC", "比特幣": "BTC", "以太坊": "ETH", "以太币": "ETH", "以太幣": "ETH",
    "泰达币": "USDT", "泰達幣": "USDT", "狗狗币": "DOGE", "狗狗幣": "DOGE", "瑞波币": "XRP",
    "瑞波幣": "XRP", "莱特币": "LTC", "萊特幣": "LTC", "波场币": "TRX", "波場幣": "TRX",
    "u": "USDT", "刀": "USD", "美元": "USD", "美金": "USD", "欧元": "EUR", "歐元": "EUR",
    "bitcoin": "BTC", "ether": "ETH", "dollars": "USD", "dollar": "USD", "usd": "USD",
}
_SYMBOLS = ("BTC|ETH|USDT|USDC|SOL|XRP|DOGE|TRX|LTC|BNB|OKB|ADA|TON|DOT|AVAX|LINK|MATIC|"
            "ATOM|PEPE|SHIB|ARB|OP|EUR|GBP|HKD|USD")
_ASSET = rf"(?:{_SYMBOLS}|{'|'.join(sorted(ASSET_NAMES, key=len, reverse=True))})"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(rf"(?<![\d.,A-Za-z])(?:\$\s?(?P<usd>{_NUM})|(?P<n>{_NUM})\s?(?:个|個|枚)?\s?"
                     rf"(?P<a>{_ASSET})(?![a-z]))", re.I | re.A)
_PAIR = re.compile(rf"\b(?P<b>{_SYMBOLS})[-/_]?(?P<q>USDT|USDC|USD|BTC|ETH|EUR)"
                   r"(?P<s>[-_](?:SWAP|PERP|\d{6}))?(?![A-Za-z])", re.I | re.A)
_PERP = re.compile(rf"\b(?:{_SYMBOLS})\b\s*(?:perpetual|perp|futures?|永续|永續|合约|合約)",
                   re.I | re.A)
_TXID = re.compile(r"(?<![0-9a-fA-Fx])(?:0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_ADDRESS = re.compile(r"(?<![0-9A-Za-z])(?:0x[0-9a-fA-F]{40}(?![0-9a-fA-F])|T[1-9A-HJ-NP-Za-km-z]"
                      r"{33}|bc1[02-9ac-hj-np-z]{25,59}|[13][1-9A-HJ-NP-Za-km-z]{25,34})(?![0-9A-Za-z])")
_ORDER = re.compile(r"(?:order|ord|订单|訂單|委托|委託)\s*(?:id|no\.?|number|号|號|编号|編號)?"
                    r"\s*[:#：]?\s*(?P<id>[0-9]{6,20}|[0-9a-f]{8}-[0-9a-f-]{27,})", re.I | re.A)
_NETWORK = re.compile(r"\b(TRC-?20|ERC-?20|BEP-?20|BEP-?2|SPL|Omni|Polygon|Arbitrum(?: One)?|"
                      r"Optimism|Solana|Tron|BSC|Lightning|Base|Avalanche(?: C-Chain)?|Ethereum"
                      r"(?: mainnet)?)\b|(波场|波場|以太坊主网|币安智能链|幣安智能鏈)", re.I | re.A)
_SIDE = re.compile(r"\b(buy|bought|sell|sold|long|short)\b|(买入|卖出|買入|賣出|做多|做空|开多|"
                   r"开空|開多|開空|多单|空单|多單|空單)", re.I | re.A)
_TIME = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?|\b\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s?(?:am|pm|utc|UTC))?|\b\d{1,2}\s?(?:am|pm)\b|\b(?:yesterday|today|tonight|"
    r"this morning|this afternoon|last night|(?:on )?(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"\d+\s(?:minutes?|hours?|days?) ago)\b|\b\d{1,2}\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
    r"oct|nov|dec)[a-z]*\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s\d{1,2}"
    r"\b|\d{1,2}月\d{1,2}[日号號]|昨天|今天|前天|昨晚|今晚|今早|早上|上午|下午|晚上|凌晨|刚才|剛才"
    r"|\d+\s?(?:分钟|分鐘|小时|小時|天)前|(?:周|週|星期)[一二三四五六日天]|\d{1,2}[点點]",
    re.I | re.A)
_ENDPOINT = re.compile(r"(?:GET|POST|PUT|DELETE)?\s?(/(?:api|fapi|sapi|ws|v\d)[\w/.-]*)",
                       re.I | re.A)
_CODE = re.compile(r"(?:error|code|err|错误码|錯誤碼|错误|錯誤|返回|returns?)\D{0,12}?(-?\d{3,5})"
                   r"|\b(4\d\d|5\d\d)\b(?=\s?(?:error|too many|internal|错误|錯誤|服务器|伺服器))",
                   re.I | re.A)
_DOCUMENT = re.compile(r"passport|id card|identity card|driv(?:ing|er'?s) licen[cs]e|selfie|"
                       r"proof of address|residence permit|utility bill|bank statement|face|"
                       r"liveness|护照|護照|身份证|身分證|身份證|驾照|駕照|自拍|人脸|人臉|地址证明|"
                       r"地址證明|居住证|居住證|活体|活體", re.I | re.A)
_DEPOSIT = re.compile(r"deposit|top.?up|充值|充币|充幣|入金|儲值|充了|充错|充錯|充到", re.I | re.A)
_WITHDRAW = re.compile(r"withdr[ae]w|提现|提現|提币|提幣|出金|提领|提領|提款", re.I | re.A)
_LOSS = re.compile(r"everything|all (?:my|of my|the) (?:funds|money|coins|assets|balance|crypto)|"
                   r"emptied|drained|全部|所有|清空|全没了|全沒了|偷光|盗光|盜光", re.I | re.A)
_ASSET_WORD = re.compile(rf"(?<![A-Za-z])(?:{_SYMBOLS}|比特币|比特幣|以太坊|泰达币|泰達幣)"
                         r"(?![A-Za-z])")
_NO_LOSS = re.compile(r"nothing (?:is )?missing|no funds? (?:were |was )?(?:lost|missing)|"
                      r"资产暂时没少|資產暫時沒少|没有损失|沒有損失|没少|沒少", re.I | re.A)


def _uniq(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def extract(text: str) -> Facts:
    """The facts stated in ``text`` (English or Chinese), never raising."""
    text = clip(text)[0]
    amounts: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        raw, asset = (m["usd"], "USD") if m["usd"] else (m["n"], m["a"])
        value = _decimal(raw)
        if value is not None:
            amounts.append(Amount(value, ASSET_NAMES.get(asset.lower(), asset.upper())))
    txids = _uniq([m.group(0).lower() for m in _TXID.finditer(text)])
    pairs = [f"{m['b']}-{m['q']}{m['s'] or ''}".upper().replace("_", "-")
             for m in _PAIR.finditer(text)]
    pairs += [m.group(0).upper() for m in _PERP.finditer(text)]
    direction = None
    if _WITHDRAW.search(text):
        direction = "withdrawal"
    elif _DEPOSIT.search(text):
        direction = "deposit"
    return Facts(
        order_ids=_uniq([m["id"] for m in _ORDER.finditer(text)]),
        txids=txids,
        addresses=_uniq([m.group(0) for m in _ADDRESS.finditer(text)
                         if m.group(0).lower() not in txids]),
        pairs=_uniq(pairs),
        sides=_uniq([m.group(0).lower() for m in _SIDE.finditer(text)]),
        amounts=tuple(dict.fromkeys(amounts)),
        assets=_uniq([a.asset for a in amounts] + [ASSET_NAMES.get(m.group(0), m.group(0))
                                                   for m in _ASSET_WORD.finditer(text)]),
        times=_uniq([m.group(0).strip() for m in _TIME.finditer(text)]),
        networks=_uniq([m.group(0).upper().replace("-", "") for m in _NETWORK.finditer(text)]),
        endpoints=_uniq([m.group(1) for m in _ENDPOINT.finditer(text)]),
        error_codes=_uniq([m.group(1) or m.group(2) for m in _CODE.finditer(text)]),
        documents=_uniq([m.group(0).lower() for m in _DOCUMENT.finditer(text)]),
        direction=direction,
        loss_stated=bool(_LOSS.search(text)),
        no_loss_stated=bool(_NO_LOSS.search(text)),
    )


# --- what to ask -------------------------------------------------------------------------

_HELD = "the exchange holds it (DC-5)"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    raw = resources.files("ombud.triage").joinpath("data/questions.json").read_text("utf-8")
    table: dict[str, dict[str, str]] = json.loads(raw)
    for texts in table.values():
        texts[ZH_HANT] = to_traditional(texts[ZH_HANS])
    return table


def question(fact: Fact, language: str) -> Question:
    """The catalogue question for ``fact`` in ``language`` (English if not in the catalogue)."""
    texts = _catalogue()[fact.value]
    return Question(fact, texts.get(language, texts[EN]))


def _trade(f: Facts, h: Holdings, ask: list[Fact], skip: list[NotAsked]) -> None:
    if f.order_ids:
        return
    if h.orders:
        skip.append(NotAsked(Fact.ORDER_ID, "order ID: found from the pair and time in the "
                             "order history the exchange holds (DC-5)"))
        skip.append(NotAsked(Fact.SIDE, "side: in the order history, " + _HELD))
        ask += [x for x, have in ((Fact.PAIR, f.pairs), (Fact.TIME, f.times)) if not have]
    elif not (f.pairs or f.sides or f.times):
        ask.append(Fact.ORDER_ID)
    else:
        ask += [x for x, have in ((Fact.PAIR, f.pairs), (Fact.SIDE, f.sides),
                                  (Fact.TIME, f.times)) if not have]


def _transfer(f: Facts, h: Holdings, ask: list[Fact], skip: list[NotAsked]) -> None:
    have = {Fact.TXID: f.txids, Fact.NETWORK: f.networks, Fact.ADDRESS: f.addresses,
            Fact.AMOUNT: f.amounts}
    if h.transfers and f.direction == "withdrawal":
        for fact in (Fact.TXID, Fact.NETWORK, Fact.ADDRESS):
            skip.append(NotAsked(fact, f"{fact.value}: in the withdrawal record, " + _HELD))
        if not (f.amounts or f.times):
            ask.append(Fact.IDENTIFY_TRANSFER)
        return
    if h.transfers:
        skip.append(NotAsked(Fact.ADDRESS, "address: the deposit address is the exchange's own, "
                             "in its records (DC-5)"))
        have.pop(Fact.ADDRESS)
    ask += [fact for fact, found in have.items() if not found]


def _security(f: Facts, h: Holdings, sub: str | None, ask: list[Fact],
              skip: list[NotAsked]) -> None:
    if not f.times:
        ask.append(Fact.TIME)
    quiet = sub in ("abnormal_login", "phishing") or f.no_loss_stated
    if not (f.amounts or f.assets or f.loss_stated or quiet):
        ask.append(Fact.LOSS)
    if h.logins:
        skip.append(NotAsked("login_details", "devices and IP addresses: in the login history, "
                             + _HELD))


def _liquidation(f: Facts, h: Holdings, ask: list[Fact], skip: list[NotAsked]) -> None:
    missing = [x for x, have in ((Fact.INSTRUMENT, f.pairs), (Fact.TIME, f.times)) if not have]
    if h.positions and len(missing) == 1:
        skip.append(NotAsked(missing[0], f"{missing[0].value}: found in the position and "
                             "liquidation records the exchange holds (DC-5)"))
        return
    ask += missing


def _kyc(f: Facts, h: Holdings, ask: list[Fact], skip: list[NotAsked]) -> None:
    skip.append(NotAsked("kyc_profile", "identity details and documents already given: "
                         "the KYC profile, " + _HELD))
    if h.kyc_decisions:
        skip.append(NotAsked(Fact.REJECTED_ITEM, "rejection reason: in the KYC decision "
                             "record, " + _HELD))
    elif not f.documents:
        ask.append(Fact.REJECTED_ITEM)


def _fees(f: Facts, h: Holdings, ask: list[Fact], skip: list[NotAsked]) -> None:
    if f.order_ids or f.txids or (f.pairs and f.times):
        return
    if h.orders and (f.pairs or f.times):
        skip.append(NotAsked(Fact.FEE_REF, "the trade: found from the pair or time in the "
                             "order history the exchange holds (DC-5)"))
        return
    ask.append(Fact.FEE_REF)


def check(
    text: str,
    category: Category | str,
    holdings: Holdings = Holdings(),
    *,
    language: str | None = None,
    subcategory: str | None = None,
) -> Completeness:
    """What is missing from a complaint of ``category``, as questions in ``language``.

    ``language`` defaults to the language of the text. Questions are never asked for what
    ``holdings`` says the exchange can supply, nor for the KYC profile or trade history;
    those come back in ``not_asked``. Unknown categories are treated as ``other``.
    """
    try:
        cat = Category(category)
    except ValueError:
        cat = Category.OTHER
    facts = extract(text)
    lang = language if language in (EN, ZH_HANS, ZH_HANT) else detect_language(clip(text)[0])
    ask: list[Fact] = []
    skip: list[NotAsked] = []
    match cat:
        case Category.TRADE_DISPUTE:
            _trade(facts, holdings, ask, skip)
        case Category.DEPOSIT_WITHDRAWAL:
            _transfer(facts, holdings, ask, skip)
        case Category.ACCOUNT_SECURITY:
            _security(facts, holdings, subcategory, ask, skip)
        case Category.LIQUIDATION:
            _liquidation(facts, holdings, ask, skip)
        case Category.KYC:
            _kyc(facts, holdings, ask, skip)
        case Category.API:
            if not (facts.endpoints or facts.error_codes):
                ask.append(Fact.API_DETAIL)
        case Category.FEES:
            _fees(facts, holdings, ask, skip)
    if cat in (Category.TRADE_DISPUTE, Category.FEES, Category.LIQUIDATION):
        skip.append(NotAsked("trade_history", "trade and fill history: " + _HELD))
    return Completeness(cat, lang, facts, tuple(question(x, lang) for x in ask), tuple(skip))
