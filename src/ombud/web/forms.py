"""HTML form values → the schemas the services take, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import UploadFile
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from ombud.cases.lifecycle import Status
from ombud.cases.schemas import CaseFilter, CaseIn
from ombud.cases.taxonomy import Channel
from ombud.common.errors import Invalid
from ombud.security.permissions import Principal


@dataclass
class FormErrors:
    """Messages by field name (``""`` for the form as a whole)."""

    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def add(self, name: str, message: str) -> None:
        """Record a message for ``name`` (the first one wins)."""
        self.fields.setdefault(name, message)


def errors_of(exc: ValidationError) -> FormErrors:
    """A pydantic error as one readable message per field."""
    errors = FormErrors()
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else ""
        message = str(e.get("msg", "is not valid")).removeprefix("Value error, ")
        errors.add(name, message)
    return errors


def _blank_to_none(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    return value or None


def complaint(values: Mapping[str, str]) -> CaseIn:
    """A complaint filed on the portal form (raises ValidationError)."""
    return CaseIn(
        summary=values.get("summary", ""), description=values.get("description", ""),
        desired_outcome=values.get("desired_outcome", ""),
        category=_blank_to_none(values, "category"),
        asset=_blank_to_none(values, "asset"),
        amount=_blank_to_none(values, "amount"),
        language=_blank_to_none(values, "language"),
        channel=Channel.WEB,
    )


def chosen_files(files: list[UploadFile] | None) -> list[UploadFile]:
    """The files actually picked (a browser sends one empty part when none is)."""
    return [f for f in files or [] if f.filename]


@dataclass(frozen=True)
class Queue:
    """The queue page's filters as the form shows them, and the service filter they mean."""

    shown: dict[str, str | list[str]]
    filter: CaseFilter

    def page_link(self, cursor: str) -> str:
        """The query string of the next page under the same filters."""
        pairs: list[tuple[str, str]] = []
        for key, value in self.shown.items():
            values = value if isinstance(value, list) else [value]
            pairs.extend((key, v) for v in values if v)
        return "?" + urlencode([*pairs, ("cursor", cursor)])


def _int(params: QueryParams, name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid(f"{name} must be a number", pointer=name)
    return int(raw)


def queue(params: QueryParams, principal: Principal) -> Queue:
    """The queue filters of a query string; ``assignee=mine`` means the signed-in person."""
    statuses = [s for s in params.getlist("status") if s]
    assignee = params.get("assignee", "").strip()
    shown: dict[str, str | list[str]] = {
        "status": statuses, "team": params.get("team", ""), "assignee": assignee,
        "category": params.get("category", ""), "priority": params.get("priority", ""),
        "q": params.get("q", "").strip(), "sort": params.get("sort", "") or "due",
    }
    known = [Status(s) for s in statuses if s in Status._value2member_map_]
    if len(known) != len(statuses):
        raise Invalid("unknown status in the filter", pointer="status")
    raw: dict[str, object] = {
        "status": known,
        "team_id": _int(params, "team"),
        "assignee_id": principal.id if assignee == "mine" else _int(params, "assignee"),
        "category": shown["category"] or None, "priority": shown["priority"] or None,
        "q": shown["q"] or None, "sort": shown["sort"],
        "cursor": params.get("cursor") or None,
    }
    try:
        return Queue(shown=shown, filter=CaseFilter.model_validate(raw))
    except ValidationError as exc:
        first = next(iter(errors_of(exc).fields.items()))
        raise Invalid(f"{first[0]}: {first[1]}", pointer=first[0]) from None

