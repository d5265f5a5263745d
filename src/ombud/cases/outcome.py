"""The outcome a customer asks for, found in their own words (pure): the lines of a
complaint, or of a reply to the acknowledgement's question, that say what they want done."""

from __future__ import annotations

import re

_OUTCOME = re.compile(
    r"^\s*(i\s+(want|would like|'?d like|expect|request|demand|ask)|we\s+(want|would like|expect)"
    r"|please\s+(refund|return|restore|unfreeze|unlock|compensate|credit|reverse|cancel|"
    r"reimburse|release|reopen)|kindly\s+(refund|return|restore|compensate|credit)"
    r"|(a\s+)?(full\s+)?(refund|compensation|reimbursement)(\s+(please|of|for)\b|\W*$)"
    r"|(refund|return|restore|unfreeze|unlock|compensate|credit|reverse|reimburse|release)"
    r"\s+(the|my|me|it|all|this|that|\d)"
    r"|希望|要求|请求|請求|请退|請退|我想要|我要|退还|退還|赔偿|賠償|补偿|補償|解冻|解凍)", re.I)
MAX_CHARS = 5_000


def desired_outcome(text: str) -> str:
    """Up to three lines where the customer says what they want ("" when they do not)."""
    lines = [line.strip() for line in text.splitlines() if _OUTCOME.match(line)]
    return "\n".join(lines[:3])[:MAX_CHARS]
