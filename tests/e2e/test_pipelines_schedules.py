"""Recurring runs on a real `pinnace up`: a RecurringRun applied with kubectl starts runs on time.

The schedule fires every two seconds; its runs are real PipelineRuns (kfp-compiled
IR, a pod per task), named by their slot, and they succeed. Deleting the
schedule deletes its runs (ownerReferences, the garbage collector).
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import itertools
import re
import textwrap
from typing import Any

from kfp import dsl
from tests.e2e.conftest import Platform, wait_for
from tests.e2e.test_pipelines import BASE, ir_text


@dsl.component(base_image=BASE)
def greet(name: str) -> str:
    return f"hello {name}"


@dsl.pipeline
def hello(name: str = "world") -> str:
    return greet(name=name).output


def schedule_yaml(name: str, namespace: str, ir: str, interval: int) -> str:
    return (
        "apiVersion: pipelines.kubeflow.org/v1alpha1\n"
        "kind: RecurringRun\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        "spec:\n"
        f"  trigger:\n    periodic:\n      intervalSeconds: {interval}\n"
        "  maxConcurrency: 1\n"
        "  runTemplate:\n"
        "    runtimeConfig:\n      parameters:\n        name: '[[ScheduledTime]]'\n"
        "    pipelineSpec:\n" + textwrap.indent(ir, "      ")
    )


def runs(platform: Platform, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = platform.kubectl_yaml("get", "pipelineruns", "-n", namespace)[
        "items"
    ]
    return items


def test_a_recurring_run_starts_deterministically_named_runs_that_succeed(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl("apply", "-f", "-", input=schedule_yaml("tick", namespace, ir_text(hello), 2))

    def two_succeeded() -> list[dict[str, Any]] | None:
        done = [
            r
            for r in runs(platform, namespace)
            if (r.get("status") or {}).get("state") == "SUCCEEDED"
        ]
        return done if len(done) >= 2 else None

    done = wait_for(two_succeeded, timeout=60, what="two scheduled runs to succeed")
    slots = []
    for run in done:
        match = re.fullmatch(r"tick-(\d+)", run["metadata"]["name"])
        assert match, run["metadata"]["name"]
        slot = int(match.group(1))
        slots.append(slot)
        (owner,) = run["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"]) == ("RecurringRun", "tick")
        stamp = run["metadata"]["annotations"]["pipelines.kubeflow.org/scheduled-time"]
        greeting = run["status"]["outputs"]["parameters"]["Output"]
        assert greeting == "hello " + re.sub(r"\D", "", stamp)  # [[ScheduledTime]], KFP's layout
    slots.sort()
    assert all((b - a) % 2 == 0 and b > a for a, b in itertools.pairwise(slots))

    schedule = platform.kubectl_yaml("get", "recurringrun", "tick", "-n", namespace)
    status = schedule["status"]
    assert status["lastScheduledTime"] and status["nextScheduledTime"]
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["status"] == "True"
    table = platform.kubectl("get", "recurringruns", "-n", namespace).stdout
    assert "tick" in table and "ENABLE" in table

    platform.kubectl("delete", "recurringrun", "tick", "-n", namespace)
    wait_for(lambda: not runs(platform, namespace), timeout=30, what="the schedule's runs to go")
