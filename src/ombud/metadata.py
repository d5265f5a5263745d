"""Every table, imported once: ``Base.metadata`` for Alembic and tests."""

from __future__ import annotations

from ombud.audit import tables as _audit  # noqa: F401
from ombud.cases import tables as _cases  # noqa: F401
from ombud.customers import tables as _customers  # noqa: F401
from ombud.db import Base
from ombud.disputes import tables as _disputes  # noqa: F401
from ombud.evidence import tables as _evidence  # noqa: F401
from ombud.feedback import tables as _feedback  # noqa: F401
from ombud.intake import tables as _intake  # noqa: F401
from ombud.intake.chat import tables as _chat  # noqa: F401
from ombud.intake.social import tables as _social  # noqa: F401
from ombud.jobs import tables as _jobs  # noqa: F401
from ombud.resolution import tables as _resolution  # noqa: F401
from ombud.security import tables as _security  # noqa: F401
from ombud.triage import tables as _triage  # noqa: F401

metadata = Base.metadata
