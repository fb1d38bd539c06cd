"""The run engine over graphs compiled by the real kfp compiler, pods simulated."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

from typing import Any

from kfp import dsl

from pinnace.pipelines import launches, loading
from pinnace.pipelines.states import State

from . import builders
from .builders import BASE, Simulation


@dsl.component(base_image=BASE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image=BASE)
def show(text: str) -> str:
    return text


@dsl.component(base_image=BASE)
def make(out: dsl.Output[dsl.Dataset]) -> None:
    pass


@dsl.component(base_image=BASE)
def use(data: dsl.Input[dsl.Dataset]) -> str:
    return ""


@dsl.component(base_image=BASE)
def total(values: list[int]) -> int:
    return sum(values)


@dsl.component(base_image=BASE)
def final(status: dsl.PipelineTaskFinalStatus) -> str:
    return status.state


def sums(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
    p = launch.parameters
    if launch.task.startswith("add"):
        return 0, {"Output": p["a"] + p["b"]}
    if launch.task.startswith("total"):
        return 0, {"Output": sum(p["values"])}
    if launch.task.startswith("show"):
        return 0, {"Output": p["text"]}
    return 0, {"Output": ""}


def sim(pipeline_func: Any, **kwargs: Any) -> Simulation:
    return Simulation(loading.load(builders.compiled(pipeline_func)), **kwargs)


def test_a_chain_runs_one_task_after_the_other_and_passes_values() -> None:
    @dsl.pipeline
    def chain(x: int = 1) -> int:
        first = add(a=x, b=1)
        return add(a=first.output, b=10).output

    s = sim(chain, behaviour=sums, arguments={"x": 1})
    plan = s.step()
    assert [r.task for r in plan.creates] == ["add"]
    plan = s.step()
    assert [r.task for r in plan.creates] == ["add-2"]
    assert plan.creates[0].launch.parameters == {"a": 2, "b": 10}
    plan = s.finish()
    assert plan.state is State.SUCCEEDED
    assert plan.outputs["parameters"] == {"Output": 12}
    assert s.state("add") is State.SUCCEEDED and s.records["add-2"]["outputs"]["parameters"] == {
        "Output": 12
    }


def test_independent_tasks_start_together_up_to_the_parallel_limit() -> None:
    @dsl.pipeline
    def wide() -> None:
        for i in range(4):
            add(a=i, b=0)

    s = sim(wide, max_parallel=3)
    plan = s.step(finish=False)
    assert len(plan.creates) == 3
    assert sum(1 for r in plan.records.values() if r["state"] == "PENDING") == 1


def test_artifacts_flow_from_producer_to_consumer_with_metadata() -> None:
    @dsl.pipeline
    def flow() -> None:
        use(data=make().outputs["out"])

    s = sim(flow)
    s.finish()
    (consumer,) = s.launches_of("use")
    (art,) = consumer.artifacts["data"]
    assert art.uri == "file:///tmp/root/ns/run/uid-1/make/out"
    assert art.metadata == {"n": 1}
    (producer,) = s.launches_of("make")
    assert producer.output_artifacts["out"].schema_title == "system.Dataset"


def test_a_failed_task_fails_the_run_with_its_exit_code_and_stops_the_dag() -> None:
    @dsl.pipeline
    def failing() -> None:
        first = add(a=1, b=1)
        add(a=first.output, b=1)

    s = sim(failing, behaviour=lambda launch: (3, {}))
    plan = s.finish()
    assert plan.state is State.FAILED
    assert s.records["add"]["error"]["code"] == 3
    assert plan.failed_pods == {"add": s.records["add"]["podName"]}
    assert "add-2" not in s.records


def test_retry_starts_a_new_attempt_after_the_backoff() -> None:
    @dsl.pipeline
    def flaky() -> None:
        add(a=1, b=1).set_retry(num_retries=2, backoff_duration="10s")

    calls: list[int] = []

    def once(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
        calls.append(1)
        return (1, {}) if len(calls) == 1 else (0, {"Output": 2})

    s = sim(flaky, behaviour=once)
    s.step()
    plan = s.step()
    assert not plan.creates and plan.requeue_after is not None and plan.requeue_after > 0
    s.now = s.now.replace(minute=1)
    plan = s.finish()
    assert plan.state is State.SUCCEEDED
    assert s.records["add"]["attempts"] == 2
    assert [v.attempt for v in s.pods["add"]] == [0, 1]
    assert s.pods["add"][0].name != s.pods["add"][1].name


def test_if_elif_else_runs_only_the_branch_whose_condition_holds() -> None:
    @dsl.pipeline
    def branches(x: int = 7) -> None:
        n = add(a=x, b=0)
        with dsl.If(n.output > 10):
            show(text="big")
        with dsl.Elif(n.output > 5):
            show(text="medium")
        with dsl.Else():
            show(text="small")

    s = sim(branches, behaviour=sums, arguments={"x": 7})
    assert s.finish().state is State.SUCCEEDED
    assert [lc.parameters["text"] for lc in s.launched if lc.task.startswith("show")] == ["medium"]
    skipped = [r["taskId"] for r in s.records.values() if r["state"] == "SKIPPED"]
    assert len(skipped) == 2


def test_parallel_for_collects_ints_as_ints() -> None:
    @dsl.pipeline
    def loop() -> int:
        with dsl.ParallelFor([1, 2, 3]) as item:
            one = add(a=item, b=10)
        return total(values=dsl.Collected(one.output)).output

    s = sim(loop, behaviour=sums)
    plan = s.finish()
    assert plan.state is State.SUCCEEDED
    assert plan.outputs["parameters"] == {"Output": 36}
    (gather,) = s.launches_of("total")
    assert gather.parameters["values"] == [11, 12, 13]
    iterations = [r for r in s.records.values() if "iterationIndex" in r]
    assert sorted(r["iterationIndex"] for r in iterations) == [0, 1, 2]


def test_dynamic_parallel_for_iterates_over_a_task_output() -> None:
    @dsl.component(base_image=BASE)
    def items() -> list:
        return []

    @dsl.pipeline
    def dynamic() -> None:
        with dsl.ParallelFor(items().output, parallelism=1) as item:
            show(text=item)

    def behave(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
        if launch.task == "items":
            return 0, {"Output": ["a", "b"]}
        return sums(launch)

    s = sim(dynamic, behaviour=behave)
    assert s.finish().state is State.SUCCEEDED
    assert [lc.parameters["text"] for lc in s.launches_of("show")] == ["a", "b"]


def test_exit_handler_runs_after_a_failure_and_sees_the_final_status() -> None:
    @dsl.pipeline
    def guarded() -> None:
        exit_task = final()
        with dsl.ExitHandler(exit_task):
            add(a=1, b=1)

    def behave(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
        return (1, {}) if launch.task == "add" else (0, {"Output": "ok"})

    s = sim(guarded, behaviour=behave)
    plan = s.finish()
    assert plan.state is State.FAILED
    (exit_launch,) = s.launches_of("final")
    assert exit_launch.parameters["status"]["state"] == "FAILED"


def test_a_sub_pipeline_runs_as_a_nested_dag() -> None:
    @dsl.pipeline
    def inner(v: int) -> int:
        return add(a=v, b=100).output

    @dsl.pipeline
    def outer() -> int:
        return add(a=inner(v=1).output, b=1).output

    s = sim(outer, behaviour=sums)
    plan = s.finish()
    assert plan.state is State.SUCCEEDED
    assert plan.outputs["parameters"] == {"Output": 102}
    nested = [r for r in s.records.values() if r.get("parentTaskId") == "inner"]
    assert [r["name"] for r in nested] == ["add"]


def test_a_repeated_pass_creates_no_pod_twice() -> None:
    @dsl.pipeline
    def single() -> None:
        add(a=1, b=1)

    s = sim(single)
    first = s.step(finish=False)
    again = s.step(finish=False)
    assert len(first.creates) == 1 and again.creates == []


def test_a_second_identical_run_is_served_from_the_cache() -> None:
    @dsl.pipeline
    def chain(x: int = 1) -> int:
        first = add(a=x, b=1)
        return add(a=first.output, b=10).output

    cache: dict[str, launches.Outputs] = {}
    first = sim(chain, behaviour=sums, arguments={"x": 1}, cache=cache)
    assert first.finish().outputs["parameters"] == {"Output": 12}
    assert len(cache) == 2
    second = sim(chain, behaviour=sums, arguments={"x": 1}, cache=cache)
    plan = second.finish()
    assert plan.state is State.SUCCEEDED and plan.outputs["parameters"] == {"Output": 12}
    assert second.launched == []
    assert all(r.get("cached") for r in second.records.values())
    other = sim(chain, behaviour=sums, arguments={"x": 2}, cache=cache)
    other.finish()
    assert len(other.launched) == 2, "other inputs, other keys"


def test_the_run_switch_turns_caching_off() -> None:
    @dsl.pipeline
    def single() -> None:
        add(a=1, b=1)

    cache: dict[str, launches.Outputs] = {}
    sim(single, behaviour=sums, cache=cache).finish()
    again = sim(single, behaviour=sums, cache=cache, caching=False)
    again.finish()
    assert len(again.launched) == 1 and not again.records["add"].get("cached")
