"""`pinnace run FILE`: compile, submit a PipelineRun, follow its DAG live, print the outcome.

The flow: `compiling.source` (a `.py` through the real kfp compiler, a `.yaml`
as it is) → `pipelines.loading.load` (the graph, for the parameter types) →
`parameters.parse` (`-p name=value`, typed by the root's inputDefinitions) →
`manifest` → `create` through the Kubernetes API with the data dir's
kubeconfig (the API server's admission answers 422 for anything the
pipelines checks refuse) → `follow`: a watch on the run, each change drawn by
`dagviews` (a rich live tree on a terminal, plain transition lines otherwise)
→ the outputs, or the failed task's exit code and log tail.

Exit codes: 0 SUCCEEDED; 1 FAILED or CANCELED (or SKIPPED); 2 the file, a
parameter or the run was refused; 130 detached with Ctrl-C (the run goes on:
the command prints how to watch and how to cancel it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live

from pinnace.api import kinds
from pinnace.cli import compiling, dagviews, kubeconfigs, parameters
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import errors as pipeline_errors
from pinnace.pipelines import loading

TERMINAL = dagviews.TERMINAL
RECONNECT_SECONDS = 0.5
"""Between attempts to reach a platform that went away (restarting) while following."""

OK, FAILED, REFUSED, DETACHED = 0, 1, 2, 130


class Refused(Exception):
    """The pipeline file, a parameter or the run itself was refused; the message says why."""


@dataclass(frozen=True, slots=True)
class Request:
    path: Path
    parameters: tuple[str, ...] = ()
    pipeline: str | None = None
    experiment: str | None = None
    namespace: str = "default"
    no_cache: bool = False
    name: str | None = None
    detach: bool = False


@dataclass
class Session:
    """What a Ctrl-C handler needs to know: the run's name once it exists."""

    namespace: str
    name: str | None = None
    seen: dict[str, tuple[str, int, bool]] = field(default_factory=dict)


def slug(text: str) -> str:
    """A DNS-1123 name prefix from a pipeline name (`My pipeline_v2` → `my-pipeline-v2`)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:40].rstrip("-") or "run"


def manifest(request: Request, source: compiling.Source, values: dict[str, Any]) -> Object:
    """The PipelineRun to create for `request`."""
    info = source.ir.get("pipelineInfo") or {}
    meta: dict[str, Any] = {"namespace": request.namespace}
    if request.name:
        meta["name"] = request.name
    else:
        meta["generateName"] = slug(str(info.get("name") or request.path.stem)) + "-"
    spec: dict[str, Any] = {
        "pipelineSpec": source.ir,
        "runtimeConfig": {"parameters": values},
        "displayName": str(info.get("displayName") or info.get("name") or request.path.stem),
    }
    if source.platform:
        spec["platformSpec"] = source.platform
    if request.experiment:
        spec["experiment"] = request.experiment
    if request.no_cache:
        spec["enableCaching"] = False
    return {
        "apiVersion": kinds.PIPELINERUNS.api_version,
        "kind": kinds.PIPELINERUNS.kind,
        "metadata": meta,
        "spec": spec,
    }


def prepare(request: Request) -> Object:
    """The file compiled or read, the parameters typed: the PipelineRun, or `Refused`."""
    try:
        source = compiling.source(request.path, request.pipeline)
        pipeline = loading.load(source.ir, source.platform)
        values = parameters.parse(pipeline, request.parameters)
    except compiling.CannotCompile as exc:
        raise Refused(str(exc)) from exc
    except pipeline_errors.InvalidPipeline as exc:
        raise Refused("\n".join(f"invalid pipeline: {p}" for p in exc.problems)) from exc
    except parameters.BadParameters as exc:
        raise Refused("\n".join(exc.problems)) from exc
    return manifest(request, source, values)


async def create(client: clients.KubeApi, run: Object) -> Object:
    try:
        return await client.create(kinds.PIPELINERUNS, run)
    except errors.Invalid as exc:
        raise Refused(_invalid(exc.status)) from exc
    except errors.AlreadyExists as exc:
        raise Refused(exc.message) from exc
    except errors.NotFound as exc:
        raise Refused(exc.message) from exc  # the namespace does not exist


def _invalid(status: dict[str, Any]) -> str:
    causes = (status.get("details") or {}).get("causes") or []
    if not causes:
        return str(status.get("message") or "the run is invalid")
    name = (status.get("details") or {}).get("name") or ""
    lines = [f'PipelineRun "{name}" is invalid:' if name else "the PipelineRun is invalid:"]
    lines += [f"  {c.get('field', '')}: {c.get('message', '')}" for c in causes]
    return "\n".join(lines)


class View:
    """How the run is shown while it runs: `update` on each change, `close` at the end."""

    def __init__(self, console: Console, session: Session) -> None:
        self.console = console
        self.session = session
        self.status: dict[str, Any] = {}
        self.live: Live | None = None

    def __rich__(self) -> RenderableType:
        now = dt.datetime.now(dt.UTC)
        forest = dagviews.nodes(self.status, now)
        return dagviews.tree(self.session.name or "", self.session.namespace, self.status, forest)

    def start(self) -> None:
        if self.console.is_terminal:
            self.live = Live(self, console=self.console, refresh_per_second=4)
            self.live.start()

    def update(self, run: Object) -> None:
        self.status = dict(run.get("status") or {})
        if self.live is not None:
            self.live.refresh()
            return
        forest = dagviews.nodes(self.status, dt.datetime.now(dt.UTC))
        changed, self.session.seen = dagviews.transitions(self.session.seen, forest)
        for text in changed:
            say(self.console, text)

    def close(self) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None


def say(console: Console, text: str) -> None:
    """One line as it is: no markup, no highlighting, never wrapped (a pipe gets whole lines)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _state(run: Object) -> str:
    return str((run.get("status") or {}).get("state") or "PENDING")


async def _get(
    client: clients.KubeApi, namespace: str, name: str, warn: Callable[[str], None]
) -> Object:
    """The run, waiting out a platform that is down or restarting (Ctrl-C gives up)."""
    warned = False
    while True:
        try:
            return await client.get(kinds.PIPELINERUNS, name, namespace=namespace)
        except (errors.TransportError, errors.ServerError) as exc:
            if not warned:
                warn(f"the platform does not answer ({exc}); waiting for it")
                warned = True
            await asyncio.sleep(RECONNECT_SECONDS)


async def follow(
    client: clients.KubeApi,
    namespace: str,
    name: str,
    update: Callable[[Object], None],
    warn: Callable[[str], None],
) -> Object:
    """Watch the run until it is terminal, calling `update` on every version seen."""
    selector = f"metadata.name={name}"
    while True:
        try:
            run = await _get(client, namespace, name, warn)
        except errors.NotFound as exc:
            raise Refused(f"pipelinerun {namespace}/{name} was deleted") from exc
        update(run)
        if _state(run) in TERMINAL:
            return run
        try:
            async for event in client.watch(
                kinds.PIPELINERUNS,
                namespace=namespace,
                field_selector=selector,
                resource_version=objects.meta(run).get("resourceVersion"),
                timeout_seconds=300,
            ):
                if event.type == "DELETED":
                    raise Refused(f"pipelinerun {namespace}/{name} was deleted")
                if event.type == "BOOKMARK":
                    continue
                update(event.object)
                if _state(event.object) in TERMINAL:
                    return event.object
        except (errors.Gone, errors.TransportError, errors.ServerError):
            pass  # read it again and watch from there


def summary(run: Object, started: float, out: Console) -> int:
    """The final picture: the DAG as lines, then the outputs or why it failed; the exit code."""
    status = run.get("status") or {}
    state = _state(run)
    name, namespace = objects.name_of(run), objects.namespace_of(run)
    took = dagviews.duration(time.monotonic() - started)
    plain = not out.is_terminal
    if plain:
        say(out, f"pipelinerun {namespace}/{name} {state} in {took}")
        for text in dagviews.lines(dagviews.nodes(status, dt.datetime.now(dt.UTC))):
            say(out, f"  {text}")
    else:
        out.print(f"pipelinerun {namespace}/{name} [bold]{state}[/] in {took}", soft_wrap=True)
    if state == "SUCCEEDED":
        found = dagviews.outputs(status)
        if found:
            say(out, "outputs:")
            for text in found:
                say(out, f"  {text}")
        return OK
    for text in dagviews.failure(status):
        say(out, text)
    return FAILED


def how_to_follow(namespace: str, name: str) -> list[str]:
    return [
        f"watch it:  kubectl get pipelinerun {name} -n {namespace} -w",
        f"see it:    kubectl get pipelinerun {name} -n {namespace} -o yaml",
        f"cancel it: kubectl patch pipelinerun {name} -n {namespace} --type=merge"
        """ -p '{"spec":{"cancel":true}}'""",
    ]


async def submit_and_follow(
    data_dir: Path, request: Request, session: Session, out: Console, err: Console
) -> int:
    run = prepare(request)
    found = kubeconfigs.read(data_dir)
    if found is None:
        raise Refused(f"no platform has run on {data_dir} (no kubeconfig); start `pinnace up`")
    server, token = found
    client = clients.Client.from_url(server, token=token)
    async with client:
        try:
            created = await create(client, run)
        except errors.TransportError as exc:
            raise Refused(f"the platform at {server} does not answer: {exc}") from exc
        session.name = objects.name_of(created)
        say(out, f"pipelinerun {request.namespace}/{session.name} created")
        if request.detach:
            for text in how_to_follow(request.namespace, session.name):
                say(out, text)
            return OK
        started = time.monotonic()
        view = View(out, session)
        view.start()
        try:
            final = await follow(
                client,
                request.namespace,
                session.name,
                view.update,
                lambda text: say(err, text),
            )
        finally:
            view.close()
        return summary(final, started, out)


def main(data_dir: Path, request: Request, out: Console, err: Console) -> int:
    """Run the command; the process's exit code."""
    session = Session(namespace=request.namespace)
    try:
        return asyncio.run(submit_and_follow(data_dir, request, session, out, err))
    except Refused as exc:
        say(err, str(exc))
        return REFUSED
    except KeyboardInterrupt:
        if session.name is None:
            say(err, "interrupted before the run was created")
            return DETACHED
        say(err, f"detached; pipelinerun {request.namespace}/{session.name} keeps running")
        for text in how_to_follow(request.namespace, session.name):
            say(err, text)
        return DETACHED
