"""TNEF (``winmail.dat``): Outlook's wrapper; read the attachments and plain body out of it."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SIGNATURE = 0x223E9F78
_LVL_MESSAGE, _LVL_ATTACHMENT = 1, 2
_ATT_BODY = 0x800C
_ATT_ATTACH_DATA = 0x800F
_ATT_ATTACH_TITLE = 0x8010
_ATT_ATTACH_REND_DATA = 0x9002
MAX_FILES = 100


@dataclass
class TnefFile:
    """One attachment found inside a TNEF stream."""

    filename: str = ""
    data: bytes = b""


@dataclass
class Tnef:
    """What a TNEF stream carried."""

    body: str = ""
    files: list[TnefFile] = field(default_factory=list)


class TnefError(ValueError):
    """The stream is not TNEF or is damaged."""


def is_tnef(data: bytes) -> bool:
    """True when ``data`` starts with the TNEF signature."""
    return len(data) >= 4 and struct.unpack_from("<I", data)[0] == SIGNATURE


def parse_tnef(data: bytes) -> Tnef:
    """The legacy attributes of a TNEF stream: plain body and attachments (title + data).

    MAPI property blocks are skipped; attachment names fall back to ``attachment-N``.
    """
    if not is_tnef(data):
        raise TnefError("not a TNEF stream")
    out = Tnef()
    pos = 6  # signature (4) + legacy key (2)
    current: TnefFile | None = None
    while pos + 9 <= len(data):
        level, attr, length = struct.unpack_from("<BII", data, pos)
        pos += 9
        if pos + length + 2 > len(data):
            raise TnefError("truncated TNEF attribute")
        value = data[pos:pos + length]
        pos += length + 2  # value + checksum
        ident = attr & 0xFFFF  # the high half is the attribute's type
        if level == _LVL_MESSAGE and ident == _ATT_BODY:
            out.body = value.rstrip(b"\x00").decode("cp1252", errors="replace")
        elif level == _LVL_ATTACHMENT and ident == _ATT_ATTACH_REND_DATA:
            if len(out.files) >= MAX_FILES:
                raise TnefError("too many attachments in TNEF")
            current = TnefFile(filename=f"attachment-{len(out.files) + 1}")
            out.files.append(current)
        elif level == _LVL_ATTACHMENT and current is not None:
            if ident == _ATT_ATTACH_TITLE:
                current.filename = value.rstrip(b"\x00").decode("cp1252", errors="replace")
            elif ident == _ATT_ATTACH_DATA:
                current.data = value
    out.files = [f for f in out.files if f.data]
    return out
