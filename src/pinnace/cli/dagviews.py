"""The DAG of a PipelineRun as `pinnace run` shows it, computed from the run's status alone.

Pure functions, no I/O: `runs` hands in the run's `status` (and the time) on
every change it watches; `nodes` turns `status.tasks` into a tree by
`parentTaskId` (sub-DAGs, conditions, loops and their iterations nest; the
records' order, which is the engine's, is kept), and the tree is drawn either
as a rich `Tree` for a terminal (`tree`) or as plain lines (`lines`: one per
task, indented by depth). `transitions` is the non-TTY mode's log: a line each
time a task's state, attempts or cached flag changes. `outputs` and `failure`
are what the command prints when the run ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from rich.tree import Tree

from pinnace.kits import clocks

STYLES = {
    "PENDING": "dim",
    "RUNNING": "bold blue",
    "SUCCEEDED": "green",
    "SKIPPED": "dim",
    "FAILED": "bold red",
    "CANCELING": "yellow",
    "CANCELED": "yellow",
}
TERMINAL = frozenset({"SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"})


@dataclass(frozen=True, slots=True)
class Node:
    task_id: str
    label: str
    state: str
    attempts: int
    cached: bool
    seconds: float | None
    """How long it ran (still running: so far); None before it started."""
    exit_code: int | None
    children: tuple[Node, ...] = ()

    @property
    def key(self) -> tuple[str, int, bool]:
        """What a transition line reports a change of."""
        return (self.state, self.attempts, self.cached)


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return clocks.parse_rfc3339(value)
    except ValueError:
        return None


def _seconds(record: Mapping[str, Any], now: dt.datetime) -> float | None:
    started = _time(record.get("startedAt"))
    if started is None:
        return None
    finished = _time(record.get("finishedAt"))
    if finished is None and str(record.get("state")) in TERMINAL:
        return None
    return max(0.0, ((finished or now) - started).total_seconds())


def _label(record: Mapping[str, Any]) -> str:
    # The engine names a loop iteration `<loop>[<index>]` itself.
    return str(record.get("displayName") or record.get("name") or record.get("taskId"))


def nodes(status: Mapping[str, Any], now: dt.datetime) -> tuple[Node, ...]:
    """`status.tasks` as a forest: each record under its `parentTaskId` (missing parent: a root)."""
    records = [r for r in status.get("tasks") or [] if isinstance(r, Mapping) and r.get("taskId")]
    ids = {str(r["taskId"]) for r in records}
    kids: dict[str | None, list[Mapping[str, Any]]] = {}
    for record in records:
        parent = record.get("parentTaskId")
        kids.setdefault(str(parent) if parent in ids else None, []).append(record)

    def build(record: Mapping[str, Any], seen: frozenset[str]) -> Node:
        task_id = str(record["taskId"])
        error = record.get("error") or {}
        code = error.get("code") if isinstance(error, Mapping) else None
        children = tuple(
            build(child, seen | {task_id})
            for child in kids.get(task_id, [])
            if str(child["taskId"]) not in seen
        )
        return Node(
            task_id=task_id,
            label=_label(record),
            state=str(record.get("state") or "PENDING"),
            attempts=int(record.get("attempts") or 0),
            cached=bool(record.get("cached")),
            seconds=_seconds(record, now),
            exit_code=int(code) if isinstance(code, int) else None,
            children=children,
        )

    return tuple(build(r, frozenset()) for r in kids.get(None, []))


def walk(forest: Iterable[Node], depth: int = 0) -> Iterable[tuple[int, Node]]:
    for node in forest:
        yield depth, node
        yield from walk(node.children, depth + 1)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def details(node: Node, *, running_time: bool = True) -> str:
    """`cached`, `attempt 2`, `exit 1`, the duration: what follows the state on a line.

    `running_time=False` (a transition line) shows a duration only once the task ended.
    """
    parts = []
    if node.cached:
        parts.append("cached")
    if node.attempts > 1:
        parts.append(f"attempt {node.attempts}")
    if node.exit_code is not None and node.state == "FAILED":
        parts.append(f"exit {node.exit_code}")
    shown = running_time or node.state in TERMINAL
    if node.seconds is not None and not node.cached and shown:
        parts.append(duration(node.seconds))
    return ", ".join(parts)


def line(node: Node, depth: int = 0) -> str:
    extra = details(node)
    return f"{'  ' * depth}{node.label}  {node.state}" + (f"  ({extra})" if extra else "")


def lines(forest: Iterable[Node]) -> list[str]:
    return [line(node, depth) for depth, node in walk(forest)]


def header(name: str, namespace: str, status: Mapping[str, Any]) -> str:
    return f"pipelinerun {namespace}/{name}  {status.get('state') or 'PENDING'}"


def tree(name: str, namespace: str, status: Mapping[str, Any], forest: Iterable[Node]) -> Tree:
    state = str(status.get("state") or "PENDING")
    root = Tree(Text.assemble(f"pipelinerun {namespace}/{name}  ", (state, STYLES.get(state, ""))))

    def add(parent: Tree, node: Node) -> None:
        extra = details(node)
        label = Text.assemble(
            node.label,
            "  ",
            (node.state, STYLES.get(node.state, "")),
            (f"  {extra}" if extra else "", "dim"),
        )
        branch = parent.add(label)
        for child in node.children:
            add(branch, child)

    for node in forest:
        add(root, node)
    return root


def transitions(
    before: Mapping[str, tuple[str, int, bool]], forest: Iterable[Node]
) -> tuple[list[str], dict[str, tuple[str, int, bool]]]:
    """Lines for the tasks whose state, attempts or cached flag changed since `before`."""
    out: list[str] = []
    now: dict[str, tuple[str, int, bool]] = {}
    for _, node in walk(forest):
        now[node.task_id] = node.key
        if before.get(node.task_id) != node.key:
            extra = details(node, running_time=False)
            out.append(f"task {node.task_id}  {node.state}" + (f"  ({extra})" if extra else ""))
    return out, now


def outputs(status: Mapping[str, Any]) -> list[str]:
    """The run's outputs: `name = value` for parameters, `name: uri` for artifacts."""
    outs = status.get("outputs") or {}
    found = [f"{k} = {v!r}" for k, v in sorted((outs.get("parameters") or {}).items())]
    for key, artifacts in sorted((outs.get("artifacts") or {}).items()):
        listed = artifacts if isinstance(artifacts, list) else [artifacts]
        for artifact in listed:
            uri = artifact.get("uri") if isinstance(artifact, Mapping) else artifact
            found.append(f"{key}: {uri}")
    return found


def failure(status: Mapping[str, Any]) -> list[str]:
    """Why the run did not succeed: each failed task's exit code and log tail, else the run's error."""
    out: list[str] = []
    for record in status.get("tasks") or []:
        if not isinstance(record, Mapping) or record.get("state") != "FAILED":
            continue
        error = record.get("error") or {}
        if not record.get("podName"):
            continue  # a DAG that failed because a task in it did: the task says why
        out.append(f"task {record.get('taskId')} failed with exit code {error.get('code', '?')}:")
        out.extend(f"  | {text}" for text in str(error.get("message") or "").splitlines())
    if not out:
        error = status.get("error") or {}
        message = str(error.get("message") or "") if isinstance(error, Mapping) else ""
        out.extend(message.splitlines() or [f"the run ended {status.get('state')}"])
    return out
