"""Request metrics of this process (Prometheus)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()
REQUESTS = Counter("ombud_http_requests", "HTTP requests", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("ombud_http_request_seconds", "HTTP request duration", ["route"],
                    registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


def observe(scope: dict[str, Any] | Any, status: int, seconds: float) -> None:
    """Count and time one request by its route template (not its raw path)."""
    route = getattr(scope.get("route"), "path", "unmatched")
    REQUESTS.labels(scope["method"], route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)
