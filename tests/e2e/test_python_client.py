"""The `kubernetes` Python client: custom objects, status, watches with resume and 410, conflicts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import kubernetes
import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from tests.e2e.conftest import Platform, wait_for

KUBERNETES_31 = int(kubernetes.__version__.split(".")[0]) >= 31

# A kind no controller acts on (a Notebook now has one, which writes its status).
GROUP, VERSION, PLURAL = "clients.pinnace.dev", "v1", "servers"
CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servers.clients.pinnace.dev}
spec:
  group: clients.pinnace.dev
  scope: Namespaced
  names: {plural: servers, singular: server, kind: Server}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, properties: {readyReplicas: {type: integer}}}
"""


def _server(name: str) -> dict[str, object]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Server",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": name, "image": "jupyter"}]}}},
    }


@pytest.fixture
def api(platform: Platform) -> Iterator[client.ApiClient]:
    platform.kubectl("apply", "-f", "-", input=CRD)
    wait_for(
        lambda: platform.kubectl("get", PLURAL, "-A", check=False).returncode == 0,
        what="the test CRD served",
    )
    api_client = config.new_client_from_config(config_file=str(platform.kubeconfig))
    yield api_client
    api_client.close()


def test_custom_objects_crud_and_status(api: client.ApiClient, namespace: str) -> None:
    custom = client.CustomObjectsApi(api)
    created = custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, _server("py")
    )
    assert created["metadata"]["uid"]
    got = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "jupyter"
    listed = custom.list_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, label_selector=""
    )
    assert [o["metadata"]["name"] for o in listed["items"]] == ["py"]
    everywhere = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert any(o["metadata"]["namespace"] == namespace for o in everywhere["items"])
    patched = custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "py", {"status": {"readyReplicas": 1}}
    )
    assert patched["status"]["readyReplicas"] == 1
    got = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    got["spec"]["template"]["spec"]["containers"][0]["image"] = "jupyter:2"
    replaced = custom.replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py", got)
    assert replaced["metadata"]["generation"] == 2
    assert replaced["status"]["readyReplicas"] == 1, "a main-resource write must keep status"
    with pytest.raises(ApiException) as stale:
        custom.replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py", got)
    assert stale.value.status == 409
    json_patch = [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}]
    custom.api_client.set_default_header("Content-Type", "application/json-patch+json")
    try:
        labelled = custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            "py",
            json_patch,
            # kubernetes<31 (what kfp 2.17 allows) has no _content_type; the header above serves
            **({"_content_type": "application/json-patch+json"} if KUBERNETES_31 else {}),
        )
    finally:
        custom.api_client.default_headers.pop("Content-Type", None)
    assert labelled["metadata"]["labels"] == {"a": "b"}
    custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    with pytest.raises(ApiException) as gone:
        custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "py")
    assert gone.value.status == 404


def test_watch_initial_state_then_resume(api: client.ApiClient, namespace: str) -> None:
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, _server("w1"))
    first = [
        (e["type"], e["object"]["metadata"]["name"])
        for e in watch.Watch().stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            timeout_seconds=1,
        )
    ]
    assert first == [("ADDED", "w1")]
    rv = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["metadata"][
        "resourceVersion"
    ]

    def later() -> None:
        # Racing the watch's start on purpose: replayed from `rv` or live, each change
        # arrives exactly once and in order.
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, _server("w2"))
        custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "w1")

    threading.Thread(target=later).start()
    seen = []
    w = watch.Watch()
    for event in w.stream(
        custom.list_namespaced_custom_object,
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        resource_version=rv,
        timeout_seconds=10,
    ):
        seen.append((event["type"], event["object"]["metadata"]["name"]))
        if len(seen) == 2:
            w.stop()
    assert seen == [("ADDED", "w2"), ("DELETED", "w1")]


def test_watch_from_expired_version_raises_410(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    old_rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    # The session platform keeps 500 changes for watch resumption (--watch-history): churn past it.
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="churn"))
    )
    for i in range(520):
        core.patch_namespaced_config_map("churn", namespace, {"data": {"i": str(i)}})
    with pytest.raises(ApiException) as expired:
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map, namespace, resource_version=old_rv, timeout_seconds=5
        ):
            pass
    assert expired.value.status == 410


def test_pod_logs_through_the_client(
    api: client.ApiClient, namespace: str, platform: Platform
) -> None:
    platform.kubectl(
        "run",
        "logger",
        "-n",
        namespace,
        "--image=python:3.11",
        "--restart=Never",
        "--",
        "python3",
        "-c",
        "print('from the client')",
    )
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + 30
    while core.read_namespaced_pod("logger", namespace).status.phase != "Succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert core.read_namespaced_pod_log("logger", namespace) == "from the client\n"
