"""Prometheus metrics of the proxy: requests by route and status code, latency by route.

`pinnace.gateway.proxying` calls `Metrics.observe` once per proxied request
(about a microsecond: label children are cached); `pinnace.gateway.app`
serves `render()` at `Settings.metrics_path`. Each gateway owns its registry,
so two gateways in one process (tests) do not collide.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "pinnace_gateway_requests",
            "Requests answered by the gateway's proxy, by route and HTTP status code.",
            ["route", "code"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "pinnace_gateway_request_duration_seconds",
            "Time from request to the end of the response, by route.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._counters: dict[tuple[str, int], Counter] = {}
        self._histograms: dict[str, Histogram] = {}

    def observe(self, route: str, code: int, seconds: float) -> None:
        counter = self._counters.get((route, code))
        if counter is None:
            counter = self._counters[route, code] = self._requests.labels(route, str(code))
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = self._latency.labels(route)
        histogram.observe(seconds)

    def render(self) -> tuple[bytes, bytes]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST.encode()
