"""Prometheus metrics of the model server, per model: requests, latency, batch sizes.

`pinnace.serving.app` calls `observe` once per inference and serves `render()` at
`/metrics`; the array models report each predicted batch's row count through
`observe_batch`. As in the gateway's metrics, the hot path only bumps plain integers
(a dict lookup and a bisect) and a prometheus-client collector builds the families
when scraped; each app owns its registry, so two servers in one process (tests) do
not collide.

    pinnace_serving_requests_total{model, protocol, code}
    pinnace_serving_request_duration_seconds{model, protocol}   (histogram)
    pinnace_serving_batch_size{model}                            (histogram, rows)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class _Histogram:
    __slots__ = ("bounds", "buckets", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = bounds
        self.buckets = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.buckets[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        running, points = 0, []
        for bound, count in zip((*self.bounds, float("inf")), self.buckets, strict=True):
            running += count
            points.append(("+Inf" if bound == float("inf") else repr(float(bound)), float(running)))
        return points


class Metrics:
    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latency: dict[tuple[str, str], _Histogram] = {}
        self._batches: dict[str, _Histogram] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(self, model: str, protocol: str, code: int, seconds: float) -> None:
        key = (model, protocol, code)
        self._requests[key] = self._requests.get(key, 0) + 1
        latency = self._latency.get((model, protocol))
        if latency is None:
            latency = self._latency[(model, protocol)] = _Histogram(LATENCY_BUCKETS)
        latency.observe(seconds)

    def observe_batch(self, model: str, rows: int) -> None:
        histogram = self._batches.get(model)
        if histogram is None:
            histogram = self._batches[model] = _Histogram(BATCH_BUCKETS)
        histogram.observe(rows)

    def collect(self) -> Iterator[Metric]:
        """The prometheus-client collector protocol (called at scrape time)."""
        requests = CounterMetricFamily(
            "pinnace_serving_requests",
            "Inference requests answered, by model, protocol (v1, v2) and HTTP status code.",
            labels=["model", "protocol", "code"],
        )
        for (model, protocol, code), count in sorted(self._requests.items()):
            requests.add_metric([model, protocol, str(code)], count)
        yield requests
        latency = HistogramMetricFamily(
            "pinnace_serving_request_duration_seconds",
            "Time from an inference request's arrival to its response, by model and protocol.",
            labels=["model", "protocol"],
        )
        for (model, protocol), histogram in sorted(self._latency.items()):
            latency.add_metric([model, protocol], histogram.cumulative(), histogram.sum)
        yield latency
        batches = HistogramMetricFamily(
            "pinnace_serving_batch_size",
            "Rows per predict call of a model (several requests when batching).",
            labels=["model"],
        )
        for model, histogram in sorted(self._batches.items()):
            batches.add_metric([model], histogram.cumulative(), histogram.sum)
        yield batches

    def render(self) -> tuple[bytes, bytes]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST.encode()
