"""Real Binance captures, decoded once per test session."""

from __future__ import annotations

import gzip

import pytest

from ombud.evidence.replay import Capture, ReplayIndex, import_binance
from tests.evidence.replay.helpers import MARKET

SPOT = MARKET / "binance-spot-ethusdt-20240808.gz"
USDM = MARKET / "binance-usdm-ethusdt-20240808.gz"


@pytest.fixture(scope="session")
def spot() -> tuple[Capture, ReplayIndex]:
    capture = import_binance(SPOT)
    return capture, ReplayIndex.build(capture.events, every=5_000)


@pytest.fixture(scope="session")
def usdm() -> tuple[Capture, ReplayIndex]:
    capture = import_binance(USDM)
    return capture, ReplayIndex.build(capture.events, every=20_000)


@pytest.fixture(scope="session")
def usdm_lines() -> list[bytes]:
    return gzip.decompress(USDM.read_bytes()).split(b"\n")


@pytest.fixture(scope="session")
def spot_lines() -> list[bytes]:
    return gzip.decompress(SPOT.read_bytes()).split(b"\n")
