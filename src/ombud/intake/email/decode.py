"""Charset handling for mail as it is really sent: declared, mis-declared or undeclared."""

from __future__ import annotations

import codecs
from email.header import decode_header

#: Declared names that mean a narrower charset than the sender really used.
_WIDER = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "iso-8859-1": "windows-1252", "latin1": "windows-1252", "latin-1": "windows-1252",
    "us-ascii": "windows-1252", "ascii": "windows-1252", "iso-8859-11": "cp874",
    "shift_jis": "cp932", "x-sjis": "cp932", "iso-2022-jp": "iso-2022-jp-ext",
    "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
}
_LATIN = {"cp1252"}


def charset_for(declared: str | None) -> str | None:
    """The Python codec to use for a declared charset; None when unknown or undeclared."""
    if not declared:
        return None
    name = declared.strip().strip('"').lower()
    name = _WIDER.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """Text of ``data`` and the codec used. Never raises: undecodable bytes become U+FFFD.

    A declared Latin charset on bytes that are valid UTF-8 is taken as UTF-8 (a common
    mislabel); undeclared bytes are tried as UTF-8, then GB18030, then windows-1252.
    """
    codec = charset_for(declared)
    if codec is None or codec in _LATIN:
        if _is_utf8(data):
            return data.decode("utf-8"), "utf-8"
        if codec is None:
            for guess in ("gb18030", "big5hkscs"):
                if _strict(data, guess) and _mostly_cjk(data.decode(guess)):
                    return data.decode(guess), guess
            codec = "cp1252"
    return data.decode(codec, errors="replace"), codec


def _is_utf8(data: bytes) -> bool:
    return _strict(data, "utf-8")


def _strict(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _mostly_cjk(text: str) -> bool:
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return False
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return cjk / len(wide) > 0.8


def decode_header_value(raw: str, fallback: str | None = None) -> str:
    """A header value with RFC 2047 words decoded through ``charset_for`` (GB2312 as GB18030),
    raw 8-bit bytes decoded by guess, and line folding undone. Never raises."""
    raw = raw.replace("\r", "").replace("\n", "")
    if any("\udc80" <= c <= "\udcff" for c in raw):  # raw 8-bit bytes kept by the parser
        raw = decode_bytes(raw.encode("ascii", "surrogateescape"), fallback)[0]
    try:
        words = decode_header(raw)
    except Exception:  # a broken encoded word leaves the text as sent
        return raw.strip()
    out: list[str] = []
    for value, charset in words:
        if isinstance(value, str):
            out.append(value)
        else:
            out.append(decode_bytes(value, charset or fallback)[0])
    text = "".join(out)
    return " ".join(text.split())
