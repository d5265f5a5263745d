"""Build the exchange gateway from settings: OKX when its keys are set, else the simulator.

The embedded default is a `SimExchange` saved as one JSON file under ``settings.data_dir``. A
new simulator starts its clock `SIM_HISTORY` before now, so incidents staged on it (the demo's
scenarios) lie in the past of the cases that complain about them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.exchange.gateway import ExchangeActor, ExchangeReader
from ombud.exchange.okx import OkxExchange
from ombud.exchange.okx_http import OkxCredentials, OkxHttp
from ombud.exchange.sim import SimExchange

SIM_FILE = "exchange.json"
SIM_HISTORY = dt.timedelta(days=7)


class Gateway(ExchangeReader, ExchangeActor, Protocol):
    """An exchange Ombud can both read and act on."""


def sim_path(settings: Settings) -> Path:
    """Where the simulated exchange of a deployment is saved."""
    return settings.data_dir / SIM_FILE


def open_sim(settings: Settings, now: dt.datetime | None = None) -> SimExchange:
    """The deployment's simulated exchange, loaded from its files or created there (one
    instance per process, brought up to date with what other processes did at each call)."""
    path = sim_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = (now or utcnow()).replace(second=0, microsecond=0) - SIM_HISTORY
    return SimExchange.shared(path, start=start)


def okx_credentials(settings: Settings) -> OkxCredentials | None:
    """The OKX API key of the settings, or None unless key, secret and passphrase are all set."""
    if settings.okx_api_key and settings.okx_secret_key and settings.okx_passphrase:
        return OkxCredentials(settings.okx_api_key, settings.okx_secret_key,
                              settings.okx_passphrase, demo=settings.okx_demo)
    return None


def build_gateway(settings: Settings) -> Gateway:
    """OKX (one key reads every account and pays remedies) or the simulated exchange."""
    creds = okx_credentials(settings)
    if creds is None:
        return open_sim(settings)
    return OkxExchange(OkxHttp(base_url=settings.okx_base_url), keys=lambda _account: creds,
                       operator=creds)


def connector(settings: Settings) -> Callable[[], Gateway]:
    """A function giving the current gateway for each job: the simulator is re-read from its
    file every time (other processes stage records on it); an OKX adapter is kept and reused."""
    if okx_credentials(settings) is None:
        return lambda: open_sim(settings)
    okx = build_gateway(settings)
    return lambda: okx
