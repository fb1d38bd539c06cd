from __future__ import annotations

from typing import Any

from pinnace.api import infos


def test_from_crd_one_info_per_served_version(widget_crd: dict[str, Any]) -> None:
    v1, v1beta1 = infos.from_crd(widget_crd)
    assert (v1.group, v1.version, v1.plural, v1.kind) == ("example.com", "v1", "widgets", "Widget")
    assert not v1.namespaced
    assert v1.singular == "widget"
    assert v1.short_names == ("wd",)
    assert v1.has_status
    assert v1.scale == infos.ScalePaths(".spec.size", ".status.size", None)
    assert v1.subresource("scale") is not None
    assert v1.printer_columns == (infos.PrinterColumn("Size", "integer", ".spec.size", priority=1),)
    assert v1.openapi_schema == {"type": "object"}
    assert v1.storage
    assert v1.is_custom
    assert v1.crd_name == "widgets.example.com"
    assert v1beta1.version == "v1beta1"
    assert not v1beta1.has_status
    assert not v1beta1.storage
    assert v1beta1.openapi_schema is None
    assert v1beta1.verbs == infos.STANDARD_VERBS
