"""The children's shapes, from a Notebook alone (upstream's generate* functions)."""

from __future__ import annotations

import pytest
from tests.notebooks.support import notebook

from pinnace.notebooks import children


def test_the_statefulset_runs_the_pod_template_with_upstream_additions() -> None:
    nb = notebook(labels={"access-ml-pipeline": "true"}, annotations={"team": "a"})
    sts = children.stateful_set(nb)
    assert sts["metadata"]["name"] == "nb"
    assert sts["spec"]["replicas"] == 1
    assert sts["spec"]["selector"] == {"matchLabels": {"statefulset": "nb"}}
    template = sts["spec"]["template"]
    assert template["metadata"]["labels"] == {
        "access-ml-pipeline": "true",
        "statefulset": "nb",
        "notebook-name": "nb",
    }
    assert template["metadata"]["annotations"] == {"team": "a"}
    (server,) = template["spec"]["containers"]
    assert {"name": "NB_PREFIX", "value": "/notebook/ns/nb"} in server["env"]
    assert server["workingDir"] == "/home/jovyan"
    assert server["ports"] == [{"containerPort": 8888, "name": "notebook-port", "protocol": "TCP"}]
    assert server["readinessProbe"]["tcpSocket"] == {"port": 8888}
    assert template["spec"]["securityContext"] == {"fsGroup": 100}
    # The workspace claim is at /home/jovyan: nothing is added over it.
    assert [v["name"] for v in template["spec"]["volumes"]] == ["workspace", "dshm"]
    assert "command" not in server


def test_the_notebook_object_is_not_changed() -> None:
    nb = notebook()
    before = repr(nb)
    children.stateful_set(nb)
    assert repr(nb) == before


def test_without_a_home_mount_the_home_is_an_empty_dir() -> None:
    nb = notebook()
    spec = nb["spec"]["template"]["spec"]
    spec["containers"][0]["volumeMounts"] = []
    spec["volumes"] = []
    template = children.stateful_set(nb)["spec"]["template"]["spec"]
    assert template["volumes"] == [{"name": "pinnace-home", "emptyDir": {}}]
    assert template["containers"][0]["volumeMounts"] == [
        {"name": "pinnace-home", "mountPath": "/home/jovyan"}
    ]


@pytest.mark.parametrize(
    ("annotations", "copied"),
    [
        pytest.param({"team": "a"}, {"team": "a"}, id="plain"),
        pytest.param({"kubeflow-resource-stopped": "2026-01-01T00:00:00Z"}, None, id="stopped"),
        pytest.param({"notebooks.kubeflow.org/last-activity": "x"}, None, id="culling"),
        pytest.param(
            {"kubectl.kubernetes.io/last-applied-configuration": "{}"}, None, id="kubectl"
        ),
    ],
)
def test_annotations_reach_the_pod_except_the_controllers_own(
    annotations: dict[str, str], copied: dict[str, str] | None
) -> None:
    template = children.stateful_set(notebook(annotations=annotations))["spec"]["template"]
    assert template["metadata"].get("annotations") == copied


def test_the_stop_annotation_scales_to_zero() -> None:
    nb = notebook(annotations={"kubeflow-resource-stopped": "2026-01-01T00:00:00Z"})
    assert children.stateful_set(nb)["spec"]["replicas"] == 0


def test_an_nb_prefix_in_the_spec_is_replaced_not_doubled() -> None:
    nb = notebook()
    nb["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "NB_PREFIX", "value": "/wrong"},
        {"name": "OTHER", "value": "1"},
    ]
    server = children.stateful_set(nb)["spec"]["template"]["spec"]["containers"][0]
    assert server["env"] == [
        {"name": "OTHER", "value": "1"},
        {"name": "NB_PREFIX", "value": "/notebook/ns/nb"},
    ]


def test_the_service_targets_the_first_container_port() -> None:
    assert children.service(notebook())["spec"]["ports"] == [
        {"name": "http-nb", "port": 80, "targetPort": 8888, "protocol": "TCP"}
    ]
    nb = notebook()
    nb["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    assert children.service(nb)["spec"]["ports"][0]["targetPort"] == 8080
    server = children.stateful_set(nb)["spec"]["template"]["spec"]["containers"][0]
    assert server["ports"] == [{"containerPort": 8080}]
    assert server["readinessProbe"]["tcpSocket"] == {"port": 8080}


def test_the_virtual_service_routes_the_prefix_on_the_kubeflow_gateway() -> None:
    vs = children.virtual_service(notebook())
    assert vs["metadata"]["name"] == "notebook-ns-nb"
    assert vs["spec"]["gateways"] == ["kubeflow/kubeflow-gateway"]
    assert vs["spec"]["hosts"] == ["*"]
    (route,) = vs["spec"]["http"]
    assert route["match"] == [{"uri": {"prefix": "/notebook/ns/nb/"}}]
    assert route["rewrite"] == {"uri": "/notebook/ns/nb/"}
    assert route["route"][0]["destination"] == {
        "host": "nb.ns.svc.cluster.local",
        "port": {"number": 80},
    }
    assert "headers" not in route


def test_rewrite_and_header_annotations() -> None:
    nb = notebook(
        annotations={
            "notebooks.kubeflow.org/http-rewrite-uri": "/",
            "notebooks.kubeflow.org/http-headers-request-set": '{"X-RStudio-Root-Path": "/x/"}',
        }
    )
    (route,) = children.virtual_service(nb)["spec"]["http"]
    assert route["rewrite"] == {"uri": "/"}
    assert route["headers"] == {"request": {"set": {"X-RStudio-Root-Path": "/x/"}}}
    bad = notebook(annotations={"notebooks.kubeflow.org/http-headers-request-set": "{nope"})
    assert "headers" not in children.virtual_service(bad)["spec"]["http"][0]


def test_no_server_container_is_an_error() -> None:
    nb = notebook()
    nb["spec"]["template"]["spec"]["containers"] = []
    with pytest.raises(ValueError, match="containers"):
        children.stateful_set(nb)
