"""Lineage (MLMD's role), built from objects: executions, artifacts and their input/output events.

KFP records lineage in ML Metadata, a private store beside the cluster.
Here it is derived on demand from what the run controller already writes:
each PipelineRun's `status.tasks` records carry a task's resolved inputs
(`inputs.artifacts`: name → URIs) and outputs (`outputs.artifacts`: name →
artifacts with type and metadata). `build` turns a list of runs into a
`Graph` — an `Execution` per task that ran (a pod, a cache hit, an
importer), an `Artifact` per URI, an `Event` per input or output edge — and
the graph answers the lineage questions: who produced an artifact, from which
inputs, what consumed it (`trace`), and everything upstream of it. Because the
source is the Kubernetes API, the same code works on a cluster, and the CLI
(`pinnace lineage`), the KFP artifacts REST API (`artifactsapi`) and a
dashboard share it. Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


class EventType(enum.StrEnum):
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"


@dataclass(frozen=True, slots=True)
class Execution:
    """One task execution of a run (MLMD's Execution)."""

    namespace: str
    run: str
    run_uid: str
    task_id: str
    name: str
    state: str
    pod: str = ""
    log_uri: str = ""
    cached: bool = False
    started_at: str = ""
    finished_at: str = ""

    @property
    def ref(self) -> str:
        """`<namespace>/<run>/<task id>`: how people name it."""
        return f"{self.namespace}/{self.run}/{self.task_id}"


@dataclass(frozen=True, slots=True)
class Artifact:
    uri: str
    name: str = ""
    schema_title: str = "system.Artifact"
    schema_version: str = "0.0.1"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    namespace: str = ""
    created_at: str = ""

    @property
    def id(self) -> str:
        """A stable id from the URI (an artifact is its URI; cache hits reuse both)."""
        return artifact_id(self.uri)


def artifact_id(uri: str) -> str:
    """A decimal id, as MLMD's, stable across processes: 60 bits of sha256(uri)."""
    return str(int(hashlib.sha256(uri.encode()).hexdigest()[:15], 16))


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    execution: Execution
    uri: str
    key: str
    """The input or output name in the task's component."""
    index: int = 0
    """Position in the list (ParallelFor outputs collected into one input)."""


@dataclass(frozen=True, slots=True)
class Trace:
    artifact: Artifact
    produced_by: tuple[Execution, ...]
    """The producing executions, the original first (cache hits re-emit the same URI)."""
    inputs: tuple[Event, ...]
    """The original producer's input events."""
    consumed_by: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Graph:
    executions: tuple[Execution, ...]
    artifacts: Mapping[str, Artifact]
    """URI → artifact."""
    events: tuple[Event, ...]

    def find(self, uri: str) -> Artifact | None:
        return self.artifacts.get(uri) or self.artifacts.get(uri.rstrip("/"))

    def by_id(self, ident: str) -> Artifact | None:
        return next((a for a in self.artifacts.values() if a.id == ident), None)

    def producers(self, uri: str) -> tuple[Execution, ...]:
        found = [e.execution for e in self.events if e.type is EventType.OUTPUT and e.uri == uri]
        return tuple(sorted(found, key=lambda x: (x.cached, x.finished_at or "~", x.ref)))

    def consumers(self, uri: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.type is EventType.INPUT and e.uri == uri)

    def events_of(self, execution: Execution, kind: EventType) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.execution == execution and e.type is kind)

    def trace(self, uri: str) -> Trace | None:
        artifact = self.find(uri)
        if artifact is None:
            return None
        producers = self.producers(artifact.uri)
        inputs = self.events_of(producers[0], EventType.INPUT) if producers else ()
        return Trace(artifact, producers, inputs, self.consumers(artifact.uri))

    def upstream(self, uri: str) -> tuple[Artifact, ...]:
        """Every artifact `uri` was made from, transitively, nearest first."""
        seen: dict[str, Artifact] = {}
        frontier = [uri]
        while frontier:
            current = frontier.pop(0)
            trace = self.trace(current)
            if trace is None:
                continue
            for event in trace.inputs:
                found = self.find(event.uri)
                if found is not None and found.uri not in seen and found.uri != uri:
                    seen[found.uri] = found
                    frontier.append(found.uri)
        return tuple(seen.values())

    def downstream(self, uri: str) -> tuple[Artifact, ...]:
        """Every artifact made from `uri`, transitively, nearest first."""
        seen: dict[str, Artifact] = {}
        frontier = [uri]
        while frontier:
            current = frontier.pop(0)
            for event in self.consumers(current):
                for out in self.events_of(event.execution, EventType.OUTPUT):
                    found = self.find(out.uri)
                    if found is not None and found.uri not in seen and found.uri != uri:
                        seen[found.uri] = found
                        frontier.append(found.uri)
        return tuple(seen.values())


def _executions(run: Object) -> list[tuple[Execution, Mapping[str, Any]]]:
    status = run.get("status") or {}
    records = [r for r in status.get("tasks") or [] if isinstance(r, Mapping) and r.get("taskId")]
    parents = {str(r.get("parentTaskId")) for r in records if r.get("parentTaskId")}
    out = []
    for rec in records:
        task_id = str(rec["taskId"])
        if task_id in parents:
            continue  # a DAG, a condition or a loop: its outputs are its children's
        ran = rec.get("podName") or rec.get("cached") or (rec.get("outputs") or {}).get("artifacts")
        if not ran:
            continue
        execution = Execution(
            namespace=objects.namespace_of(run),
            run=objects.name_of(run),
            run_uid=objects.uid_of(run),
            task_id=task_id,
            name=str(rec.get("name") or task_id),
            state=str(rec.get("state") or ""),
            pod=str(rec.get("podName") or ""),
            log_uri=str(rec.get("logUri") or ""),
            cached=bool(rec.get("cached")),
            started_at=str(rec.get("startedAt") or ""),
            finished_at=str(rec.get("finishedAt") or ""),
        )
        out.append((execution, rec))
    return out


def build(runs: Iterable[Object]) -> Graph:
    """The lineage graph of these PipelineRuns (any namespaces)."""
    executions: list[Execution] = []
    artifacts: dict[str, Artifact] = {}
    events: list[Event] = []
    for run in runs:
        for execution, rec in _executions(run):
            executions.append(execution)
            outputs = (rec.get("outputs") or {}).get("artifacts") or {}
            for key, arts in outputs.items():
                for index, art in enumerate(arts or []):
                    if not isinstance(art, Mapping) or not art.get("uri"):
                        continue
                    uri = str(art["uri"])
                    events.append(Event(EventType.OUTPUT, execution, uri, str(key), index))
                    known = artifacts.get(uri)
                    if known is None or (known.created_at or "~") > (execution.finished_at or "~"):
                        artifacts[uri] = Artifact(
                            uri=uri,
                            name=str(art.get("name") or key),
                            schema_title=str(art.get("schemaTitle") or "system.Artifact"),
                            schema_version=str(art.get("schemaVersion") or "0.0.1"),
                            metadata=dict(art.get("metadata") or {}),
                            namespace=execution.namespace,
                            created_at=execution.finished_at,
                        )
            inputs = (rec.get("inputs") or {}).get("artifacts") or {}
            for key, uris in inputs.items():
                for index, uri in enumerate(uris or []):
                    if uri:
                        events.append(Event(EventType.INPUT, execution, str(uri), str(key), index))
    for event in events:  # read but made outside any run (a pipeline input, say)
        if event.uri not in artifacts:
            artifacts[event.uri] = Artifact(
                uri=event.uri, name=event.key, namespace=event.execution.namespace
            )
    return Graph(tuple(executions), artifacts, tuple(events))
