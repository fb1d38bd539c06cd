"""Prometheus metrics of the controllers, under controller-runtime's names.

Dashboards and alerts written for controller-runtime operators read the same
series here: `controller_runtime_reconcile_total{controller,result}` (result
`success`, `error`, `requeue`, `requeue_after`),
`controller_runtime_reconcile_errors_total`,
`controller_runtime_terminal_reconcile_errors_total`,
`controller_runtime_reconcile_time_seconds`, `controller_runtime_active_workers`,
`controller_runtime_max_concurrent_reconciles`,
and the work queue's `workqueue_depth`, `workqueue_adds_total`,
`workqueue_retries_total` and `workqueue_queue_duration_seconds`
(`{controller,name}`). The `manager.Manager` owns one `Metrics` on the
registry it is given (the CLI passes the gateway's, so `/metrics` serves
both); `running.Controller` takes one `ControllerMetrics` whose labelled
children are resolved once, keeping the reconcile path to a few attribute
bumps.
"""

from __future__ import annotations

import enum

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# controller-runtime's reconcile-time buckets
RECONCILE_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7,
    0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15,
    20, 25, 30, 40, 50, 60,
)  # fmt: skip
QUEUE_BUCKETS = tuple(10.0**e for e in range(-8, 2))  # client-go's ExponentialBuckets(1e-8, 10, 10)


class Outcome(enum.StrEnum):
    """The `result` label of `controller_runtime_reconcile_total`."""

    SUCCESS = "success"
    ERROR = "error"
    REQUEUE = "requeue"
    REQUEUE_AFTER = "requeue_after"


class Metrics:
    """The metric families, registered once on `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total",
            "Total number of reconciliations per controller",
            ["controller", "result"],
            registry=r,
        )
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors_total",
            "Total number of reconciliation errors per controller",
            ["controller"],
            registry=r,
        )
        self.terminal_errors = Counter(
            "controller_runtime_terminal_reconcile_errors_total",
            "Total number of terminal reconciliation errors per controller",
            ["controller"],
            registry=r,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Length of time per reconciliation per controller",
            ["controller"],
            buckets=RECONCILE_BUCKETS,
            registry=r,
        )
        self.max_concurrent = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller",
            ["controller"],
            registry=r,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Number of currently used workers per controller",
            ["controller"],
            registry=r,
        )
        self.depth = Gauge(
            "workqueue_depth", "Current depth of workqueue", ["controller", "name"], registry=r
        )
        self.adds = Counter(
            "workqueue_adds_total",
            "Total number of adds handled by workqueue",
            ["controller", "name"],
            registry=r,
        )
        self.retries = Counter(
            "workqueue_retries_total",
            "Total number of retries handled by workqueue",
            ["controller", "name"],
            registry=r,
        )
        self.queue_duration = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested",
            ["controller", "name"],
            buckets=QUEUE_BUCKETS,
            registry=r,
        )
        self._controllers: dict[str, ControllerMetrics] = {}

    def controller(self, name: str) -> ControllerMetrics:
        """The children of one controller (the same object for the same name)."""
        found = self._controllers.get(name)
        if found is None:
            found = self._controllers[name] = ControllerMetrics(self, name)
        return found


class ControllerMetrics:
    """One controller's labelled children; `running` and `queueing` call these."""

    def __init__(self, metrics: Metrics, name: str) -> None:
        self._results = {o: metrics.reconcile_total.labels(name, o.value) for o in Outcome}
        self._errors = metrics.reconcile_errors.labels(name)
        self._terminal = metrics.terminal_errors.labels(name)
        self._time = metrics.reconcile_time.labels(name)
        self.active = metrics.active_workers.labels(name)
        self.workers = metrics.max_concurrent.labels(name)
        self._depth = metrics.depth.labels(name, name)
        self._adds = metrics.adds.labels(name, name)
        self._retries = metrics.retries.labels(name, name)
        self._waited = metrics.queue_duration.labels(name, name)

    def reconciled(self, outcome: Outcome, seconds: float) -> None:
        self._results[outcome].inc()
        self._time.observe(seconds)
        if outcome is Outcome.ERROR:
            self._errors.inc()

    def terminal(self) -> None:
        self._terminal.inc()

    # -- the queueing.QueueMetrics protocol ---------------------------------------------------

    def added(self) -> None:
        self._adds.inc()

    def retried(self) -> None:
        self._retries.inc()

    def depth(self, items: int) -> None:
        self._depth.set(items)

    def waited(self, seconds: float) -> None:
        self._waited.observe(seconds)
