"""Docs generated from code stay current: the lifecycle page is ``ombud docs`` output."""

from __future__ import annotations

from pathlib import Path

from ombud.cases.lifecycle import TRANSITIONS
from ombud.cli import lifecycle_page

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_lifecycle_page_is_generated_from_the_code() -> None:
    page = (DOCS / "lifecycle.md").read_text()
    assert page == lifecycle_page(), "docs/lifecycle.md is stale: run `ombud docs`"


def test_lifecycle_page_shows_every_transition() -> None:
    page = lifecycle_page()
    for (src, event), dst in TRANSITIONS.items():
        assert f"    {src.value} --> {dst.value}: {event.value}\n" in page
