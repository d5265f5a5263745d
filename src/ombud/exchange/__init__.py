"""Exchange gateway: read and act Protocols, records, the simulated exchange, the OKX adapter.

    sim = SimExchange.open(Path("var/exchange.json"))     # embedded default
    okx = OkxExchange(OkxHttp(), keys=lambda account: creds[account], operator=master)
    scenario = SCENARIOS["liquidation_on_mark_wick"](sim)  # evidence + ground truth
"""

from ombud.exchange.errors import (
    ClientIdConflict,
    ExchangeAuthError,
    ExchangeError,
    ExchangeRateLimited,
    ExchangeRejected,
    ExchangeTimeout,
    ExchangeUnavailable,
    MalformedResponse,
    UnknownAccount,
    Unsupported,
)
from ombud.exchange.gateway import ExchangeActor, ExchangeReader
from ombud.exchange.okx import OkxExchange
from ombud.exchange.okx_http import OkxCredentials, OkxHttp, RetryPolicy, sign
from ombud.exchange.sim import SimExchange
from ombud.exchange.sim_scenarios import SCENARIOS, Scenario, Truth

__all__ = [
    "SCENARIOS", "ClientIdConflict", "ExchangeActor", "ExchangeAuthError", "ExchangeError",
    "ExchangeRateLimited", "ExchangeReader", "ExchangeRejected", "ExchangeTimeout",
    "ExchangeUnavailable", "MalformedResponse", "OkxCredentials", "OkxExchange", "OkxHttp",
    "RetryPolicy", "Scenario", "SimExchange", "Truth", "UnknownAccount", "Unsupported", "sign",
]
