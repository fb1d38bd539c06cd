"""ServingRuntimes and KServe's rules for which one serves an InferenceService's model.

`reconciling` parses the namespace's ServingRuntimes and the ClusterServingRuntimes
(from their informers) into `Runtime` views and calls `select` with the predictor's
`inferenceservices.Model`; the chosen runtime's containers become the revision's pod
(`revisions`). The rules are KServe's (`GetSupportingRuntimes`,
`RuntimeSupportsModel`, `sortSupportedRuntimeByPriority`):

- an explicit `runtime` names a ServingRuntime in the namespace, else a
  ClusterServingRuntime; it must exist, not be disabled, and list the model's format
  (autoSelect does not matter);
- otherwise the candidates are the runtimes that are not disabled, not multi-model,
  speak the model's protocol (`protocolVersions`, default v1) and list the format with
  `autoSelect: true` (a model's format version, when given, must match the runtime's
  exactly or by major version);
- namespace runtimes come before cluster runtimes; within each, the newest first,
  then by name, then — stably — by the matching format's `priority`, higher first, a
  runtime without one last.

A model no runtime can serve is `NoRuntime`, which the controller reports as a
terminal `InvalidSpec` condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinnace.api.views import inferenceservices, metas
from pinnace.kits.kube.objects import Object

DEFAULT_PROTOCOL = "v1"


class NoRuntime(ValueError):
    """No (enabled, matching) runtime serves the model; the message says what was asked."""


@dataclass(frozen=True, slots=True)
class SupportedFormat:
    name: str
    version: str = ""
    auto_select: bool = False
    priority: int | None = None

    def accepts(self, model: inferenceservices.Model) -> bool:
        if self.name.lower() != model.format.lower():
            return False
        if not model.version:
            return True
        major = model.version.split(".")[0]
        return bool(self.version) and self.version in (model.version, major)


@dataclass(frozen=True, slots=True)
class Runtime:
    """A ServingRuntime (`cluster=False`) or ClusterServingRuntime, parsed once."""

    name: str
    cluster: bool
    created: str
    formats: tuple[SupportedFormat, ...]
    protocols: tuple[str, ...]
    disabled: bool
    multi_model: bool
    spec: Object
    """The raw spec (read-only): containers, volumes, labels, annotations..."""

    @property
    def kind(self) -> str:
        return "ClusterServingRuntime" if self.cluster else "ServingRuntime"

    def format_for(self, model: inferenceservices.Model) -> SupportedFormat | None:
        return next((f for f in self.formats if f.accepts(model)), None)

    def speaks(self, protocol: str) -> bool:
        return (protocol or DEFAULT_PROTOCOL) in (self.protocols or (DEFAULT_PROTOCOL,))

    @staticmethod
    def parse(obj: Object, *, cluster: bool) -> Runtime:
        meta = metas.Meta.parse(obj)
        spec = metas.section(obj, "spec")
        formats = tuple(
            SupportedFormat(
                name=str(f.get("name") or ""),
                version=str(f.get("version") or ""),
                auto_select=f.get("autoSelect") is True,
                priority=f.get("priority") if isinstance(f.get("priority"), int) else None,
            )
            for f in spec.get("supportedModelFormats") or []
            if isinstance(f, dict)
        )
        return Runtime(
            name=meta.name,
            cluster=cluster,
            created=str(metas.section(obj, "metadata").get("creationTimestamp") or ""),
            formats=formats,
            protocols=tuple(str(p) for p in spec.get("protocolVersions") or []),
            disabled=spec.get("disabled") is True,
            multi_model=spec.get("multiModel") is True,
            spec=spec,
        )


def _ordered(runtimes: list[Runtime], model: inferenceservices.Model) -> list[Runtime]:
    # newest first, then by name (two stable sorts), then by priority, stably
    by_name = sorted(runtimes, key=lambda r: r.name)
    by_age = sorted(by_name, key=lambda r: r.created, reverse=True)

    def rank(runtime: Runtime) -> tuple[int, int]:
        fmt = runtime.format_for(model)
        priority = fmt.priority if fmt is not None else None
        return (0, -priority) if priority is not None else (1, 0)

    return sorted(by_age, key=rank)


def candidates(
    model: inferenceservices.Model, namespaced: list[Runtime], cluster: list[Runtime]
) -> list[Runtime]:
    """Every runtime that may serve `model` without being named, best first."""

    def fits(runtime: Runtime) -> bool:
        fmt = runtime.format_for(model)
        return (
            not runtime.disabled
            and not runtime.multi_model
            and runtime.speaks(model.protocol_version)
            and fmt is not None
            and fmt.auto_select
        )

    return [
        *_ordered([r for r in namespaced if fits(r)], model),
        *_ordered([r for r in cluster if fits(r)], model),
    ]


def select(
    model: inferenceservices.Model, namespaced: list[Runtime], cluster: list[Runtime]
) -> Runtime:
    """The runtime that serves `model`, or `NoRuntime` saying why there is none."""
    if model.runtime:
        named = next((r for r in namespaced if r.name == model.runtime), None) or next(
            (r for r in cluster if r.name == model.runtime), None
        )
        if named is None:
            raise NoRuntime(
                f"No ServingRuntimes or ClusterServingRuntimes with the name: {model.runtime}"
            )
        if named.disabled:
            raise NoRuntime(f"Specified runtime {model.runtime} is disabled")
        if named.format_for(model) is None:
            raise NoRuntime(
                f"Specified runtime {model.runtime} does not support specified "
                f"framework/version {_described(model)}"
            )
        if not named.speaks(model.protocol_version):
            raise NoRuntime(
                f"Specified runtime {model.runtime} does not support protocol "
                f"{model.protocol_version or DEFAULT_PROTOCOL}"
            )
        return named
    found = candidates(model, namespaced, cluster)
    if not found:
        raise NoRuntime(
            f"No runtime found to support predictor with model type: {_described(model)}"
        )
    return found[0]


def _described(model: inferenceservices.Model) -> str:
    return f"{{{model.format}{' ' + model.version if model.version else ''}}}"
