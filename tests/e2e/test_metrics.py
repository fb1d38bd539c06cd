"""`curl /metrics` on a running platform: controller-runtime's series, counted, after a rollout."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request

from tests.e2e.conftest import Platform

_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def _deployment(namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "sleeper", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "sleeper"}},
                "template": {
                    "metadata": {"labels": {"app": "sleeper"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "image": "python:3.11",
                                "command": ["python", "-c", "import time; time.sleep(600)"],
                            }
                        ]
                    },
                },
            },
        }
    )


def _samples(text: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            out[(m["name"], m["labels"] or "")] = float(m["value"])
    return out


def test_metrics_show_controller_runtime_names_after_a_rollout(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl("apply", "-f", "-", input=_deployment(namespace))
    platform.kubectl(
        "rollout", "status", "deployment/sleeper", "-n", namespace, "--timeout=60s", timeout=90
    )
    # the platform's one /metrics (the gateway port), scraped as a user would: with curl
    text = subprocess.run(
        ["curl", "-sf", f"{platform.url}/metrics"], capture_output=True, text=True, check=True
    ).stdout
    samples = _samples(text)

    def value(metric: str, **labels: str) -> float:
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        return sum(v for (n, ls), v in samples.items() if n == metric and want in ls)

    assert (
        value("controller_runtime_reconcile_total", controller="deployment", result="success") > 0
    )
    assert value("controller_runtime_reconcile_time_seconds_count", controller="deployment") > 0
    assert value("workqueue_adds_total", controller="deployment", name="deployment") > 0
    assert value("controller_runtime_reconcile_total", controller="scheduler") > 0
    for family in (
        "controller_runtime_reconcile_errors_total",
        "workqueue_depth",
        "workqueue_retries_total",
    ):
        assert any(n == family for n, _ in samples), family
    # the gateway's own series are served from the same registry
    assert "# HELP pinnace_gateway_requests_total " in text
    with urllib.request.urlopen(f"{platform.url}/metrics", timeout=5) as answer:
        assert answer.headers["content-type"].startswith("text/plain")
