from __future__ import annotations

import pytest

from pinnace.api import builtins, schemas


def test_every_builtin_has_a_schema_definition() -> None:
    for info in builtins.BUILTINS:
        assert info.definition is not None
        root = schemas.definition(info.definition)
        gvks = root["x-kubernetes-group-version-kind"]
        assert {"group": info.group, "version": info.version, "kind": info.kind} in gvks


@pytest.mark.parametrize(
    ("plural", "short"),
    [
        pytest.param("pods", "po", id="pods"),
        pytest.param("services", "svc", id="services"),
        pytest.param("deployments", "deploy", id="deployments"),
        pytest.param("statefulsets", "sts", id="statefulsets"),
        pytest.param("configmaps", "cm", id="configmaps"),
        pytest.param("namespaces", "ns", id="namespaces"),
        pytest.param("endpoints", "ep", id="endpoints"),
        pytest.param("events", "ev", id="events"),
        pytest.param("serviceaccounts", "sa", id="serviceaccounts"),
        pytest.param("persistentvolumeclaims", "pvc", id="pvcs"),
        pytest.param("nodes", "no", id="nodes"),
    ],
)
def test_short_names_match_the_real_apiserver(plural: str, short: str) -> None:
    info = next(i for i in builtins.BUILTINS if i.plural == plural)
    assert short in info.short_names


def test_lookups_and_subresources() -> None:
    deploy = builtins.by_kind("apps", "v1", "Deployment")
    assert deploy is builtins.DEPLOYMENTS
    assert builtins.by_plural("", "v1", "pods") is builtins.PODS
    assert builtins.by_plural("", "v1", "nope") is None
    assert deploy.has_status
    scale = deploy.subresource("scale")
    assert scale is not None
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert builtins.PODS.subresource("log") is not None
    assert builtins.PODS.categories == ("all",)
    assert not builtins.CONFIGMAPS.has_status
    assert not builtins.NAMESPACES.namespaced
    assert "deletecollection" not in builtins.NAMESPACES.verbs
    assert builtins.BINDINGS.verbs == ("create",)
    assert builtins.CUSTOMRESOURCEDEFINITIONS.short_names == ("crd", "crds")


def test_definition_names_include_meta_types() -> None:
    names = builtins.definition_names()
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.Status" in names
    assert "io.k8s.api.autoscaling.v1.Scale" in names
    for name in names:
        assert schemas.definition(name)
