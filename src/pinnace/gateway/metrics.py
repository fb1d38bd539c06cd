"""Prometheus metrics of the proxy: requests by route and status code, latency by route.

`pinnace.gateway.proxying` calls `Metrics.observe` once per proxied request;
`pinnace.gateway.app` serves `render()` at `Settings.metrics_path`. The hot
path only bumps plain integers (a dict lookup and a bisect, about a
microsecond, where prometheus-client's labelled children cost ten times
that); a custom collector turns them into the two metric families when
scraped. Each gateway owns its registry, so two gateways in one process
(tests) do not collide.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _Latency:
    __slots__ = ("buckets", "sum")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0


class Metrics:
    def __init__(self) -> None:
        self._requests: dict[tuple[str, int], int] = {}
        self._latency: dict[str, _Latency] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(self, route: str, code: int, seconds: float) -> None:
        key = (route, code)
        self._requests[key] = self._requests.get(key, 0) + 1
        latency = self._latency.get(route)
        if latency is None:
            latency = self._latency[route] = _Latency()
        latency.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        latency.sum += seconds

    def collect(self) -> Iterator[Metric]:
        """The prometheus-client collector protocol (called at scrape time)."""
        requests = CounterMetricFamily(
            "pinnace_gateway_requests",
            "Requests answered by the gateway's proxy, by route and HTTP status code.",
            labels=["route", "code"],
        )
        for (route, code), count in sorted(self._requests.items()):
            requests.add_metric([route, str(code)], count)
        yield requests
        latency = HistogramMetricFamily(
            "pinnace_gateway_request_duration_seconds",
            "Time from request to the end of the response, by route.",
            labels=["route"],
        )
        for route, data in sorted(self._latency.items()):
            running, cumulative = 0, []
            for bound, count in zip((*BUCKETS, float("inf")), data.buckets, strict=True):
                running += count
                cumulative.append((_bound(bound), float(running)))
            latency.add_metric([route], cumulative, data.sum)
        yield latency

    def render(self) -> tuple[bytes, bytes]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST.encode()


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))
