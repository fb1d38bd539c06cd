"""The contract between the run controller and the launcher: one task execution, resolved.

The controller (`pods`) resolves a task's inputs against the run's state and
puts a `Launch` into the task pod's `PINNACE_LAUNCH` environment variable as
JSON; the launcher (`launching`) reads it back and needs nothing else — no
API access, no IR. Results come back through the artifact store: the
launcher writes `Outputs` as JSON to `outputs_uri`, which the controller
reads when the pod has succeeded (docs/design/pipelines.md, "How outputs flow").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ENV = "PINNACE_LAUNCH"
WORKSPACE_MOUNT = "/kfp-workspace"
"""kfp's `dsl.constants.WORKSPACE_MOUNT_PATH`: where every task of a run sees its workspace."""
MOUNT_ENV = "PINNACE_MOUNT_"
"""`PINNACE_MOUNT_<i>` names the i-th of `Launch.mounts` in the pod's env; the local runtime
rewrites it to where the mount really is (its view), a cluster leaves it as it is."""


@dataclass(frozen=True, slots=True)
class Artifact:
    uri: str
    name: str = ""
    schema_title: str = "system.Artifact"
    schema_version: str = "0.0.1"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Artifact:
        """From this file's own form or the status form (`schemaTitle`, camelCase)."""
        return cls(
            uri=str(d["uri"]),
            name=str(d.get("name") or ""),
            schema_title=str(d.get("schema_title") or d.get("schemaTitle") or "system.Artifact"),
            schema_version=str(d.get("schema_version") or d.get("schemaVersion") or "0.0.1"),
            metadata=dict(d.get("metadata") or {}),
        )

    def to_status(self) -> dict[str, Any]:
        """As PipelineRun status shows it (camelCase, like every other status field)."""
        return {
            "uri": self.uri,
            "name": self.name,
            "schemaTitle": self.schema_title,
            "schemaVersion": self.schema_version,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True, slots=True)
class OutputArtifact:
    uri: str
    schema_title: str = "system.Artifact"
    schema_version: str = "0.0.1"


@dataclass(frozen=True, slots=True)
class Launch:
    run: str
    namespace: str
    task: str
    """The task's display name (`{{$.pipeline_task_name}}`)."""
    task_id: str
    command: tuple[Any, ...]
    args: tuple[Any, ...]
    outputs_uri: str
    task_root: str = ""
    """The task's directory in the store (`dsl.get_uri()` and executor_output.json live there)."""
    pipeline_name: str = ""
    pipeline_root: str = ""
    run_uid: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Mapping[str, tuple[Artifact, ...]] = field(default_factory=dict)
    output_parameters: Mapping[str, str] = field(default_factory=dict)
    """Output parameter name → its IR parameterType (how to parse an output file)."""
    output_artifacts: Mapping[str, OutputArtifact] = field(default_factory=dict)
    envs_dir: str = ""
    """Where cached `packages_to_install` environments live (empty: the pip shim refuses)."""
    mounts: tuple[str, ...] = ()
    """The pod's mount paths (platform spec, workspace), in `MOUNT_ENV` order."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Launch:
        d = json.loads(text)
        return cls(
            run=d["run"],
            namespace=d["namespace"],
            task=d["task"],
            task_id=d["task_id"],
            command=tuple(d.get("command") or ()),
            args=tuple(d.get("args") or ()),
            outputs_uri=d["outputs_uri"],
            task_root=d.get("task_root") or "",
            pipeline_name=d.get("pipeline_name") or "",
            pipeline_root=d.get("pipeline_root") or "",
            run_uid=d.get("run_uid") or "",
            parameters=dict(d.get("parameters") or {}),
            artifacts={
                k: tuple(Artifact.from_dict(a) for a in v)
                for k, v in (d.get("artifacts") or {}).items()
            },
            output_parameters=dict(d.get("output_parameters") or {}),
            output_artifacts={
                k: OutputArtifact(**v) for k, v in (d.get("output_artifacts") or {}).items()
            },
            envs_dir=d.get("envs_dir") or "",
            mounts=tuple(d.get("mounts") or ()),
        )


@dataclass(frozen=True, slots=True)
class Outputs:
    """What a task produced: the file at `Launch.outputs_uri`."""

    parameters: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Mapping[str, tuple[Artifact, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": dict(self.parameters),
            "artifacts": {k: [asdict(a) for a in v] for k, v in self.artifacts.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Outputs:
        return cls(
            parameters=dict(d.get("parameters") or {}),
            artifacts={
                k: tuple(Artifact.from_dict(a) for a in v)
                for k, v in (d.get("artifacts") or {}).items()
            },
        )
