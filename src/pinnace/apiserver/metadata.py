"""Object metadata rules: names, labels, and what the server owns on create and update.

The server sets `uid`, `creationTimestamp`, `generation` and (through the
store) `resourceVersion`; clients may not change them, nor `namespace`/`name`
of an existing object. `generation` moves only when something outside
`metadata` and `status` changes.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from pinnace.apiserver import errors
from pinnace.kits.kube.objects import Object

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

# Kinds whose names must be DNS labels rather than subdomains (kube's validation).
_LABEL_NAMED = frozenset({"Namespace"})
_DNS1035_NAMED = frozenset({"Service"})
# RBAC objects are named by path segment (kube's ValidateRBACName): `namespaceAdmin` is valid.
_PATH_SEGMENT_NAMED = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})

_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def generate_name(prefix: str) -> str:
    """kube's SimpleNameGenerator: the prefix (cut to fit) plus five random characters."""
    suffix = "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))
    return prefix[: 63 - 5] + suffix


def name_causes(kind: str, name: str, field: str = "metadata.name") -> list[errors.Cause]:
    """Why `name` is not a valid name for `kind` (empty when it is)."""
    if not name:
        return [
            errors.cause(
                field, "Required value: name or generateName is required", "FieldValueRequired"
            )
        ]
    if kind in _PATH_SEGMENT_NAMED:
        return _path_segment_causes(name, field)
    if kind in _DNS1035_NAMED:
        ok, msg, limit = bool(_DNS1035_LABEL.match(name)), DNS1035_MSG, 63
    elif kind in _LABEL_NAMED:
        ok, msg, limit = bool(_DNS1123_LABEL.match(name)), LABEL_MSG, 63
    else:
        ok, msg, limit = bool(_DNS1123_SUBDOMAIN.match(name)), SUBDOMAIN_MSG, 253
    causes = []
    if len(name) > limit:
        causes.append(
            errors.cause(field, f'Invalid value: "{name}": must be no more than {limit} characters')
        )
    if not ok:
        causes.append(errors.cause(field, f'Invalid value: "{name}": {msg}'))
    return causes


def _path_segment_causes(name: str, field: str) -> list[errors.Cause]:
    """k8s.io/apimachinery's IsValidPathSegmentName, with its wording."""
    if name in {".", ".."}:
        return [errors.cause(field, f"Invalid value: \"{name}\": may not be '{name}'")]
    return [
        errors.cause(field, f"Invalid value: \"{name}\": may not contain '{bad}'")
        for bad in ("/", "%")
        if bad in name
    ]


def _qualified_name_causes(key: str, field: str) -> list[errors.Cause]:
    prefix, _, name = key.rpartition("/")
    causes = []
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        causes.append(errors.cause(field, f'Invalid value: "{key}": prefix part {SUBDOMAIN_MSG}'))
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        causes.append(
            errors.cause(
                field,
                f'Invalid value: "{key}": name part must consist of alphanumeric characters, '
                "'-', '_' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            )
        )
    return causes


def metadata_causes(obj: Object) -> list[errors.Cause]:
    """Label and annotation syntax, and metadata field types."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [errors.cause("metadata", "Required value", "FieldValueRequired")]
    causes: list[errors.Cause] = []
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        return [errors.cause("metadata.labels", "Invalid value: must be a map of strings")]
    for key, value in labels.items():
        causes += _qualified_name_causes(key, "metadata.labels")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(
                errors.cause(
                    "metadata.labels",
                    f'Invalid value: "{value}": a valid label must be an empty string or consist '
                    "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                    "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                )
            )
    annotations = meta.get("annotations") or {}
    if not isinstance(annotations, dict):
        return [*causes, errors.cause("metadata.annotations", "Invalid value: must be a map")]
    for key, value in annotations.items():
        causes += _qualified_name_causes(key, "metadata.annotations")
        if not isinstance(value, str):
            causes.append(
                errors.cause(f"metadata.annotations[{key}]", "Invalid value: must be a string")
            )
    total = sum(len(k) + len(v) for k, v in annotations.items() if isinstance(v, str))
    if total > 256 * 1024:
        causes.append(
            errors.cause(
                "metadata.annotations",
                "Too long: must have at most 262144 bytes",
                "FieldValueTooLong",
            )
        )
    finalizers = meta.get("finalizers") or []
    if not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers):
        causes.append(
            errors.cause("metadata.finalizers", "Invalid value: must be a list of strings")
        )
    owners = meta.get("ownerReferences") or []
    if not isinstance(owners, list):
        causes.append(errors.cause("metadata.ownerReferences", "Invalid value: must be a list"))
    else:
        for i, ref in enumerate(owners):
            for required in ("apiVersion", "kind", "name", "uid"):
                if not isinstance(ref, dict) or not ref.get(required):
                    causes.append(
                        errors.cause(
                            f"metadata.ownerReferences[{i}].{required}",
                            "Required value",
                            "FieldValueRequired",
                        )
                    )
    return causes


def init_on_create(obj: Object, now: str) -> None:
    """Server-owned metadata of a new object."""
    meta = obj["metadata"]
    for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(key, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now
    meta["generation"] = 1


def carry_on_update(new: Object, old: Object) -> None:
    """Keep what the client may not change; bump generation when the spec moved."""
    meta, old_meta = new["metadata"], old["metadata"]
    for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if old_meta.get("namespace"):
        meta["namespace"] = old_meta["namespace"]
    generation = int(old_meta.get("generation") or 1)
    meta["generation"] = generation + 1 if spec_changed(new, old) else generation


def spec_changed(new: Object, old: Object) -> bool:
    ignored = ("metadata", "status", "apiVersion", "kind")
    keys = (set(new) | set(old)) - set(ignored)
    return any(new.get(k) != old.get(k) for k in keys)


def same_content(new: Object, old: Object) -> bool:
    """A no-op write: equal but for resourceVersion (and server-kept generation)."""
    a = {**new, "metadata": _comparable(new.get("metadata") or {})}
    b = {**old, "metadata": _comparable(old.get("metadata") or {})}
    return a == b


def _comparable(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != "resourceVersion"}


def update_causes(new: Object, old: Object) -> list[errors.Cause]:
    """Metadata rules of an update: no new finalizers once deletion has begun."""
    if not old["metadata"].get("deletionTimestamp"):
        return []
    added = set(new["metadata"].get("finalizers") or []) - set(
        old["metadata"].get("finalizers") or []
    )
    if not added:
        return []
    return [
        errors.cause(
            "metadata.finalizers",
            "Forbidden: no new finalizers can be added if the object is being deleted, "
            "found new finalizers " + str(sorted(added)),
            "FieldValueForbidden",
        )
    ]
