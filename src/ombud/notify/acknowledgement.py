"""The acknowledgement of a new complaint, in the customer's language (regulation AK-1)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ombud.common.errors import Invalid


@dataclass(frozen=True)
class AckFacts:
    """What an acknowledgement must state."""

    reference: str
    received_at: dt.datetime
    due_at: dt.datetime
    timeframe: str
    handler: str
    handler_email: str
    handler_phone: str
    follow_url: str
    summary: str
    complaint_copy: str = ""
    desired_outcome: str = ""  # the remedy sought (IN-3); asked for when empty


_CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "subject": "We have received your complaint {reference}",
        "body": (
            "Thank you for contacting us. Your complaint has been registered.\n\n"
            "Reference: {reference}\n"
            "Received: {received}\n"
            "Handled by: {handler} ({handler_email}, {handler_phone})\n\n"
            "What happens next: we check that we have everything we need, look into what "
            "happened using our records, and write to you with our decision and its reasons.\n"
            "Our published timeframe is {timeframe}; you will have our answer by {due} at the "
            "latest, or a letter explaining the delay and the new date.\n"
            "Follow your case at any time: {follow_url}\n\n"
            "Your complaint: {summary}\n{outcome}{copy}"
        ),
        "outcome": "The outcome you asked for: {text}\n",
        "ask": ("\nWhat would you like us to do to put this right - for example a refund, a "
                "correction to your account, or an explanation? Please reply to this message "
                "and tell us.\n"),
        "copy": "\nCopy of your complaint as filed:\n{text}\n",
        "calendar": "{n} calendar days",
        "business": "{n} business days",
    },
    "zh-Hans": {
        "subject": "我们已收到您的投诉 {reference}",
        "body": (
            "感谢您联系我们。您的投诉已登记。\n\n"
            "投诉编号：{reference}\n"
            "收到时间：{received}\n"
            "处理部门：{handler}（{handler_email}，{handler_phone}）\n\n"
            "后续步骤：我们将核实资料是否齐全，根据我们的记录调查事情经过，并以书面形式告知您"
            "处理决定及理由。\n"
            "我们公布的处理时限为{timeframe}；最迟将于 {due} 前答复您，"
            "如有延误，我们会说明原因并告知新的日期。\n"
            "您可随时查看案件进度：{follow_url}\n\n"
            "您的投诉：{summary}\n{outcome}{copy}"
        ),
        "outcome": "您希望的处理结果：{text}\n",
        "ask": ("\n您希望我们如何解决？例如退款、更正您的账户或作出解释。"
                "请直接回复本消息告诉我们。\n"),
        "copy": "\n您提交的投诉副本：\n{text}\n",
        "calendar": "{n}个自然日",
        "business": "{n}个工作日",
    },
    "zh-Hant": {
        "subject": "我們已收到您的投訴 {reference}",
        "body": (
            "感謝您聯絡我們。您的投訴已登記。\n\n"
            "投訴編號：{reference}\n"
            "收到時間：{received}\n"
            "處理部門：{handler}（{handler_email}，{handler_phone}）\n\n"
            "後續步驟：我們將核實資料是否齊全，根據我們的紀錄調查事情經過，並以書面形式告知您"
            "處理決定及理由。\n"
            "我們公布的處理時限為{timeframe}；最遲將於 {due} 前答覆您，"
            "如有延誤，我們會說明原因並告知新的日期。\n"
            "您可隨時查看案件進度：{follow_url}\n\n"
            "您的投訴：{summary}\n{outcome}{copy}"
        ),
        "outcome": "您希望的處理結果：{text}\n",
        "ask": ("\n您希望我們如何解決？例如退款、更正您的帳戶或作出解釋。"
                "請直接回覆本訊息告訴我們。\n"),
        "copy": "\n您提交的投訴副本：\n{text}\n",
        "calendar": "{n}個曆日",
        "business": "{n}個工作天",
    },
}
LANGUAGES = tuple(_CATALOGUE)
_DAYS = re.compile(r"^\s*(\d+)\s+(calendar|business)\s+days?\s*$", re.I)


def _timeframe(texts: dict[str, str], timeframe: str) -> str:
    """The published timeframe in the letter's language when it is a count of days."""
    days = _DAYS.match(timeframe)
    return texts[days.group(2).lower()].format(n=days.group(1)) if days else timeframe


def compose(language: str, facts: AckFacts) -> tuple[str, str]:
    """Subject and body of the acknowledgement; refuses when a required element is missing.
    It repeats the outcome the customer asked for, or asks for it when they did not say."""
    missing = [
        name for name in ("reference", "handler", "handler_email", "handler_phone", "timeframe")
        if not str(getattr(facts, name)).strip()
    ]
    if missing:
        raise Invalid(f"an acknowledgement must state: {', '.join(missing)}")
    texts = _CATALOGUE.get(language, _CATALOGUE["en"])
    fmt = "%Y-%m-%d %H:%M UTC"
    copy = texts["copy"].format(text=facts.complaint_copy) if facts.complaint_copy else ""
    wanted = facts.desired_outcome.strip()
    outcome = texts["outcome"].format(text=wanted) if wanted else texts["ask"]
    body = texts["body"].format(
        reference=facts.reference, received=facts.received_at.strftime(fmt),
        due=facts.due_at.strftime("%Y-%m-%d"), timeframe=_timeframe(texts, facts.timeframe),
        handler=facts.handler, handler_email=facts.handler_email,
        handler_phone=facts.handler_phone, follow_url=facts.follow_url,
        summary=facts.summary, outcome=outcome, copy=copy,
    )
    return texts["subject"].format(reference=facts.reference), body
