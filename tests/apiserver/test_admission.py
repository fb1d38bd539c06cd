"""The validating-admission seam: per-kind validators refuse writes with a 422 and store nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.kits.kube import errors
from pinnace.kits.kube.objects import Object

calls: list[tuple[str, bool]] = []


def no_thirteen(obj: Object, old: Object | None) -> list[dict[str, str]]:
    calls.append((obj["metadata"]["name"], old is not None))
    if obj["spec"].get("replicas") == 13:
        return [{"reason": "FieldValueInvalid", "message": "unlucky", "field": "spec.replicas"}]
    return []


def deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
            },
        },
    }


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    calls.clear()
    validators = {("apps", "Deployment"): no_thirteen}
    async with apiservers.serve(tmp_path, validators=validators) as running:
        yield running


async def test_a_refused_create_is_a_422_naming_the_field_and_stores_nothing(
    kube: apiservers.Kube,
) -> None:
    with pytest.raises(errors.Invalid) as caught:
        await kube.create(kinds.DEPLOYMENTS, deployment("bad", 13), namespace="ns")
    status = caught.value.status
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["message"] == 'Deployment "bad" is invalid: spec.replicas: unlucky'
    assert status["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": "unlucky", "field": "spec.replicas"}
    ]
    assert kube.objects(kinds.DEPLOYMENTS, "ns") == []


async def test_a_dry_run_is_judged_too(kube: apiservers.Kube) -> None:
    with pytest.raises(errors.Invalid):
        await kube.client.request(
            "POST",
            kinds.DEPLOYMENTS.path("ns"),
            params={"dryRun": "All"},
            body=deployment("dry", 13),
        )
    await kube.client.request(
        "POST", kinds.DEPLOYMENTS.path("ns"), params={"dryRun": "All"}, body=deployment("dry", 1)
    )
    assert calls == [("dry", False), ("dry", False)]
    assert kube.objects(kinds.DEPLOYMENTS, "ns") == []


async def test_updates_are_judged_only_when_the_spec_changes(kube: apiservers.Kube) -> None:
    await kube.create(kinds.DEPLOYMENTS, deployment("ok", 1), namespace="ns")
    assert calls == [("ok", False)]
    await kube.patch(kinds.DEPLOYMENTS, "ok", {"metadata": {"labels": {"x": "y"}}}, namespace="ns")
    await kube.patch(
        kinds.DEPLOYMENTS,
        "ok",
        {"status": {"observedGeneration": 1}},
        namespace="ns",
        subresource="status",
    )
    assert calls == [("ok", False)], "metadata and status writes are not judged"
    with pytest.raises(errors.Invalid):
        await kube.patch(kinds.DEPLOYMENTS, "ok", {"spec": {"replicas": 13}}, namespace="ns")
    (stored,) = kube.objects(kinds.DEPLOYMENTS, "ns")
    assert stored["spec"]["replicas"] == 1
    assert calls[-1] == ("ok", True)


async def test_kinds_without_a_validator_are_not_judged(kube: apiservers.Kube) -> None:
    await kube.create(
        kinds.CONFIGMAPS, {"metadata": {"name": "c"}, "data": {"replicas": "13"}}, namespace="ns"
    )
    assert calls == []
    assert [o["metadata"]["name"] for o in kube.objects(kinds.CONFIGMAPS, "ns")] == ["c"]
