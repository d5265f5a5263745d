"""The agent console (server-rendered)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    """The landing page sends people to the portal."""
    return RedirectResponse("/portal", status_code=303)
