"""The metadata KFP messages share: ids, times, names, storage state and namespaces.

KFP ids are `metadata.uid`s (finding.py), `created_at` is the creation
timestamp, and archiving is a label (docs/design/pipeline-kinds.md): the
helpers here read and write those the same way for every kind.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

GROUP = "pipelines.kubeflow.org"
STORAGE_STATE = f"{GROUP}/storage-state"
"""Label: `ARCHIVED` on an archived run or experiment (absent = AVAILABLE)."""
ARCHIVED, AVAILABLE = "ARCHIVED", "AVAILABLE"
PIPELINE_ID = f"{GROUP}/pipeline-id"
"""Label upstream puts on a PipelineVersion: its Pipeline's uid."""

_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def created_at(obj: Object) -> str | None:
    value = objects.meta(obj).get("creationTimestamp")
    return str(value) if value else None


def storage_state(obj: Object) -> str:
    return ARCHIVED if objects.labels_of(obj).get(STORAGE_STATE) == ARCHIVED else AVAILABLE


def storage_patch(state: str) -> dict[str, Any]:
    """The merge patch that archives (ARCHIVED) or restores (AVAILABLE) an object."""
    value = ARCHIVED if state == ARCHIVED else None
    return {"metadata": {"labels": {STORAGE_STATE: value}}}


def slug(text: str, limit: int = 40) -> str:
    """A DNS label made of `text` (lower case, runs of other characters → '-')."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return out or "x"


def object_name(display_name: str, limit: int = 63) -> str:
    """The object name for a KFP display name: itself when it is a DNS label, else a slug
    with a short hash of the display name (so two display names never share a name)."""
    if len(display_name) <= limit and _DNS.match(display_name):
        return display_name
    digest = hashlib.sha256(display_name.encode()).hexdigest()[:6]
    return f"{slug(display_name, limit - 7)}-{digest}"
