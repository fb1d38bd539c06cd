from __future__ import annotations

import base64

import pytest

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType
from pinnace.runtime import envs

FACTS = envs.Facts(pod_ip="127.1.0.7", host_ip="127.0.0.1", allocatable={"cpu": "2"})
STORE: dict[tuple[str, str, str], Object] = {
    ("configmaps", "ns", "cfg"): {"data": {"A": "from-cm", "B": "b", "bad key": "x"}},
    ("secrets", "ns", "sec"): {"data": {"PASSWORD": base64.b64encode(b"s3cret").decode()}},
}


async def lookup(rt: ResourceType, namespace: str, name: str) -> Object | None:
    return STORE.get((rt.plural, namespace, name))


def pod(*containers: Object) -> Object:
    return {
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "u-1",
            "labels": {"app": "x"},
            "annotations": {"note": "hi"},
        },
        "spec": {"nodeName": "pinnace", "containers": list(containers)},
    }


async def test_env_sources_and_order() -> None:
    container = {
        "name": "main",
        "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "250m"}},
        "envFrom": [
            {"configMapRef": {"name": "cfg"}},
            {"secretRef": {"name": "sec"}, "prefix": "S_"},
        ],
        "env": [
            {"name": "B", "value": "override-$(A)"},
            {"name": "ESC", "value": "$$(A)"},
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {
                "name": "NOTE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['note']"}},
            },
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
            {
                "name": "MEM",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
            },
            {
                "name": "CPU_REQ",
                "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}},
            },
            {"name": "CPU_LIM", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "PASSWORD"}}},
            {
                "name": "OPT",
                "valueFrom": {"configMapKeyRef": {"name": "none", "key": "k", "optional": True}},
            },
            {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "A"}}},
        ],
    }
    env = await envs.resolve(
        pod(container), container, facts=FACTS, lookup=lookup, base={"PATH": "/bin"}
    )
    assert env == {
        "PATH": "/bin",
        "A": "from-cm",
        "B": "override-from-cm",
        "S_PASSWORD": "s3cret",
        "ESC": "$(A)",
        "NAME": "p",
        "UID": "u-1",
        "APP": "x",
        "NOTE": "hi",
        "IP": "127.1.0.7",
        "HOST": "127.0.0.1",
        "NODE": "pinnace",
        "SA": "default",
        "MEM": "64",
        "CPU_REQ": "250",
        "CPU_LIM": "2",
        "PW": "s3cret",
        "K": "from-cm",
    }


@pytest.mark.parametrize(
    ("var", "message"),
    [
        pytest.param(
            {"configMapKeyRef": {"name": "none", "key": "k"}}, 'configmap "none" not found', id="cm"
        ),
        pytest.param(
            {"configMapKeyRef": {"name": "cfg", "key": "zz"}}, "couldn't find key zz", id="key"
        ),
        pytest.param(
            {"secretKeyRef": {"name": "none", "key": "k"}}, 'secret "none" not found', id="secret"
        ),
        pytest.param({"fieldRef": {"fieldPath": "spec.bogus"}}, "unsupported fieldRef", id="field"),
    ],
)
async def test_missing_references(var: Object, message: str) -> None:
    container = {"name": "main", "env": [{"name": "X", "valueFrom": var}]}
    with pytest.raises(envs.ConfigError, match=message):
        await envs.resolve(pod(container), container, facts=FACTS, lookup=lookup, base={})


async def test_missing_env_from() -> None:
    container = {"name": "main", "envFrom": [{"secretRef": {"name": "gone"}}]}
    with pytest.raises(envs.ConfigError, match='secret "gone" not found'):
        await envs.resolve(pod(container), container, facts=FACTS, lookup=lookup, base={})
    container = {"name": "main", "envFrom": [{"secretRef": {"name": "gone", "optional": True}}]}
    assert await envs.resolve(pod(container), container, facts=FACTS, lookup=lookup, base={}) == {}


def test_kinds_are_the_api_coordinates() -> None:
    assert kinds.SECRETS.plural == "secrets"
