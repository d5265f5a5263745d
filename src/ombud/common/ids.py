"""Identifiers: public case references and random tokens."""

from __future__ import annotations

import re
import secrets

REFERENCE_RE = re.compile(r"^C-(\d{4})-(\d{6,})$")


def case_reference(year: int, number: int) -> str:
    """The public reference of the ``number``-th case of ``year``: ``C-2026-000123``."""
    return f"C-{year:04d}-{number:06d}"


def is_case_reference(text: str) -> bool:
    """True when ``text`` has the shape of a case reference."""
    return bool(REFERENCE_RE.match(text))


def token(nbytes: int = 32) -> str:
    """A URL-safe random token."""
    return secrets.token_urlsafe(nbytes)
