"""Shared fixtures for the api package tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

_WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Cluster",
        "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object"}},
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.size",
                        "statusReplicasPath": ".status.size",
                    },
                },
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size", "priority": 1}
                ],
            },
            {"name": "v0", "served": False, "storage": False},
            {"name": "v1beta1", "served": True, "storage": False},
        ],
    },
}


@pytest.fixture
def widget_crd() -> dict[str, Any]:
    """A small cluster-scoped CRD with two served versions, status, scale and a column."""
    return copy.deepcopy(_WIDGET_CRD)
