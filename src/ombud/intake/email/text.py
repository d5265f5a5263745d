"""Text of a mail for the timeline: HTML sanitised and flattened, quoted history folded away."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "pre", "hr", "section", "article", "header", "footer", "blockquote", "dd", "dt",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
#: Containers mail clients put the quoted history in.
_QUOTE_MARKERS = ("gmail_quote", "divrplyfwdmsg", "moz-cite-prefix", "yahoo_quoted",
                  "ms-outlook-quote", "qmail_quote")


def sanitise_html(html: str) -> str:
    """HTML safe to show in the console: no scripts, handlers, styles or remote forms."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


class _Flattener(HTMLParser):
    """HTML to plain text; blockquotes and quote containers come out as '> ' lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip = 0
        self.quote = 0
        self.stack: list[bool] = []  # per open element: did it start a quote?

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        marker = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
        quoting = tag == "blockquote" or any(m in marker for m in _QUOTE_MARKERS)
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append(quoting)
        if quoting:
            self.quote += 1
        if tag in _BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip:
            self.skip -= 1
        void = tag in ("br", "hr", "img", "meta", "link", "input")
        if not void and self.stack and self.stack.pop():
            self.quote -= 1
        if tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"\s+", " ", data)
        if not text.strip():
            if self.lines[-1]:
                self.lines[-1] += " "
            return
        if not self.lines[-1] and self.quote:
            self.lines[-1] = "> " * self.quote
        self.lines[-1] += text


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body, quotes marked with '> '."""
    parser = _Flattener()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; never lose the text
        return re.sub(r"<[^>]+>", " ", html)
    lines = [line.strip() for line in parser.lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_HISTORY = [
    re.compile(r"^\s*on\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*(original message|原始邮件|原始郵件|邮件原件)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*在.{0,200}写道\s*[:：]\s*$"),
    re.compile(r"^\s*\d{4}年.{0,200}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*_{8,}\s*$"),  # Outlook's rule above "From: ... Sent: ..."
]
_HEADER_BLOCK = re.compile(r"^\s*\*?(from|发件人|發件人|寄件者)\s*\*?\s*[:：]", re.I)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|发送时间|發送時間|寄件日期|日期|时间|to|收件人|subject|主题)\s*\*?\s*[:：]",
    re.I)
_FORWARD = re.compile(r"^\s*-{2,}\s*(forwarded message|转发的邮件|轉寄郵件|begin forwarded)", re.I)


def fold_quotes(text: str) -> tuple[str, str]:
    """Split ``text`` into (new text, folded history).

    History starts at "On ... wrote:", "-----Original Message-----", an Outlook or Chinese
    client header block ("From:/发件人:" followed by "Sent:/发送时间:"), or a run of '> '
    lines; a forwarded message is content, not history, and is kept.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    kept, folded = lines[:cut], lines[cut:]
    body = [line for line in kept if not line.lstrip().startswith(">")]
    quoted = [line for line in kept if line.lstrip().startswith(">")]
    new = "\n".join(body).strip()
    if not new and (quoted or folded):  # only quotes: keep them rather than lose the text
        return "\n".join(kept + folded).strip(), ""
    return new, "\n".join(quoted + folded).strip()


def _history_start(lines: list[str]) -> int:
    forwarded = False
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            forwarded = True
        if forwarded:
            continue
        if any(p.match(line) for p in _HISTORY):
            if i and re.match(r"^\s*on\b", lines[i - 1], re.I) and "wrote" not in lines[i - 1]:
                return i - 1
            return i
        if _HEADER_BLOCK.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1:i + 4]):
            return i
        if re.match(r"^\s*wrote:\s*$", line, re.I) and i and re.match(r"^\s*on\b", lines[i - 1],
                                                                      re.I):
            return i - 1
    return len(lines)
