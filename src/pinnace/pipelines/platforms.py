"""The kfp-kubernetes platform spec: per-executor pod settings, typed, checked, resolved.

`loading` keeps the IR's second document as data (`Pipeline.platform`);
`parse` turns its `platforms.kubernetes` part into an `ExecutorConfig` per
executor label plus the run's `Workspace` (`dsl.WorkspaceConfig`), collecting
a `Problem` naming the task and field for what cannot work on one machine
(`check` is in `checks.CHECKS`, so such a run fails at validation, before any
pod). The engine (`advancing`) calls `resolve` for each task pod, binding
names given as pipeline inputs or upstream outputs, and `pods.manifest` adds
the resulting `PodSettings` to the pod: secrets and config maps as env vars
(`valueFrom`) or volumes, PVC mounts, emptyDirs (and generic ephemeral
volumes, which are emptyDirs here), field paths as env, pod labels and
annotations, `activeDeadlineSeconds` (the runtime enforces it) and the
workspace claim at /kfp-workspace; each mount path is also named in an env
var (`launches.MOUNT_ENV`), so the launcher learns where the local runtime
really put it and points parameter values and args under it there. Scheduling fields (node selectors,
affinities, tolerations), image pull settings, shared memory and the
security context have no meaning for a local process: they are ignored and
named in the pod's `pipelines.kubeflow.org/ignored` annotation.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import launches, specs
from pinnace.pipelines.errors import Problem

WORKSPACE_MOUNT = launches.WORKSPACE_MOUNT
ANNOTATION_IGNORED = "pipelines.kubeflow.org/ignored"

IGNORED = (
    "nodeSelector",
    "nodeAffinity",
    "podAffinity",
    "tolerations",
    "imagePullPolicy",
    "imagePullSecret",
    "enabledSharedMemory",
    "securityContext",
)
"""Fields accepted and ignored: one machine has one node, no images to pull, one user."""


class SourceKind(enum.StrEnum):
    SECRET = "secret"
    CONFIG_MAP = "configMap"


@dataclass(frozen=True, slots=True)
class NameRef:
    """A name given as a constant, a pipeline (DAG) input, or an upstream task's output."""

    constant: str | None = None
    component_input: str | None = None
    producer: tuple[str, str] | None = None

    def __str__(self) -> str:
        if self.component_input is not None:
            return f"input {self.component_input!r}"
        if self.producer is not None:
            return f"output {self.producer[1]!r} of task {self.producer[0]!r}"
        return repr(self.constant or "")


@dataclass(frozen=True, slots=True)
class Source:
    """A secret or config map as env vars (`keys`: key → env var) or as a volume."""

    kind: SourceKind
    name: NameRef
    optional: bool = False
    keys: tuple[tuple[str, str], ...] = ()
    mount_path: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    name: NameRef
    mount_path: str
    sub_path: str = ""


@dataclass(frozen=True, slots=True)
class EmptyDir:
    volume_name: str
    mount_path: str
    medium: str = ""
    size_limit: str = ""


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    env: tuple[Source, ...] = ()
    volumes: tuple[Source, ...] = ()
    claims: tuple[Claim, ...] = ()
    empty_dirs: tuple[EmptyDir, ...] = ()
    field_env: tuple[tuple[str, str], ...] = ()
    """(env var, fieldPath)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    active_deadline_seconds: int | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workspace:
    size: str
    storage_class: str = ""
    access_modes: tuple[str, ...] = ("ReadWriteOnce",)


@dataclass(frozen=True, slots=True)
class Platform:
    executors: Mapping[str, ExecutorConfig] = field(default_factory=dict)
    workspace: Workspace | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class PodSettings:
    """What a task pod gets from the platform spec, names resolved, in pod-manifest form."""

    env: tuple[Object, ...] = ()
    volumes: tuple[Object, ...] = ()
    mounts: tuple[Object, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    active_deadline_seconds: int | None = None

    @property
    def mount_paths(self) -> tuple[str, ...]:
        return tuple(str(m["mountPath"]) for m in self.mounts)


class ResolveError(Exception):
    """A name bound to an input or output that has no value; the message names the field."""


# -- parsing ------------------------------------------------------------------------------


def _tasks_by_executor(pipeline: specs.Pipeline) -> dict[str, str]:
    """executor label → the name of (the first) task that runs it, for problem messages."""
    out: dict[str, str] = {}
    for comp in (pipeline.root, *pipeline.components.values()):
        if comp.dag is None:
            continue
        for task in comp.dag.tasks.values():
            executor = pipeline.components.get(task.component)
            if executor is not None and executor.executor:
                out.setdefault(executor.executor, task.name)
    return out


def _name_ref(entry: Mapping[str, Any], name_field: str) -> NameRef:
    param = entry.get(f"{name_field}Parameter") or {}
    if not isinstance(param, Mapping):
        param = {}
    if "componentInputParameter" in param:
        return NameRef(component_input=str(param["componentInputParameter"]))
    out = param.get("taskOutputParameter")
    if isinstance(out, Mapping):
        return NameRef(producer=(str(out.get("producerTask")), str(out.get("outputParameterKey"))))
    runtime = param.get("runtimeValue")
    if isinstance(runtime, Mapping) and "constant" in runtime:
        return NameRef(constant=str(runtime["constant"]))
    # Older kfp-kubernetes: the plain fields only.
    if name_field == "pvcName":
        if entry.get("componentInputParameter"):
            return NameRef(component_input=str(entry["componentInputParameter"]))
        if isinstance(entry.get("taskOutputParameter"), Mapping):
            t = entry["taskOutputParameter"]
            return NameRef(producer=(str(t.get("producerTask")), str(t.get("outputParameterKey"))))
        return NameRef(constant=str(entry.get("constant") or ""))
    return NameRef(constant=str(entry.get(name_field) or ""))


def _sources(
    kind: SourceKind, items: Any, *, env: bool, name_field: str, key_field: str
) -> tuple[Source, ...]:
    out = []
    for entry in items if isinstance(items, list) else []:
        keys = tuple(
            (str(k.get(key_field) or ""), str(k.get("envVar") or ""))
            for k in entry.get("keyToEnv") or []
        )
        out.append(
            Source(
                kind,
                _name_ref(entry, name_field),
                optional=bool(entry.get("optional")),
                keys=keys if env else (),
                mount_path="" if env else str(entry.get("mountPath") or ""),
            )
        )
    return tuple(out)


def _executor(
    label: str, body: Mapping[str, Any], task: str | None
) -> tuple[ExecutorConfig, list[Problem]]:
    problems: list[Problem] = []
    where = f"platforms.kubernetes.deploymentSpec.executors[{label!r}]"
    known = {
        "secretAsEnv",
        "secretAsVolume",
        "configMapAsEnv",
        "configMapAsVolume",
        "pvcMount",
        "emptyDirMounts",
        "genericEphemeralVolume",
        "fieldPathAsEnv",
        "podMetadata",
        "activeDeadlineSeconds",
        *IGNORED,
    }
    for name in body:
        if name not in known:
            problems.append(Problem(f"{where}.{name}", "not supported by pinnace", task))
    claims = tuple(
        Claim(_name_ref(m, "pvcName"), str(m.get("mountPath") or ""), str(m.get("subPath") or ""))
        for m in body.get("pvcMount") or []
    )
    empty = [
        EmptyDir(
            str(e.get("volumeName") or ""),
            str(e.get("mountPath") or ""),
            str(e.get("medium") or ""),
            str(e.get("sizeLimit") or ""),
        )
        for e in body.get("emptyDirMounts") or []
    ]
    # A generic ephemeral volume is a claim that lives and dies with the pod: an emptyDir here.
    empty += [
        EmptyDir(str(e.get("volumeName") or ""), str(e.get("mountPath") or ""))
        for e in body.get("genericEphemeralVolume") or []
    ]
    deadline: int | None = None
    if body.get("activeDeadlineSeconds") not in (None, "", "0", 0):
        try:
            deadline = int(body["activeDeadlineSeconds"])
        except (TypeError, ValueError):
            deadline = 0
        if deadline <= 0:
            problems.append(
                Problem(f"{where}.activeDeadlineSeconds", "expected a positive integer", task)
            )
            deadline = None
    for path in (*(c.mount_path for c in claims), *(e.mount_path for e in empty)):
        if not path.startswith("/"):
            problems.append(Problem(f"{where}.mountPath", "expected an absolute path", task))
    meta = body.get("podMetadata") or {}
    config = ExecutorConfig(
        env=_sources(
            SourceKind.SECRET,
            body.get("secretAsEnv"),
            env=True,
            name_field="secretName",
            key_field="secretKey",
        )
        + _sources(
            SourceKind.CONFIG_MAP,
            body.get("configMapAsEnv"),
            env=True,
            name_field="configMapName",
            key_field="configMapKey",
        ),
        volumes=_sources(
            SourceKind.SECRET,
            body.get("secretAsVolume"),
            env=False,
            name_field="secretName",
            key_field="",
        )
        + _sources(
            SourceKind.CONFIG_MAP,
            body.get("configMapAsVolume"),
            env=False,
            name_field="configMapName",
            key_field="",
        ),
        claims=claims,
        empty_dirs=tuple(empty),
        field_env=tuple(
            (str(f.get("name") or ""), str(f.get("fieldPath") or ""))
            for f in body.get("fieldPathAsEnv") or []
        ),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        annotations={str(k): str(v) for k, v in (meta.get("annotations") or {}).items()},
        active_deadline_seconds=deadline,
        ignored=tuple(name for name in IGNORED if body.get(name) not in (None, "", [], {})),
    )
    return config, problems


def parse(pipeline: specs.Pipeline) -> Platform:
    """The pipeline's kubernetes platform spec, typed, with what cannot work as problems."""
    kube = (pipeline.platform.get("platforms") or {}).get("kubernetes") or {}
    if not isinstance(kube, Mapping):
        return Platform(problems=(Problem("platforms.kubernetes", "expected a mapping"),))
    tasks = _tasks_by_executor(pipeline)
    executors: dict[str, ExecutorConfig] = {}
    problems: list[Problem] = []
    for label, body in ((kube.get("deploymentSpec") or {}).get("executors") or {}).items():
        if not isinstance(body, Mapping):
            problems.append(
                Problem(
                    f"platforms.kubernetes.deploymentSpec.executors[{label!r}]",
                    "expected a mapping",
                )
            )
            continue
        if label not in pipeline.executors:
            problems.append(
                Problem(
                    f"platforms.kubernetes.deploymentSpec.executors[{label!r}]",
                    "no such executor in deploymentSpec",
                )
            )
        executors[str(label)], found = _executor(str(label), body, tasks.get(str(label)))
        problems += found
    workspace = None
    ws = ((kube.get("pipelineConfig") or {}).get("workspace")) or {}
    if ws:
        patch = (ws.get("kubernetes") or {}).get("pvcSpecPatch") or {}
        workspace = Workspace(
            size=str(ws.get("size") or "1Gi"),
            storage_class=str(patch.get("storageClassName") or ""),
            access_modes=tuple(patch.get("accessModes") or ("ReadWriteOnce",)),
        )
    return Platform(executors, workspace, tuple(problems))


def check(pipeline: specs.Pipeline) -> Iterator[Problem]:
    """For `checks.CHECKS`: the platform spec's problems."""
    yield from parse(pipeline).problems


# -- resolving ----------------------------------------------------------------------------


def _volume_name(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def workspace_claim(run: str) -> str:
    """The run's workspace PVC (owned by the run, so it goes with it, as in KFP)."""
    return f"{run}-kfp-workspace"


def workspace_manifest(run: Object, workspace: Workspace) -> Object:
    spec: Object = {
        "accessModes": list(workspace.access_modes),
        "resources": {"requests": {"storage": workspace.size}},
    }
    if workspace.storage_class:
        spec["storageClassName"] = workspace.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": workspace_claim(objects.name_of(run)),
            "namespace": objects.namespace_of(run),
            "ownerReferences": [objects.owner_reference(run)],
        },
        "spec": spec,
    }


Binder = Callable[[NameRef, str], str]
"""`bind(ref, field)`: the name `ref` stands for; raises `ResolveError` naming `field`."""


def resolve(
    config: ExecutorConfig | None, bind: Binder, *, workspace_claim: str = ""
) -> PodSettings:
    """The pod settings of one task execution (`workspace_claim`: the run's, if it has one)."""
    if config is None and not workspace_claim:
        return PodSettings()
    config = config or ExecutorConfig()
    env: list[Object] = []
    volumes: list[Object] = []
    mounts: list[Object] = []
    for src in config.env:
        name = bind(src.name, f"{src.kind.value}AsEnv")
        ref = "secretKeyRef" if src.kind is SourceKind.SECRET else "configMapKeyRef"
        for key, var in src.keys:
            selector = {"name": name, "key": key, **({"optional": True} if src.optional else {})}
            env.append({"name": var, "valueFrom": {ref: selector}})
    for var, path in config.field_env:
        env.append({"name": var, "valueFrom": {"fieldRef": {"fieldPath": path}}})
    for src in config.volumes:
        name = bind(src.name, f"{src.kind.value}AsVolume")
        vol = _volume_name(src.kind.value.lower(), f"{name}\0{src.mount_path}")
        body: Object = {"secretName": name} if src.kind is SourceKind.SECRET else {"name": name}
        if src.optional:
            body["optional"] = True
        volumes.append({"name": vol, src.kind.value: body})
        mounts.append({"name": vol, "mountPath": src.mount_path})
    for claim in config.claims:
        name = bind(claim.name, "pvcMount")
        vol = _volume_name("pvc", f"{name}\0{claim.mount_path}")
        volumes.append({"name": vol, "persistentVolumeClaim": {"claimName": name}})
        mount: Object = {"name": vol, "mountPath": claim.mount_path}
        if claim.sub_path:
            mount["subPath"] = claim.sub_path
        mounts.append(mount)
    for e in config.empty_dirs:
        empty: Object = {}
        if e.medium:
            empty["medium"] = e.medium
        if e.size_limit:
            empty["sizeLimit"] = e.size_limit
        volumes.append({"name": e.volume_name, "emptyDir": empty})
        mounts.append({"name": e.volume_name, "mountPath": e.mount_path})
    if workspace_claim:
        volumes.append(
            {"name": "kfp-workspace", "persistentVolumeClaim": {"claimName": workspace_claim}}
        )
        mounts.append({"name": "kfp-workspace", "mountPath": WORKSPACE_MOUNT})
    for i, mount in enumerate(mounts):  # the launcher learns where each mount really is
        env.append({"name": f"{launches.MOUNT_ENV}{i}", "value": mount["mountPath"]})
    annotations = dict(config.annotations)
    if config.ignored:
        annotations[ANNOTATION_IGNORED] = ",".join(config.ignored)
    return PodSettings(
        env=tuple(env),
        volumes=tuple(volumes),
        mounts=tuple(mounts),
        labels=dict(config.labels),
        annotations=annotations,
        active_deadline_seconds=config.active_deadline_seconds,
    )


# -- CreatePVC / DeletePVC ----------------------------------------------------------------

CREATE_PVC_IMAGE = "argostub/createpvc"
DELETE_PVC_IMAGE = "argostub/deletepvc"
CLAIM_IMAGES = (CREATE_PVC_IMAGE, DELETE_PVC_IMAGE)
"""kfp-kubernetes' `CreatePVC`/`DeletePVC` executors: stubs that KFP's driver carries out
itself; here the engine does, with no pod (like an importer)."""


@dataclass(frozen=True, slots=True)
class ClaimAction:
    name: str
    create: Object | None = None


def claim_action(image: str, params: Mapping[str, Any], *, run: str, namespace: str) -> ClaimAction:
    """What a CreatePVC/DeletePVC task does, from its resolved input parameters."""
    if image == DELETE_PVC_IMAGE:
        name = str(params.get("pvc_name") or "")
        if not name:
            raise ResolveError("inputs.parameters['pvc_name']: a claim name is required")
        return ClaimAction(name)
    for unsupported in ("volume_name", "data_source"):
        if params.get(unsupported):
            raise ResolveError(
                f"inputs.parameters[{unsupported!r}]: binding or cloning a volume is not supported"
                " on one machine (claims are directories under the data dir)"
            )
    name, suffix = str(params.get("pvc_name") or ""), str(params.get("pvc_name_suffix") or "")
    if name and suffix:
        raise ResolveError("inputs.parameters: give pvc_name or pvc_name_suffix, not both")
    if not name:
        name = f"{run}-{suffix.lstrip('-') or 'pvc'}"  # deterministic: one claim per run
    size = str(params.get("size") or "")
    if not size:
        raise ResolveError("inputs.parameters['size']: a size is required")
    spec: Object = {
        "accessModes": list(params.get("access_modes") or ["ReadWriteOnce"]),
        "resources": {"requests": {"storage": size}},
    }
    if params.get("storage_class_name"):
        spec["storageClassName"] = str(params["storage_class_name"])
    meta: Object = {"name": name, "namespace": namespace}
    if params.get("annotations"):
        meta["annotations"] = {str(k): str(v) for k, v in dict(params["annotations"]).items()}
    return ClaimAction(
        name, {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}
    )
