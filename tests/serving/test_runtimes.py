"""KServe's runtime selection rules, on parsed (Cluster)ServingRuntimes."""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.api.views import inferenceservices
from pinnace.serving import catalog, runtimes


def runtime(
    name: str,
    *formats: dict[str, Any],
    cluster: bool = True,
    created: str = "2026-01-01T00:00:00Z",
    **spec: Any,
) -> runtimes.Runtime:
    body = {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"supportedModelFormats": list(formats), "containers": [{"name": "c"}], **spec},
    }
    return runtimes.Runtime.parse(body, cluster=cluster)


def model(fmt: str = "sklearn", **fields: Any) -> inferenceservices.Model:
    return inferenceservices.Model(format=fmt, **fields)


BUILTINS = [runtimes.Runtime.parse(b, cluster=True) for b in catalog.builtin_runtimes()]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        pytest.param("sklearn", "kserve-sklearnserver", id="sklearn"),
        pytest.param("xgboost", "kserve-xgbserver", id="xgboost"),
        pytest.param("lightgbm", "kserve-lgbserver", id="lightgbm"),
        pytest.param("onnx", "pinnace-onnxserver", id="onnx"),
        pytest.param("SKLearn", "kserve-sklearnserver", id="case-insensitive"),
    ],
)
def test_each_format_auto_selects_its_builtin_runtime(fmt: str, expected: str) -> None:
    assert runtimes.select(model(fmt), [], BUILTINS).name == expected


def test_a_namespace_runtime_comes_before_a_cluster_one_whatever_the_priority() -> None:
    mine = runtime("mine", {"name": "sklearn", "autoSelect": True}, cluster=False)
    assert runtimes.select(model(), [mine], BUILTINS).name == "mine"


def test_priority_orders_runtimes_of_one_scope_and_one_without_comes_last() -> None:
    low = runtime("a-low", {"name": "sklearn", "autoSelect": True, "priority": 1})
    high = runtime("b-high", {"name": "sklearn", "autoSelect": True, "priority": 5})
    none = runtime(
        "c-none", {"name": "sklearn", "autoSelect": True}, created="2026-06-01T00:00:00Z"
    )
    found = runtimes.candidates(model(), [], [none, low, high])
    assert [r.name for r in found] == ["b-high", "a-low", "c-none"]


def test_equal_priority_prefers_the_newest_then_the_name() -> None:
    old = runtime("a", {"name": "sklearn", "autoSelect": True}, created="2026-01-01T00:00:00Z")
    new = runtime("b", {"name": "sklearn", "autoSelect": True}, created="2026-02-01T00:00:00Z")
    twin = runtime("c", {"name": "sklearn", "autoSelect": True}, created="2026-02-01T00:00:00Z")
    assert [r.name for r in runtimes.candidates(model(), [], [twin, old, new])] == ["b", "c", "a"]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            runtime("off", {"name": "sklearn", "autoSelect": True}, disabled=True), id="disabled"
        ),
        pytest.param(runtime("manual", {"name": "sklearn"}), id="no-autoselect"),
        pytest.param(
            runtime("mms", {"name": "sklearn", "autoSelect": True}, multiModel=True),
            id="multimodel",
        ),
        pytest.param(
            runtime("v2only", {"name": "sklearn", "autoSelect": True}, protocolVersions=["v2"]),
            id="protocol",
        ),
        pytest.param(runtime("xgb", {"name": "xgboost", "autoSelect": True}), id="format"),
    ],
)
def test_runtimes_that_cannot_be_auto_selected(other: runtimes.Runtime) -> None:
    assert runtimes.candidates(model(), [], [other]) == []


def test_the_model_version_matches_exactly_or_by_major() -> None:
    v1 = runtime("v1", {"name": "sklearn", "version": "1", "autoSelect": True})
    assert runtimes.candidates(model(version="1.3"), [], [v1]) == [v1]
    assert runtimes.candidates(model(version="2"), [], [v1]) == []
    unversioned = runtime("any", {"name": "sklearn", "autoSelect": True})
    assert runtimes.candidates(model(), [], [unversioned]) == [unversioned]
    assert runtimes.candidates(model(version="1"), [], [unversioned]) == []


def test_an_explicit_runtime_needs_no_autoselect_but_must_fit() -> None:
    manual = runtime("manual", {"name": "sklearn"}, cluster=False)
    assert runtimes.select(model(runtime="manual"), [manual], BUILTINS) is manual
    with pytest.raises(runtimes.NoRuntime, match="with the name: nope"):
        runtimes.select(model(runtime="nope"), [manual], BUILTINS)
    with pytest.raises(runtimes.NoRuntime, match="does not support specified framework"):
        runtimes.select(model("xgboost", runtime="manual"), [manual], BUILTINS)
    off = runtime("off", {"name": "sklearn"}, disabled=True)
    with pytest.raises(runtimes.NoRuntime, match="is disabled"):
        runtimes.select(model(runtime="off"), [], [off])


def test_a_format_no_runtime_serves_is_refused() -> None:
    with pytest.raises(runtimes.NoRuntime, match=r"model type: \{tensorflow\}"):
        runtimes.select(model("tensorflow"), [], BUILTINS)
