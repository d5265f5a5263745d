"""What every analysis shares: the captured evidence it reads, the outcome it gives, and
"cannot determine, because ..." when the evidence does not support a verdict (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from ombud.evidence.capture import STABLE
from ombud.evidence.schemas import Analysis, Fault
from ombud.exchange import codec
from ombud.exchange.dto import Candle

T = TypeVar("T")


@dataclass(frozen=True)
class Captured:
    """One stored evidence item as an analysis sees it."""

    id: int
    data: Any
    error: str | None = None


Evidence = Mapping[str, Captured]


@dataclass(frozen=True)
class Outcome:
    """An analysis result: verdict, fault, why, measured loss, cited evidence, chart."""

    analysis: Analysis
    verdict: str
    fault: Fault
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    cites: tuple[int, ...] = ()
    loss_asset: str | None = None
    loss_amount: Decimal | None = None
    loss_usd: Decimal | None = None
    chart: bytes | None = None


class Undetermined(Exception):
    """The evidence cannot support a verdict; the message says why. Cites what was read."""

    def __init__(self, because: str, ev: Evidence, *kinds: str) -> None:
        super().__init__(because)
        self.cites = tuple(ev[k].id for k in kinds if k in ev)


def undetermined(analysis: Analysis, because: str, cites: tuple[int, ...]) -> Outcome:
    """The "cannot determine" outcome."""
    return Outcome(analysis, "cannot_determine", Fault.UNDETERMINED,
                   f"Cannot determine, because {because}.", cites=cites)


def records(ev: Evidence, kind: str, cls: type[T]) -> list[T]:
    """The records of one kind (empty when not captured); a failed pull is undetermined."""
    item = ev.get(kind)
    if item is None:
        return []
    if item.error:
        raise Undetermined(f"the {kind.replace('_', ' ')} could not be read ({item.error})",
                           ev, kind)
    try:
        return codec.load(list[cls], item.data)  # type: ignore[valid-type]
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise Undetermined(f"the captured {kind.replace('_', ' ')} are malformed ({exc})",
                           ev, kind) from None


def loss_in_usd(asset: str, amount: Decimal | None, ev: Evidence,
                at: dt.datetime) -> Decimal | None:
    """`amount` of `asset` in USD at `at`: 1:1 for stablecoins, else the close of the captured
    index candle of that minute (None when no price was captured)."""
    if amount is None:
        return None
    if asset in STABLE:
        return amount
    try:
        candles = records(ev, f"prices:{asset}", Candle)
    except Undetermined:
        return None
    minute = at.replace(second=0, microsecond=0)
    price = next((c.c for c in candles if c.ts == minute), None)
    return None if price is None else (amount * price).quantize(Decimal("0.01"))
