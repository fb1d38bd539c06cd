"""The KFP IR conformance corpus (../shared/conformance/kfp-ir/) run on a real `pinnace up`.

Every compiled pipeline of the corpus is submitted as a PipelineRun (JSON through
`kubectl apply`, all at once) with the arguments its README gives, and each run's
final state and outputs are compared with the README's expectations. The test
prints how many behave as expected and asserts that exactly the pipelines listed
in `KNOWN_FAILING` (each with its reason) do not — a pipeline that starts passing
must leave that list, one that breaks fails the test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import Platform

from pinnace.pipelines import loading

REPO = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    """`shared/` sits beside the repository (CI) or beside a parent of it (worktrees)."""
    for parent in REPO.parents:
        candidate = parent / "shared" / "conformance" / "kfp-ir"
        if candidate.is_dir():
            return candidate
    raise AssertionError(f"no shared/conformance/kfp-ir beside {REPO} or its parents")


Check = Callable[[dict[str, Any]], bool]


def output(value: Any) -> Check:
    return lambda status: (status.get("outputs") or {}).get("parameters", {}).get("Output") == value


def accuracy_logged(status: dict[str, Any]) -> bool:
    """The README expects {'accuracy': 5.0}, but this IR logs `random.randint(0, 100)`."""
    arts = ((status.get("outputs") or {}).get("artifacts") or {}).get("metrics") or []
    accuracy = arts[0].get("metadata", {}).get("accuracy") if arts else None
    return isinstance(accuracy, int | float) and 0 <= accuracy <= 100


@dataclass(frozen=True)
class Case:
    file: str
    args: dict[str, Any] = field(default_factory=dict)
    state: str = "SUCCEEDED"
    check: Check | None = None


CASES = [
    Case("add_numbers.yaml", {"a": 5, "b": 5}, check=output(10)),
    Case(
        "concat_message.yaml",
        {"message1": "Hello ", "message2": "World!"},
        check=output("Hello World!"),
    ),
    Case("identity.yaml", {"value": "test_value"}, check=output("test_value")),
    Case("dict_input.yaml", {"struct": {"test_key": "test_value"}}),
    Case("component_with_optional_inputs.yaml"),
    Case("mixed_parameters.yaml"),
    Case("multiple_parameters_namedtuple.yaml"),
    Case(
        "nested_return.yaml",
        check=output([{"A_a": "1", "B_b": "2"}, {"A_a": "10", "B_b": "20"}]),
    ),
    Case("lightweight_python_functions_pipeline.yaml", {"message": "hello"}),
    Case(
        "lightweight_python_functions_with_outputs.yaml",
        {
            "first_message": "Hello",
            "second_message": " World",
            "first_number": 10,
            "second_number": 20,
        },
    ),
    Case("multiple_artifacts_namedtuple.yaml"),
    Case("output_metrics.yaml", check=accuracy_logged),
    Case("pipeline_with_metrics_outputs.yaml"),
    Case("pythonic_artifacts_test_pipeline.yaml"),
    Case("flip_coin.yaml"),
    Case("pipeline_with_condition.yaml"),
    Case("if_elif_else_complex.yaml"),
    Case("parameter_oneof.yaml"),
    Case("local_execution_pipeline_with_oneof.yaml", {"pick_a": True}, check=output("selected:A")),
    Case("pipeline_with_loops.yaml", {"loop_parameter": ["item1", "item2", "item3"]}),
    Case("pipeline_with_nested_loops.yaml"),
    Case("collected_parameters.yaml"),
    Case("pipeline_with_collected_artifacts.yaml", check=output("0,1,2")),
    Case("local_execution_pipeline_with_exit_handler.yaml", {"message": "hi"}),
    Case(
        "local_execution_pipeline_with_retry.yaml",
        {"counter_path": "<fresh temp file>"},
        check=output("attempt=2"),
    ),
    Case("pipeline_with_caching.yaml", check=output(2)),
    Case("fail_v2.yaml", state="FAILED"),
    Case("hello_world.yaml"),
    Case("pipeline_with_after.yaml"),
    Case("two_step_pipeline_containerized.yaml"),
]

KNOWN_FAILING: dict[str, str] = {}
"""file → why it does not behave as expected yet (empty: all pass)."""


def run_name(file: str) -> str:
    return "c-" + file.removesuffix(".yaml").replace("_", "-").lower()[:50].strip("-")


def manifest(case: Case, namespace: str, tmp: Path) -> dict[str, Any]:
    spec, platform_spec = loading.documents((corpus_dir() / case.file).read_text())
    args = {
        k: str(tmp / f"{run_name(case.file)}.counter") if v == "<fresh temp file>" else v
        for k, v in case.args.items()
    }
    body: dict[str, Any] = {"pipelineSpec": spec, "runtimeConfig": {"parameters": args}}
    if platform_spec:
        body["platformSpec"] = platform_spec
    return {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": run_name(case.file), "namespace": namespace},
        "spec": body,
    }


@pytest.mark.slow
def test_conformance_corpus(platform: Platform, namespace: str, tmp_path: Path) -> None:
    files = sorted(p.name for p in corpus_dir().glob("*.yaml"))
    assert sorted(c.file for c in CASES) == files, "every corpus file has a case"
    items = [manifest(c, namespace, tmp_path) for c in CASES]
    platform.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    )
    terminal = {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"}
    deadline = time.monotonic() + 240
    runs: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        listed = json.loads(
            platform.kubectl("get", "pipelineruns", "-n", namespace, "-o", "json").stdout
        )
        runs = {r["metadata"]["name"]: r.get("status") or {} for r in listed["items"]}
        if len(runs) == len(CASES) and all(s.get("state") in terminal for s in runs.values()):
            break
        time.sleep(0.5)
    outcome: dict[str, str] = {}
    for case in CASES:
        status = runs.get(run_name(case.file)) or {}
        state = status.get("state")
        if state != case.state:
            error = (status.get("error") or {}).get("message", "")
            outcome[case.file] = f"state {state}, expected {case.state}: {error[-600:]}"
        elif case.check is not None and not case.check(status):
            outcome[case.file] = f"outputs {json.dumps(status.get('outputs'))[:300]}"
    passed = len(CASES) - len(outcome)
    print(f"\nKFP IR conformance: {passed}/{len(CASES)} pipelines behave as expected")
    for file, why in sorted(outcome.items()):
        print(f"  FAIL {file}: {why}")
    unexpected = {f: w for f, w in outcome.items() if f not in KNOWN_FAILING}
    assert not unexpected, f"unexpected failures: {json.dumps(unexpected, indent=1)}"
    now_passing = sorted(set(KNOWN_FAILING) - set(outcome))
    assert not now_passing, f"these pass now; remove them from KNOWN_FAILING: {now_passing}"
