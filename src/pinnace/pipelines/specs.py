"""The plain-data pipeline graph: what `loading` makes of KFP v2 IR, and all executors read.

`loading.load` turns the compiled PipelineSpec (the YAML the `kfp` compiler
emits) into these frozen dataclasses once; `checks` validates them; the run
engine (`advancing`) walks `Pipeline.root` and its sub-DAGs, and `pods`
turns one executor plus resolved inputs into a task pod. Nothing downstream
reads the IR dict again (STYLE.md rule 11). Names follow the IR's own
(`componentRef`, `dependentTasks`, `triggerPolicy`, ...), in snake case.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ParameterType(enum.StrEnum):
    STRING = "STRING"
    NUMBER_INTEGER = "NUMBER_INTEGER"
    NUMBER_DOUBLE = "NUMBER_DOUBLE"
    BOOLEAN = "BOOLEAN"
    LIST = "LIST"
    STRUCT = "STRUCT"
    TASK_FINAL_STATUS = "TASK_FINAL_STATUS"
    TASK_CONFIG = "TASK_CONFIG"
    UNSPECIFIED = "PARAMETER_TYPE_ENUM_UNSPECIFIED"


class Strategy(enum.StrEnum):
    """When a task may start relative to its `dependentTasks` (IR triggerPolicy.strategy)."""

    ALL_UPSTREAM_TASKS_SUCCEEDED = "ALL_UPSTREAM_TASKS_SUCCEEDED"
    ALL_UPSTREAM_TASKS_COMPLETED = "ALL_UPSTREAM_TASKS_COMPLETED"


@dataclass(frozen=True, slots=True)
class ParameterDef:
    name: str
    type: ParameterType
    optional: bool = False
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class ArtifactDef:
    name: str
    schema_title: str = "system.Artifact"
    schema_version: str = "0.0.1"
    is_list: bool = False
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Interface:
    """A component's inputs or outputs (IR inputDefinitions / outputDefinitions)."""

    parameters: Mapping[str, ParameterDef] = field(default_factory=dict)
    artifacts: Mapping[str, ArtifactDef] = field(default_factory=dict)


# -- where a task input comes from -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentInput:
    """An input of the enclosing DAG (pipeline parameter, loop item, sub-DAG input)."""

    name: str


@dataclass(frozen=True, slots=True)
class TaskOutput:
    """An output (`key`) of a sibling task in the same DAG."""

    task: str
    key: str


@dataclass(frozen=True, slots=True)
class Constant:
    value: Any


@dataclass(frozen=True, slots=True)
class FinalStatus:
    """The final status of a sibling task (ExitHandler's PipelineTaskFinalStatus)."""

    task: str


Source = ComponentInput | TaskOutput | Constant | FinalStatus


@dataclass(frozen=True, slots=True)
class ParameterBinding:
    source: Source
    selector: str | None = None
    """`parameterExpressionSelector` (e.g. `parseJson(string_value)["a"]` for loop sub-vars)."""


@dataclass(frozen=True, slots=True)
class ArtifactBinding:
    source: ComponentInput | TaskOutput


# -- tasks, DAGs, components, executors ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Iterator:
    """A ParallelFor: run the task's component once per item, the item bound to `item_input`."""

    item_input: str
    items_input: str | None = None
    """Name of a task input holding the list (dynamic loops)."""
    raw: str | None = None
    """A JSON list written into the IR (static loops)."""
    artifact: bool = False
    parallelism: int = 0
    """0: unbounded (the platform's own limit applies)."""


@dataclass(frozen=True, slots=True)
class Retry:
    max_count: int = 0
    backoff_seconds: float = 0.0
    backoff_factor: float = 2.0
    backoff_max_seconds: float = 3600.0

    def delay(self, failures: int) -> float:
        """Seconds to wait before the attempt that follows `failures` failed ones."""
        if failures <= 0:
            return 0.0
        delay = self.backoff_seconds * self.backoff_factor ** (failures - 1)
        return float(min(delay, self.backoff_max_seconds))


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    component: str
    display_name: str = ""
    dependencies: tuple[str, ...] = ()
    parameters: Mapping[str, ParameterBinding] = field(default_factory=dict)
    artifacts: Mapping[str, ArtifactBinding] = field(default_factory=dict)
    condition: str | None = None
    strategy: Strategy = Strategy.ALL_UPSTREAM_TASKS_SUCCEEDED
    iterator: Iterator | None = None
    retry: Retry | None = None
    caching: bool = False


@dataclass(frozen=True, slots=True)
class OutputSelector:
    task: str
    key: str


@dataclass(frozen=True, slots=True)
class DagOutput:
    """A DAG output: the first selector whose producer made a value (several: OneOf)."""

    selectors: tuple[OutputSelector, ...]
    oneof: bool = False


@dataclass(frozen=True, slots=True)
class Dag:
    tasks: Mapping[str, Task]
    parameters: Mapping[str, DagOutput] = field(default_factory=dict)
    artifacts: Mapping[str, DagOutput] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    inputs: Interface = field(default_factory=Interface)
    outputs: Interface = field(default_factory=Interface)
    executor: str | None = None
    dag: Dag | None = None


@dataclass(frozen=True, slots=True)
class Resources:
    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None


@dataclass(frozen=True, slots=True)
class Container:
    image: str
    command: tuple[Any, ...] = ()
    """Strings, or IR placeholder structs (`{"Concat": ...}`, `{"IfPresent": ...}`) as JSON."""
    args: tuple[Any, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    resources: Resources = field(default_factory=Resources)


@dataclass(frozen=True, slots=True)
class Importer:
    artifact_uri: ParameterBinding
    schema_title: str = "system.Artifact"
    schema_version: str = "0.0.1"
    reimport: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Executor:
    label: str
    container: Container | None = None
    importer: Importer | None = None


ROOT = "root"


@dataclass(frozen=True, slots=True)
class Pipeline:
    name: str
    root: Component
    components: Mapping[str, Component]
    executors: Mapping[str, Executor]
    sdk_version: str = ""
    schema_version: str = ""
    description: str = ""
    default_pipeline_root: str = ""
    platform: Mapping[str, Any] = field(default_factory=dict)

    def component(self, name: str) -> Component:
        return self.root if name == ROOT else self.components[name]
