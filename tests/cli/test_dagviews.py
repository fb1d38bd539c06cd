"""The DAG view of a run, computed from its status: tree, lines, transitions, outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from pinnace.cli import dagviews

NOW = dt.datetime(2026, 1, 1, 12, 0, 10, tzinfo=dt.UTC)


def rec(task_id: str, state: str, **extra: Any) -> dict[str, Any]:
    name = task_id.rsplit("/", 1)[-1]
    return {"taskId": task_id, "name": name, "displayName": name, "state": state, **extra}


STATUS: dict[str, Any] = {
    "state": "FAILED",
    "tasks": [
        rec(
            "add",
            "SUCCEEDED",
            cached=True,
            startedAt="2026-01-01T12:00:00Z",
            finishedAt="2026-01-01T12:00:00Z",
            podName=None,
        ),
        rec(
            "for-loop-2",
            "FAILED",
            startedAt="2026-01-01T12:00:01Z",
            finishedAt="2026-01-01T12:00:05Z",
        ),
        rec(
            "for-loop-2/0",
            "SUCCEEDED",
            parentTaskId="for-loop-2",
            iterationIndex=0,
            displayName="for-loop-2[0]",
            startedAt="2026-01-01T12:00:01Z",
            finishedAt="2026-01-01T12:00:03Z",
        ),
        rec(
            "for-loop-2/0/work",
            "SUCCEEDED",
            parentTaskId="for-loop-2/0",
            attempts=1,
            podName="p0",
            startedAt="2026-01-01T12:00:01Z",
            finishedAt="2026-01-01T12:00:03Z",
        ),
        rec(
            "for-loop-2/1",
            "FAILED",
            parentTaskId="for-loop-2",
            iterationIndex=1,
            displayName="for-loop-2[1]",
            startedAt="2026-01-01T12:00:01Z",
        ),
        rec(
            "for-loop-2/1/work",
            "FAILED",
            parentTaskId="for-loop-2/1",
            attempts=2,
            podName="p1",
            startedAt="2026-01-01T12:00:01Z",
            finishedAt="2026-01-01T12:00:05Z",
            error={"code": 3, "message": "Error: exit code 3\nTraceback\nValueError: no"},
        ),
        rec("later", "RUNNING", startedAt="2026-01-01T12:00:06Z"),
        rec("never", "PENDING"),
    ],
    "error": {"code": 3, "message": "task 'work' failed: ..."},
}


def test_the_tree_nests_by_parent_task_and_keeps_the_engine_order() -> None:
    forest = dagviews.nodes(STATUS, NOW)
    assert [n.task_id for n in forest] == ["add", "for-loop-2", "later", "never"]
    assert dagviews.lines(forest) == [
        "add  SUCCEEDED  (cached)",
        "for-loop-2  FAILED  (4s)",
        "  for-loop-2[0]  SUCCEEDED  (2s)",
        "    work  SUCCEEDED  (2s)",
        "  for-loop-2[1]  FAILED",
        "    work  FAILED  (attempt 2, exit 3, 4s)",
        "later  RUNNING  (4s)",
        "never  PENDING",
    ]


def test_a_record_whose_parent_is_missing_is_a_root() -> None:
    status = {"tasks": [rec("x/y", "RUNNING", parentTaskId="x")]}
    assert [n.task_id for n in dagviews.nodes(status, NOW)] == ["x/y"]


def test_transitions_report_only_what_changed() -> None:
    first = {"tasks": [rec("a", "RUNNING", attempts=1), rec("b", "PENDING")]}
    out, seen = dagviews.transitions({}, dagviews.nodes(first, NOW))
    assert out == ["task a  RUNNING", "task b  PENDING"]
    second = {"tasks": [rec("a", "RUNNING", attempts=2), rec("b", "PENDING")]}
    out, seen = dagviews.transitions(seen, dagviews.nodes(second, NOW))
    assert out == ["task a  RUNNING  (attempt 2)"]
    out, _ = dagviews.transitions(seen, dagviews.nodes(second, NOW))
    assert out == []


def test_the_rich_tree_shows_every_task() -> None:
    console = Console(width=100, record=True, color_system=None)
    console.print(dagviews.tree("r", "ns", STATUS, dagviews.nodes(STATUS, NOW)))
    text = console.export_text()
    assert text.splitlines()[0] == "pipelinerun ns/r  FAILED"
    assert "│       └── work  FAILED  attempt 2, exit 3, 4s" in text
    assert "└── never  PENDING" in text


def test_a_failure_shows_each_failed_task_pods_exit_code_and_log_tail() -> None:
    assert dagviews.failure(STATUS) == [
        "task for-loop-2/1/work failed with exit code 3:",
        "  | Error: exit code 3",
        "  | Traceback",
        "  | ValueError: no",
    ]


def test_without_a_failed_task_the_run_error_is_shown() -> None:
    status = {"state": "FAILED", "error": {"code": 3, "message": "root: task 'x': bad"}}
    assert dagviews.failure(status) == ["root: task 'x': bad"]
    assert dagviews.failure({"state": "CANCELED"}) == ["the run ended CANCELED"]


def test_outputs_list_parameters_and_artifacts() -> None:
    status = {
        "outputs": {
            "parameters": {"b": 2, "a": "x"},
            "artifacts": {"model": [{"uri": "file:///m", "metadata": {}}]},
        }
    }
    assert dagviews.outputs(status) == ["a = 'x'", "b = 2", "model: file:///m"]


def test_durations_read_as_people_write_them() -> None:
    assert [dagviews.duration(s) for s in (None, 0.4, 59, 61, 3725)] == [
        "",
        "0s",
        "59s",
        "1m01s",
        "1h02m",
    ]
