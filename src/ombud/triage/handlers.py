"""Job handlers of triage: ``triage.case``, and the model they classify with."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session

from ombud.triage import queries, service
from ombud.triage.classifier import Classifier, default_classifier, retrain
from ombud.triage.pipeline import TriageConfig


class Model:
    """This process's classifier: trained on first use with the staff corrections recorded
    by then (a restarted worker learns the later ones; ``ombud triage retrain`` reports the
    figures of that model)."""

    def __init__(self, classifier: Classifier | None = None) -> None:
        self._classifier = classifier
        self._lock = threading.Lock()

    def get(self, session: Session) -> Classifier:
        """The classifier, trained now if this is the first use."""
        with self._lock:
            if self._classifier is None:
                fixes = queries.corrections(session)
                self._classifier = retrain(fixes) if fixes else default_classifier()
            return self._classifier


def triage_case(cfg: TriageConfig, model: Model, session: Session,
                payload: dict[str, Any]) -> None:
    """Job ``triage.case``: triage the case (again, after the customer answered)."""
    service.triage_case(session, cfg, int(payload["case_id"]), classifier=model.get(session))
