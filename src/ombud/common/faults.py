"""Fault points: named places in a job where a process can be made to die at once, so that
crash tests kill a real worker exactly there (``OMBUD_FAULT_POINTS``, off by default)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

#: The exit status of a process that died at a fault point.
EXIT_CODE = 86


@dataclass(frozen=True)
class Faults:
    """The armed fault points of this process (none in production)."""

    armed: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, names: str, known: Iterable[str]) -> Faults:
        """Faults from a comma-separated list; ValueError names a point nobody reaches."""
        armed = frozenset(n.strip() for n in names.split(",") if n.strip())
        unknown = armed - set(known)
        if unknown:
            raise ValueError(f"unknown fault points: {', '.join(sorted(unknown))}")
        return cls(armed)

    def __contains__(self, point: str) -> bool:
        return point in self.armed

    def reach(self, point: str) -> None:
        """Die now when ``point`` is armed: ``os._exit``, like a kill, with no clean-up, no
        rollback and no commit; the database and the exchange see a connection drop."""
        if point in self.armed:
            os.write(2, f"fault point {point} reached: dying\n".encode())
            os._exit(EXIT_CODE)


#: No fault armed.
NONE = Faults()
