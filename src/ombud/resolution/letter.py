"""The decision letter, in the customer's language, from the structured decision (pure).

Regulation DC-1 (every point answered with a finding and a reason, else no letter), DC-3
(escalation routes per jurisdiction, see :mod:`ombud.resolution.escalation`) and DC-4 (the
customer's language: en, zh-Hans, zh-Hant; anything else gets English). Amounts are printed
from their Decimal exactly, with the asset; never through float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ombud.common.errors import Invalid
from ombud.resolution.escalation import EscalationConfig, render, routes
from ombud.resolution.policy import MONETARY, RemedyKind

OUTCOMES = ("upheld", "partly_upheld", "rejected")


@dataclass(frozen=True)
class LetterPoint:
    """One point the customer raised, and how the decision answers it."""

    point: str
    upheld: bool
    finding: str | None
    reason: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterRemedy:
    """One remedy granted, with the policy clause that gave it."""

    kind: str
    clause_id: str
    clause_title: str
    asset: str | None
    amount: Decimal | None
    note: str = ""


@dataclass(frozen=True)
class LetterFacts:
    """Everything the letter states; ``revision`` > 1 marks a decision after re-review."""

    reference: str
    customer_name: str
    received_at: datetime
    decided_at: datetime
    outcome: str
    summary: str
    points: tuple[LetterPoint, ...]
    remedies: tuple[LetterRemedy, ...]
    policy_version: int
    respond_by: datetime
    respond_url: str
    jurisdiction: str
    revision: int = 1
    reviewed_note: str = ""


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

_CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Our decision on your complaint {reference}",
        "subject_review": "Our decision after re-reviewing your complaint {reference}",
        "greeting": "Dear {name},",
        "greeting_anonymous": "Dear customer,",
        "opening": "We have finished looking into your complaint {reference}, received on "
                   "{received}.",
        "review": "You objected to our earlier decision, so a colleague who took no part in it "
                  "has re-reviewed your case. This letter replaces our earlier decision.",
        "review_note": "About the re-review: {note}",
        "decision": "Our decision ({decided}): {outcome}",
        "upheld": "We uphold your complaint.",
        "partly_upheld": "We uphold your complaint in part.",
        "rejected": "We do not uphold your complaint.",
        "points": "Your points and our findings",
        "finding": "Our finding: {finding}",
        "point_upheld": "Upheld. Reason: {reason}",
        "point_rejected": "Not upheld. Reason: {reason}",
        "evidence": "Evidence relied on: {items}",
        "list_sep": "; ",
        "remedies": "What we will do (under our remedy policy, version {version})",
        "no_remedies": "This decision does not include a remedy.",
        "remedy": "- {kind}{amount}, under clause {clause}.{note}",
        "amount": ": {amount} {asset}",
        "clause_title": "{clause_id} \u201c{title}\u201d",
        RemedyKind.FEE_REFUND: "Refund of fees",
        RemedyKind.COMPENSATION: "Compensation",
        RemedyKind.GOODWILL: "Goodwill payment",
        RemedyKind.UNFREEZE: "Lifting the freeze on your account",
        RemedyKind.GUIDANCE: "Guidance on using our services",
        RemedyKind.EXPLANATION: "An explanation of the rules that apply",
        "respond": "Accepting or objecting",
        "respond_body": (
            "Please tell us by {respond_by} whether you accept this decision: {url}. You can "
            "also reply to this message. If you object, tell us why and send any new "
            "evidence; a colleague who took no part in this decision will review it again."
        ),
        "note_sep": " ",
        "closing": "Yours sincerely,\nThe complaints team",
    },
    "zh-Hans": {
        "subject": "关于您的投诉 {reference} 的处理决定",
        "subject_review": "关于您的投诉 {reference} 的复核决定",
        "greeting": "尊敬的{name}：",
        "greeting_anonymous": "尊敬的客户：",
        "opening": "我们已完成对您于 {received} 提交的投诉（编号 {reference}）的调查。",
        "review": "由于您对我们此前的决定提出了异议，未参与原决定的同事已重新审查您的案件。"
                  "本函取代此前的决定。",
        "review_note": "复核说明：{note}",
        "decision": "处理决定（{decided}）：{outcome}",
        "upheld": "我们认为您的投诉成立。",
        "partly_upheld": "我们认为您的投诉部分成立。",
        "rejected": "我们认为您的投诉不成立。",
        "points": "您提出的问题及我们的调查结论",
        "finding": "调查结论：{finding}",
        "point_upheld": "认定：成立。理由：{reason}",
        "point_rejected": "认定：不成立。理由：{reason}",
        "evidence": "所依据的证据：{items}",
        "list_sep": "；",
        "remedies": "我们将采取的措施（依据我们的补救措施规则第 {version} 版）",
        "no_remedies": "本决定不包含补救措施。",
        "remedy": "- {kind}{amount}，依据条款 {clause}。{note}",
        "amount": "：{amount} {asset}",
        "clause_title": "{clause_id}\u201c{title}\u201d",
        RemedyKind.FEE_REFUND: "退还手续费",
        RemedyKind.COMPENSATION: "赔偿",
        RemedyKind.GOODWILL: "善意补偿",
        RemedyKind.UNFREEZE: "解除账户冻结",
        RemedyKind.GUIDANCE: "提供服务使用指导",
        RemedyKind.EXPLANATION: "说明适用的规则",
        "respond": "接受或提出异议",
        "respond_body": (
            "请于 {respond_by} 前告知我们您是否接受本决定：{url}。您也可以直接回复本消息。"
            "如您不同意，请说明理由并提交任何新的证据，我们将安排未参与本决定的同事重新审查。"
        ),
        "note_sep": "",
        "closing": "此致\n敬礼\n\n投诉处理团队",
    },
    "zh-Hant": {
        "subject": "關於您的投訴 {reference} 的處理決定",
        "subject_review": "關於您的投訴 {reference} 的覆核決定",
        "greeting": "尊敬的{name}：",
        "greeting_anonymous": "尊敬的客戶：",
        "opening": "我們已完成對您於 {received} 提交的投訴（編號 {reference}）的調查。",
        "review": "由於您對我們此前的決定提出了異議，未參與原決定的同事已重新審查您的個案。"
                  "本函取代此前的決定。",
        "review_note": "覆核說明：{note}",
        "decision": "處理決定（{decided}）：{outcome}",
        "upheld": "我們認為您的投訴成立。",
        "partly_upheld": "我們認為您的投訴部分成立。",
        "rejected": "我們認為您的投訴不成立。",
        "points": "您提出的問題及我們的調查結論",
        "finding": "調查結論：{finding}",
        "point_upheld": "認定：成立。理由：{reason}",
        "point_rejected": "認定：不成立。理由：{reason}",
        "evidence": "所依據的證據：{items}",
        "list_sep": "；",
        "remedies": "我們將採取的措施（依據我們的補救措施規則第 {version} 版）",
        "no_remedies": "本決定不包含補救措施。",
        "remedy": "- {kind}{amount}，依據條款 {clause}。{note}",
        "amount": "：{amount} {asset}",
        "clause_title": "{clause_id}「{title}」",
        RemedyKind.FEE_REFUND: "退還手續費",
        RemedyKind.COMPENSATION: "賠償",
        RemedyKind.GOODWILL: "善意補償",
        RemedyKind.UNFREEZE: "解除帳戶凍結",
        RemedyKind.GUIDANCE: "提供服務使用指引",
        RemedyKind.EXPLANATION: "說明適用的規則",
        "respond": "接受或提出異議",
        "respond_body": (
            "請於 {respond_by} 前告知我們您是否接受本決定：{url}。您亦可直接回覆本訊息。"
            "如您不同意，請說明理由並提交任何新的證據，我們將安排未參與本決定的同事重新審查。"
        ),
        "note_sep": "",
        "closing": "此致\n敬禮\n\n投訴處理團隊",
    },
}
LANGUAGES = tuple(_CATALOGUE)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _remedy_problems(index: int, remedy: LetterRemedy) -> list[str]:
    label = f"remedy {index} ({remedy.kind or '?'})"
    problems: list[str] = []
    if _blank(remedy.clause_id):
        problems.append(f"{label}: no policy clause cited")
    if remedy.kind not in {kind.value for kind in RemedyKind}:
        problems.append(f"{label}: unknown remedy kind")
    elif remedy.kind in MONETARY:
        if remedy.amount is None or _blank(remedy.asset):
            problems.append(f"{label}: a money remedy needs an amount and an asset")
        elif not remedy.amount.is_finite() or remedy.amount <= 0:
            problems.append(f"{label}: amount {remedy.amount} is not a positive amount")
    elif remedy.amount is not None:
        problems.append(f"{label}: this kind of remedy carries no amount")
    return problems


def missing(facts: LetterFacts) -> list[str]:
    """Why the letter cannot be sent yet (empty when it can); DC-1 problems name the point."""
    problems: list[str] = []
    if _blank(facts.reference):
        problems.append("the case reference is missing")
    if facts.outcome not in OUTCOMES:
        problems.append(f"outcome {facts.outcome!r} is not one of {', '.join(OUTCOMES)}")
    if not facts.points:
        problems.append("the decision lists none of the complaint's points")
    for index, point in enumerate(facts.points, start=1):
        label = f"point {index} ({point.point.strip()!r})"
        if _blank(point.point):
            problems.append(f"point {index}: the customer's point is empty")
        if _blank(point.finding):
            problems.append(f"{label}: no finding answers it")
        if _blank(point.reason):
            problems.append(f"{label}: no reason is given")
        if facts.outcome == "upheld" and not point.upheld:
            problems.append(f"{label}: not upheld, yet the outcome is 'upheld'")
    for index, remedy in enumerate(facts.remedies, start=1):
        problems += _remedy_problems(index, remedy)
    if _blank(facts.respond_url):
        problems.append("the page where the customer accepts or objects is missing")
    if facts.respond_by <= facts.decided_at:
        problems.append("the deadline to accept or object is not after the decision")
    if facts.decided_at < facts.received_at:
        problems.append("the decision is dated before the complaint was received")
    if facts.revision < 1:
        problems.append(f"revision {facts.revision} is not a positive number")
    return problems


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _date(language: str, when: datetime, *, with_time: bool = False) -> str:
    moment = _utc(when)
    if language in ("zh-Hans", "zh-Hant"):
        text, sep = f"{moment.year}年{moment.month}月{moment.day}日", " "
    else:
        text, sep = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}", ", "
    return f"{text}{sep}{moment:%H:%M} UTC" if with_time else text


def amount_text(amount: Decimal) -> str:
    """The Decimal's own digits in fixed-point notation (``1E-8`` → ``0.00000001``)."""
    return format(amount, "f")


def _points(texts: dict[str, str], points: tuple[LetterPoint, ...]) -> list[str]:
    lines = [texts["points"]]
    for index, point in enumerate(points, start=1):
        verdict = texts["point_upheld" if point.upheld else "point_rejected"]
        lines += [
            f"{index}. {point.point.strip()}",
            "   " + texts["finding"].format(finding=(point.finding or "").strip()),
            "   " + verdict.format(reason=point.reason.strip()),
        ]
        if point.evidence:
            items = texts["list_sep"].join(point.evidence)
            lines.append("   " + texts["evidence"].format(items=items))
    return lines


def _remedies(texts: dict[str, str], facts: LetterFacts) -> list[str]:
    if not facts.remedies:
        return [texts["no_remedies"]]
    lines = [texts["remedies"].format(version=facts.policy_version)]
    for remedy in facts.remedies:
        amount = (
            texts["amount"].format(amount=amount_text(remedy.amount), asset=remedy.asset)
            if remedy.amount is not None else ""
        )
        clause = (
            texts["clause_title"].format(clause_id=remedy.clause_id, title=remedy.clause_title)
            if remedy.clause_title.strip() else remedy.clause_id
        )
        note = texts["note_sep"] + remedy.note.strip() if remedy.note.strip() else ""
        lines.append(texts["remedy"].format(
            kind=texts[remedy.kind], amount=amount, clause=clause, note=note,
        ))
    return lines


def compose(
    language: str, facts: LetterFacts, config: EscalationConfig | None = None
) -> tuple[str, str]:
    """Subject and plain-text body of the decision letter in ``language`` (unknown → en).

    Raises :class:`Invalid` listing everything :func:`missing` finds, e.g. a point without a
    finding or a reason (DC-1), named. ``config`` sets the escalation details (DC-3).
    """
    problems = missing(facts)
    if problems:
        about_points = any(problem.startswith("point") for problem in problems)
        raise Invalid("the decision letter cannot be sent: " + "; ".join(problems),
                      pointer="points" if about_points else None)
    language = language if language in _CATALOGUE else "en"
    texts = _CATALOGUE[language]
    respond_by = _date(language, facts.respond_by, with_time=True)
    reviewed = facts.revision > 1
    name = facts.customer_name.strip()
    head = [texts["greeting"].format(name=name) if name else texts["greeting_anonymous"], ""]
    head.append(texts["opening"].format(
        reference=facts.reference, received=_date(language, facts.received_at)))
    if reviewed:
        head.append(texts["review"])
        if facts.reviewed_note.strip():
            head.append(texts["review_note"].format(note=facts.reviewed_note.strip()))
    decision = [texts["decision"].format(
        decided=_date(language, facts.decided_at), outcome=texts[facts.outcome])]
    if facts.summary.strip():
        decision.append(facts.summary.strip())
    respond = [texts["respond"],
               texts["respond_body"].format(respond_by=respond_by, url=facts.respond_url)]
    config = config or EscalationConfig()
    found = routes(facts.jurisdiction, fully_upheld=facts.outcome == "upheld", config=config)
    escalation = render(language, found, config=config,
                        letter_date=_date(language, facts.decided_at), respond_by=respond_by)
    sections = [head, decision, _points(texts, facts.points), _remedies(texts, facts), respond]
    if escalation:
        sections.append([escalation])
    sections.append([texts["closing"]])
    body = "\n\n".join("\n".join(section) for section in sections) + "\n"
    subject = texts["subject_review" if reviewed else "subject"].format(reference=facts.reference)
    return subject, body
