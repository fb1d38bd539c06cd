"""What kube-apiserver does per kind and clients rely on: status, Secret data, optional fields."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from tests.apiserver.conftest import Running, start, stop

from pinnace import runtime
from pinnace.apiserver import server

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"


def _template(app: str) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
        },
    }


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        pytest.param(
            f"{NS}/services",
            {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}},
            {"loadBalancer": {}},
            id="service",
        ),
        pytest.param(
            f"{APPS}/deployments",
            {"metadata": {"name": "d"}, "spec": _template("d")},
            {},
            id="deployment",
        ),
        pytest.param(
            f"{APPS}/statefulsets",
            {"metadata": {"name": "s"}, "spec": _template("s")},
            {"replicas": 0, "availableReplicas": 0},
            id="statefulset",
        ),
    ],
)
async def test_a_new_object_has_its_status(
    running: Running, path: str, body: dict[str, Any], status: dict[str, Any]
) -> None:
    created = await running.http.post(path, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == status
    got = (await running.http.get(f"{path}/{body['metadata']['name']}")).json()
    assert got["status"] == status
    listed = (await running.http.get(path)).json()["items"]
    assert [o["status"] for o in listed if o["metadata"]["name"] == body["metadata"]["name"]] == [
        status
    ]


async def test_status_set_on_create_is_dropped_but_the_initial_status_stays(
    running: Running,
) -> None:
    body = {
        "metadata": {"name": "lb"},
        "spec": {"ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}},
    }
    created = (await running.http.post(f"{NS}/services", json=body)).json()
    assert created["status"] == {"loadBalancer": {}}


PEM = b"-----BEGIN CERTIFICATE-----\n" + b"MIIB" * 40 + b"\n-----END CERTIFICATE-----\n"


def _wrapped(text: str, newline: str, width: int = 64) -> str:
    return newline.join(text[i : i + width] for i in range(0, len(text), width)) + newline


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(base64.encodebytes(PEM).decode(), id="wrapped-at-76"),
        pytest.param(base64.b64encode(PEM).decode() + "\n", id="trailing-newline"),
        pytest.param(_wrapped(base64.b64encode(PEM).decode(), "\r\n"), id="crlf-at-64"),
    ],
)
async def test_secret_data_may_contain_line_breaks(running: Running, encoded: str) -> None:
    assert "\n" in encoded
    body = {"metadata": {"name": "tls"}, "type": "Opaque", "data": {"tls.crt": encoded}}
    r = await running.http.post(f"{NS}/secrets", json=body)
    assert r.status_code == 201, r.text
    stored = (await running.http.get(f"{NS}/secrets/tls")).json()["data"]["tls.crt"]
    assert stored == base64.b64encode(PEM).decode()


async def test_secret_data_that_is_not_base64_is_refused(running: Running) -> None:
    body = {"metadata": {"name": "bad"}, "data": {"k": "not base64!"}}
    r = await running.http.post(f"{NS}/secrets", json=body)
    assert r.status_code in (400, 422) and r.json()["kind"] == "Status"


async def test_statefulset_without_service_name_is_accepted(running: Running) -> None:
    body = {"metadata": {"name": "headless"}, "spec": _template("headless")}
    r = await running.http.post(f"{APPS}/statefulsets", json=body)
    assert r.status_code == 201, r.text
    assert "serviceName" not in r.json()["spec"]


async def test_required_fields_kube_validates_are_still_required(running: Running) -> None:
    pod = {
        "metadata": {"name": "env"},
        "spec": {"containers": [{"name": "main", "image": "python:3.11", "env": [{"value": "x"}]}]},
    }
    r = await running.http.post(f"{NS}/pods", json=pod)
    assert r.status_code == 422
    assert [c["field"] for c in r.json()["details"]["causes"]] == ["spec.containers[0].env[0].name"]


async def test_kubernetes_service_points_at_the_api_server(tmp_path: Path) -> None:
    url = "http://127.0.0.1:18443"
    api, srv, task, _url = await start(tmp_path, server.Settings(advertise_url=url))
    try:
        svc = api.store.get("/services", "default", "kubernetes")
        endpoints = api.store.get("/endpoints", "default", "kubernetes")
        assert svc is not None and endpoints is not None
        assert svc["spec"]["clusterIP"] == "10.96.0.1"
        assert svc["spec"]["ports"] == [
            {"name": "https", "protocol": "TCP", "port": 443, "targetPort": 18443}
        ]
        subset = endpoints["subsets"][0]
        env = runtime.base_environment(url)
        assert subset["addresses"] == [{"ip": env["KUBERNETES_SERVICE_HOST"]}]
        assert subset["ports"][0]["port"] == int(env["KUBERNETES_SERVICE_PORT"])
    finally:
        await stop(api, srv, task)
    # After a restart on another port the Service stays and its Endpoints follow.
    moved = "http://127.0.0.1:18444"
    api, srv, task, _url = await start(tmp_path, server.Settings(advertise_url=moved))
    try:
        endpoints = api.store.get("/endpoints", "default", "kubernetes")
        assert endpoints is not None and endpoints["subsets"][0]["ports"][0]["port"] == 18444
        svc = api.store.get("/services", "default", "kubernetes")
        assert svc is not None and svc["spec"]["clusterIP"] == "10.96.0.1"
    finally:
        await stop(api, srv, task)


async def test_new_services_get_addresses_after_the_kubernetes_service(running: Running) -> None:
    r = await running.http.post(
        f"{NS}/services", json={"metadata": {"name": "next"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert r.json()["spec"]["clusterIP"] == "10.96.0.2"


async def test_a_new_crd_is_established_at_its_creation_time(running: Running) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    r = await running.http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd)
    assert r.status_code == 201, r.text
    created = r.json()
    conditions = {c["type"]: c for c in created["status"]["conditions"]}
    assert conditions["Established"]["status"] == "True"
    stamp = created["metadata"]["creationTimestamp"]
    assert {c["lastTransitionTime"] for c in conditions.values()} == {stamp}
    served = await running.http.get("/apis/example.com/v1/namespaces/default/widgets")
    assert served.status_code == 200
