"""The spawner's objects: upstream-shaped, accepted by the API, and what the controller expects."""

from __future__ import annotations

import pytest

from pinnace.api import kinds
from pinnace.kits.kube import clients
from pinnace.notebooks import children, spawning


@pytest.mark.parametrize(
    ("request_", "limit"),
    [
        pytest.param("0.5", "0.6", id="cpu"),
        pytest.param("1Gi", "1.2Gi", id="memory"),
        pytest.param("500m", "600m", id="millicpu"),
    ],
)
def test_limits_are_the_request_times_the_factor(request_: str, limit: str) -> None:
    assert spawning.limit(request_) == limit


def test_a_bad_quantity_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        spawning.limit("lots")


async def test_the_api_accepts_them_and_the_workspace_is_the_home(kube: clients.Client) -> None:
    claim, notebook = spawning.objects_for(spawning.Form("lab", "ns", memory="2Gi"))
    await kube.create(kinds.PERSISTENTVOLUMECLAIMS, claim)
    created = await kube.create(kinds.NOTEBOOKS, notebook)
    (server,) = created["spec"]["template"]["spec"]["containers"]
    assert server["resources"]["limits"] == {"cpu": "0.6", "memory": "2.4Gi"}
    assert server["image"] == spawning.DEFAULT_IMAGE
    assert "command" not in server
    home = next(m for m in server["volumeMounts"] if m["mountPath"] == children.HOME)
    volume = next(
        v for v in created["spec"]["template"]["spec"]["volumes"] if v["name"] == home["name"]
    )
    assert volume["persistentVolumeClaim"]["claimName"] == "lab-workspace"
    # The controller adds no home of its own over the workspace.
    sts = children.stateful_set(created)
    assert children.HOME_VOLUME not in [
        v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]
    ]
