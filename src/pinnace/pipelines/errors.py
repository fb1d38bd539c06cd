"""What can be wrong with a pipeline, named by task and field (STYLE.md rules 9 and 11).

    PipelineError
    ├── InvalidPipeline   the IR (or the run's arguments) fails loading or a check:
    │                     carries every `Problem`, each naming the DAG, task and field
    └── ExpressionError   a trigger condition or selector outside the supported subset

`loading` and `checks` produce problems; the run controller writes them into
the PipelineRun's status (state FAILED, `error.message`) and stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: `dag` is the component holding the task ("root" for the pipeline)."""

    field: str
    message: str
    task: str | None = None
    dag: str | None = None

    def __str__(self) -> str:
        where = []
        if self.dag:
            where.append(self.dag)
        if self.task:
            where.append(f"task {self.task!r}")
        where.append(self.field)
        return f"{': '.join(where)}: {self.message}"


class PipelineError(Exception):
    pass


class InvalidPipeline(PipelineError):
    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid pipeline")


class ExpressionError(PipelineError):
    pass
