from __future__ import annotations

from typing import Any

import pytest

from pinnace.api import kinds

from . import pipelines_ir
from .conftest import Api


def _recurring(trigger: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "display_name": "Nightly",
        "pipeline_spec": pipelines_ir.chain(),
        "runtime_config": {"parameters": {"a": 1}},
        "trigger": trigger,
        "max_concurrency": "2",
        "mode": "ENABLE",
        **extra,
    }


async def test_periodic_becomes_a_recurringrun_and_back(api: Api) -> None:
    exp = await api.ok("POST", "/experiments", json={"display_name": "e"})
    trigger = {"periodic_schedule": {"interval_second": "60", "start_time": "2026-01-01T00:00:00Z"}}
    made = await api.ok(
        "POST",
        "/recurringruns",
        json=_recurring(trigger, experiment_id=exp["experiment_id"], no_catchup=True),
    )
    (stored,) = api.kube.objects(kinds.RECURRINGRUNS, "kubeflow")
    spec = stored["spec"]
    assert spec["trigger"] == {"periodic": {"intervalSeconds": 60}}
    assert (spec["startTime"], spec["maxConcurrency"], spec["noCatchup"]) == (
        "2026-01-01T00:00:00Z",
        2,
        True,
    )
    assert spec["runTemplate"]["pipelineSpec"] == pipelines_ir.chain()
    assert spec["runTemplate"]["experiment"] == "e"
    assert spec["runTemplate"]["runtimeConfig"] == {"parameters": {"a": 1}}
    assert made["trigger"] == {
        "periodic_schedule": {"interval_second": "60", "start_time": "2026-01-01T00:00:00Z"}
    }
    got = await api.ok("GET", f"/recurringruns/{made['recurring_run_id']}")
    assert (got["status"], got["experiment_id"]) == ("ENABLED", exp["experiment_id"])
    listed = await api.ok("GET", "/recurringruns", params={"experiment_id": exp["experiment_id"]})
    assert [r["recurring_run_id"] for r in listed["recurringRuns"]] == [made["recurring_run_id"]]


async def test_cron_enable_disable_delete(api: Api) -> None:
    made = await api.ok(
        "POST", "/recurringruns", json=_recurring({"cron_schedule": {"cron": "0 0 2 * * *"}})
    )
    rid = made["recurring_run_id"]
    (stored,) = api.kube.objects(kinds.RECURRINGRUNS, "kubeflow")
    assert stored["spec"]["trigger"] == {"cron": {"expression": "0 0 2 * * *"}}
    await api.ok("POST", f"/recurringruns/{rid}:disable")
    got = await api.ok("GET", f"/recurringruns/{rid}")
    assert (got["mode"], got["status"]) == ("DISABLE", "DISABLED")
    await api.ok("POST", f"/recurringruns/{rid}:enable")
    assert (await api.ok("GET", f"/recurringruns/{rid}"))["mode"] == "ENABLE"
    await api.ok("DELETE", f"/recurringruns/{rid}")
    assert api.kube.objects(kinds.RECURRINGRUNS) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"trigger": {}}, "trigger", id="no-schedule"),
        pytest.param(
            {"trigger": {"periodic_schedule": {"interval_second": "0"}}},
            "interval_second",
            id="zero-interval",
        ),
        pytest.param({"trigger": {"cron_schedule": {"cron": "every day"}}}, "cron", id="bad-cron"),
        pytest.param({"max_concurrency": "11"}, "max_concurrency", id="concurrency"),
        pytest.param({"runtime_config": {"parameters": {}}}, "runtimeConfig", id="argument"),
    ],
)
async def test_bad_input_is_400_and_nothing_is_created(
    api: Api, body: dict[str, Any], field: str
) -> None:
    request = {**_recurring({"periodic_schedule": {"interval_second": "5"}}), **body}
    status, answer = await api.call("POST", "/recurringruns", json=request)
    assert (status, answer["code"]) == (400, 3), answer
    assert field in answer["message"]
    assert api.kube.objects(kinds.RECURRINGRUNS) == []
