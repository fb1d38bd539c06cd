"""Structural-schema validation: unknown fields, pruning, defaulting, schema errors.

The write path (create/update/patch) calls `validate_object(info, obj)` once the
body is decoded and before it is stored. One walk over the object against its
OpenAPI v3 schema (a CRD version's openAPIV3Schema, or a built-in definition
followed through `$ref` in `pinnace.api.schemas`) gives, like kube-apiserver:

- `unknown`: dotted paths (`spec.containers[0].imagee`) of fields the schema does
  not know, for `fieldValidation` Strict (400 `strict decoding error: …`, see
  `strict_message`) or Warn (one warning header each, `unknown_field_warning`);
- `obj`: a copy pruned of those fields, with `default:`s applied (what gets stored);
- `causes`: schema violations as Status causes, worded like the apiserver.

Order is the apiserver's: prune, default, then validate. `metadata` is checked
only for unknown fields and for name/generateName; its values are validated
elsewhere. Built-in kinds are decoded by Go structs upstream, so for them `null`
is accepted everywhere (`nulls_ok`) and no defaults exist in their schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.api import constraints, schemas
from pinnace.api.infos import ResourceInfo
from pinnace.api.schemas import required as kube_required
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

Schema = Mapping[str, Any]

REQUIRED = "FieldValueRequired"
TYPE_INVALID = "FieldValueTypeInvalid"
INVALID = constraints.INVALID
NOT_SUPPORTED = constraints.NOT_SUPPORTED
TOO_LONG = constraints.TOO_LONG
TOO_MANY = constraints.TOO_MANY

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")


@dataclass(frozen=True, slots=True)
class Cause:
    """One `details.causes[]` entry of a 422 Invalid Status."""

    reason: str
    message: str
    field: str

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass(slots=True)
class Validation:
    """The outcome of one walk: the pruned+defaulted object, unknown fields, errors."""

    obj: Object
    unknown: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)


def schema_of(info: ResourceInfo) -> Schema | None:
    """The root schema of a kind, or None when it has none (a CRD without a schema)."""
    if info.definition:
        return schemas.definition(info.definition)
    return info.openapi_schema


def validate_object(info: ResourceInfo, obj: Object, *, require_name: bool = True) -> Validation:
    """Validate `obj` (not modified) as `info`'s kind; see the module docstring.

    A kind without a schema accepts anything: `obj` comes back copied and unchanged.
    """
    schema = schema_of(info)
    if schema is None:
        return Validation(objects.clone(obj))
    result = validate(
        obj,
        schema,
        nulls_ok=not info.is_custom,
        apply_defaults=info.is_custom,
        builtin=None if info.is_custom else info.definition,
    )
    if require_name:
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        if not meta.get("name") and not meta.get("generateName"):
            result.causes.insert(
                0,
                Cause(
                    REQUIRED, "Required value: name or generateName is required", "metadata.name"
                ),
            )
    return result


def validate(
    obj: Object,
    schema: Schema,
    *,
    nulls_ok: bool = False,
    apply_defaults: bool = True,
    builtin: str | None = None,
) -> Validation:
    """Walk `obj` against a root `schema`; `obj` itself is never modified.

    `builtin` names the built-in definition `schema` is: then only the `required`
    fields kube-apiserver's validation enforces are required (`schemas.required`).
    """
    walker = _Walker(nulls_ok=nulls_ok, apply_defaults=apply_defaults, builtin=builtin is not None)
    out = objects.clone(obj)
    root = schemas.resolve(schema)
    walker.root(out, root, builtin or schemas.ref_name(schema))
    return Validation(out, walker.unknown, walker.causes)


def strict_message(unknown: list[str]) -> str:
    """The 400 BadRequest message for fieldValidation=Strict."""
    return "strict decoding error: " + ", ".join(unknown_field_warning(p) for p in unknown)


def unknown_field_warning(path: str) -> str:
    """One `Warning:` header text for fieldValidation=Warn."""
    return f'unknown field "{path}"'


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_type(value: Any, type_: str) -> bool:
    if type_ == "object":
        return isinstance(value, dict)
    if type_ == "array":
        return isinstance(value, list)
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if type_ == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


class _Walker:
    def __init__(self, *, nulls_ok: bool, apply_defaults: bool, builtin: bool = False) -> None:
        self.nulls_ok = nulls_ok
        self.apply_defaults = apply_defaults
        self.builtin = builtin
        """Built-in schemas: `required` is what kube's validation enforces, not the OpenAPI list."""
        self.unknown: list[str] = []
        self.causes: list[Cause] = []

    def _required_of(self, schema: Schema, definition: str | None) -> Iterable[str]:
        if not self.builtin:
            return schema.get("required") or ()
        return kube_required.enforced(definition) if definition else ()

    def root(self, obj: Object, schema: Schema, definition: str | None = None) -> None:
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            self._object(meta, schemas.definition(_OBJECT_META), "metadata", structural_only=True)
        props = dict(schema.get("properties") or {})
        for name in _ROOT_FIELDS:
            props.pop(name, None)
        wanted = [r for r in self._required_of(schema, definition) if r not in _ROOT_FIELDS]
        rest = {k: v for k, v in obj.items() if k not in _ROOT_FIELDS}
        self._object(rest, {**schema, "properties": props}, "", required=wanted)
        for key in list(obj):
            if key not in _ROOT_FIELDS and key not in rest:
                del obj[key]
        obj.update(rest)

    # -- errors ------------------------------------------------------------

    def _add(self, reason: str, path: str, value: Any, detail: str = "") -> None:
        kind = {
            REQUIRED: "Required value",
            NOT_SUPPORTED: "Unsupported value",
            TOO_LONG: "Too long",
            TOO_MANY: "Too many",
        }.get(reason, "Invalid value")
        if reason in (REQUIRED, TOO_LONG):
            message = kind
        else:
            message = f"{kind}: {constraints.go_value(value)}"
        if detail:
            message += f": {detail}"
        self.causes.append(Cause(reason, message, path))

    def _type_error(self, path: str, value: Any, expected: str) -> None:
        actual = _type_name(value)
        self._add(
            TYPE_INVALID, path, actual, f'{path} in body must be of type {expected}: "{actual}"'
        )

    # -- walking -----------------------------------------------------------

    def _value(self, value: Any, schema: Schema, path: str) -> None:
        definition = schemas.ref_name(schema) if self.builtin else None
        if definition is not None or not self.builtin:
            schema = schemas.resolve(schema)
        if value is None:
            if not (schema.get("nullable") or self.nulls_ok or _untyped(schema)):
                self._type_error(path, value, _expected(schema))
            return
        if schema.get("x-kubernetes-int-or-string"):
            if not (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
                self._type_error(path, value, "integer,string")
                return
        elif "type" in schema and not _is_type(value, str(schema["type"])):
            self._type_error(path, value, str(schema["type"]))
            return
        if isinstance(value, dict) and ("properties" in schema or "additionalProperties" in schema):
            self._object(value, schema, path, required=self._required_of(schema, definition))
        elif isinstance(value, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
            if schema.get("type") == "object":  # `type: object` alone prunes everything
                self._drop_all(value, path)
        elif isinstance(value, list):
            items = schema.get("items")
            if isinstance(items, Mapping):
                for i, item in enumerate(value):
                    self._value(item, items, f"{path}[{i}]")
        self._constraints(value, schema, path)

    def _drop_all(self, value: dict[str, Any], path: str) -> None:
        for key in list(value):
            self.unknown.append(_join(path, key))
            del value[key]

    def _object(
        self,
        value: dict[str, Any],
        schema: Schema,
        path: str,
        *,
        structural_only: bool = False,
        required: Iterable[str] = (),
    ) -> None:
        props: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields")) or extra is True
        embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        for key in list(value):
            if key in props or isinstance(extra, Mapping) or preserve:
                continue
            if embedded and key in _ROOT_FIELDS:
                continue
            self.unknown.append(_join(path, key))
            del value[key]
        if structural_only:
            for key, sub in props.items():
                if isinstance(value.get(key), (dict, list)):
                    self._structure(value[key], sub, _join(path, key))
            return
        for key, sub in props.items():
            sub = schemas.resolve(sub)
            missing = key not in value or (value[key] is None and not sub.get("nullable"))
            if self.apply_defaults and "default" in sub and missing:
                value[key] = objects.clone(sub["default"])
            if key in value and value[key] is None and not sub.get("nullable"):
                if not self.nulls_ok and not _untyped(sub):
                    del value[key]  # non-nullable nulls are pruned, as the apiserver does
                continue
            if key in value:
                self._value(value[key], sub, _join(path, key))
        if isinstance(extra, Mapping):
            for key in value:
                if key not in props:
                    self._value(value[key], extra, f"{path}[{key}]")
        for name in required:
            if name not in value:
                self._add(REQUIRED, _join(path, name), None)

    def _structure(self, value: Any, schema: Schema, path: str) -> None:
        """Unknown fields only (no types, no defaults): used for metadata."""
        schema = schemas.resolve(schema)
        if isinstance(value, dict) and "properties" in schema:
            self._object(value, schema, path, structural_only=True)
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            for i, item in enumerate(value):
                self._structure(item, schema["items"], f"{path}[{i}]")

    def _constraints(self, value: Any, schema: Schema, path: str) -> None:
        for problem in constraints.violations(value, schema, path):
            self._add(problem.reason, path, problem.value, problem.detail)
        for key in ("allOf", "anyOf", "oneOf"):
            branches = schema.get(key)
            if not branches or schema.get("x-kubernetes-int-or-string"):
                continue
            passed = [b for b in branches if self._passes(value, b, path)]
            if key == "allOf" and len(passed) != len(branches):
                self._add(INVALID, path, value, f"{path} in body must validate all the schemas")
            elif key == "anyOf" and not passed:
                self._add(INVALID, path, value, f"{path} in body must validate at least one schema")
            elif key == "oneOf" and len(passed) != 1:
                self._add(
                    INVALID, path, value, f"{path} in body must validate one and only one schema"
                )

    def _passes(self, value: Any, schema: Schema, path: str) -> bool:
        probe = _Walker(nulls_ok=self.nulls_ok, apply_defaults=False, builtin=self.builtin)
        probe._value(objects.clone(value), schema, path)
        return not probe.causes


def _untyped(schema: Schema) -> bool:
    return "type" not in schema and not schema.get("x-kubernetes-int-or-string")


def _expected(schema: Schema) -> str:
    if schema.get("x-kubernetes-int-or-string"):
        return "integer,string"
    return str(schema.get("type", "object"))
