"""`pinnace`: the command line.

    pinnace up [--port 8080] [--data-dir ~/.pinnace]   run the platform (Ctrl-C stops it)
    pinnace status [--data-dir ~/.pinnace]             is it up, and what runs on it
    pinnace run pipeline.py|pipeline.yaml [-p k=v]     submit a pipeline run and follow its DAG
    pinnace notebook create|stop|start|delete NAME     a Kubeflow notebook server
    pinnace profile add-contributor|remove-contributor  share a Profile's namespace
    pinnace lineage ARTIFACT_URI [-n NS] [--json]      who made an artifact, from what, for whom

kubectl is the tool for everything else: `export KUBECONFIG=<data-dir>/kubeconfig`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Kubeflow's architecture on one machine."
)
console = Console(stderr=True)

DEFAULT_DATA_DIR = Path(os.environ.get("PINNACE_DATA_DIR", "~/.pinnace")).expanduser()

DEFAULT_PORT = int(os.environ.get("PINNACE_PORT", "8080"))

DataDir = Annotated[
    Path, typer.Option("--data-dir", "-d", help="Where state, logs and the kubeconfig live.")
]
Port = Annotated[int, typer.Option("--port", "-p", help="The gateway port: every API and route.")]


@app.command()
def up(
    port: Port = DEFAULT_PORT,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    watch_history: Annotated[
        int, typer.Option(help="Changes kept for watch resumption; older versions get 410.")
    ] = 20_000,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    pipeline_root: Annotated[
        str,
        typer.Option(
            help="Default pipeline root, e.g. s3://bucket/prefix (default: the data dir)."
        ),
    ] = "",
    s3_endpoint: Annotated[
        str,
        typer.Option(
            help="S3 endpoint of s3:// roots no kfp-launcher ConfigMap covers; keys from the"
            " namespace's Secret mlpipeline-minio-artifact."
        ),
    ] = "",
    warm_start: Annotated[
        bool,
        typer.Option(help="Start pipeline task pods from a warm fork server per Python env."),
    ] = True,
) -> None:
    """Start the API server, controllers, node agent and gateway in this process."""
    from pinnace.cli import platform
    from pinnace.controllers import contexts

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(contexts.ContextFilter())
    for noisy in ("aiohttp.access", "uvicorn.error", "kopf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    def announce(p: platform.Platform) -> None:
        console.print(f"[bold green]pinnace is up[/] at {p.url}")
        console.print(
            f"  user:      {platform.DEFAULT_USER} (single-user: requests from this machine"
            " and the kubeconfig's token act as this administrator)"
        )
        console.print(f"  kubectl:   export KUBECONFIG={p.kubeconfig}")
        console.print(f"  health:    curl {p.url}/healthz")
        console.print("  stop:      Ctrl-C")

    options = platform.Options(
        data_dir=data_dir.expanduser().resolve(),
        port=port,
        watch_history=watch_history,
        pipeline_root=pipeline_root,
        s3_endpoint=s3_endpoint,
        warm_start=warm_start,
    )
    try:
        _run(platform.run(options, on_ready=announce))
    except platform.CannotStart as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


def _run(coro: object) -> None:
    try:
        import uvloop

        uvloop.run(coro)  # type: ignore[arg-type]
    except ImportError:
        asyncio.run(coro)  # type: ignore[arg-type]


@app.command()
def status(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Whether a platform answers on this data dir's kubeconfig, and what it runs."""
    from pinnace.cli import statuses

    code = statuses.show(data_dir.expanduser().resolve(), console)
    raise typer.Exit(code)


@app.command("run")
def run_pipeline(
    path: Annotated[
        Path, typer.Argument(help="A .py with @dsl.pipeline (compiled by kfp) or IR YAML.")
    ],
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter", "-p", help="name=value, typed by the pipeline's inputs (repeat)."
        ),
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option(help="Which @dsl.pipeline function of a .py file (several).")
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="The experiment the run belongs to.")
    ] = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="The run's namespace.")] = (
        "default"
    ),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run every task; reuse no cached result.")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="The PipelineRun's name (default: generated).")
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Create the run and return; do not follow it.")
    ] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Submit a pipeline run and follow its DAG until it ends; exit 0 only if it SUCCEEDED.

    Ctrl-C detaches (the run goes on) and prints how to watch or cancel it.
    Exit codes: 0 succeeded, 1 failed or canceled, 2 refused (file, parameter, invalid run),
    130 detached.
    """
    from pinnace.cli import runs

    request = runs.Request(
        path=path,
        parameters=tuple(parameter or ()),
        pipeline=pipeline,
        experiment=experiment,
        namespace=namespace,
        no_cache=no_cache,
        name=name,
        detach=detach,
    )
    out = Console(soft_wrap=True)
    raise typer.Exit(runs.main(data_dir.expanduser().resolve(), request, out, console))


notebook_app = typer.Typer(no_args_is_help=True, help="Kubeflow notebook servers (JupyterLab).")
app.add_typer(notebook_app, name="notebook")
Namespace = Annotated[str, typer.Option("--namespace", "-n", help="The notebook's namespace.")]
Wait = Annotated[bool, typer.Option(help="Wait until the server is Ready.")]


def _notebook_command(coro: Any) -> Any:
    from pinnace.cli import notebooks

    try:
        return asyncio.run(coro)
    except notebooks.Failed as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@notebook_app.command("create")
def notebook_create(
    name: str,
    image: Annotated[str, typer.Option(help="The server image.")] = (
        "kubeflownotebookswg/jupyter-scipy:v1.9.0"
    ),
    cpu: Annotated[str, typer.Option(help="CPU request (limit = 1.2 times it).")] = "0.5",
    memory: Annotated[str, typer.Option(help="Memory request (limit = 1.2 times it).")] = "1Gi",
    workspace_size: Annotated[str, typer.Option(help="Size of <name>-workspace.")] = "5Gi",
    namespace: Namespace = "default",
    wait: Wait = True,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create the workspace claim and the Notebook, wait until Ready, print its URL."""
    from pinnace.cli import notebooks
    from pinnace.notebooks import spawning

    form = spawning.Form(name, namespace, image, cpu, memory, workspace_size)
    print(_notebook_command(notebooks.create(data_dir.expanduser(), form, wait=wait)))


@notebook_app.command("stop")
def notebook_stop(
    name: str, namespace: Namespace = "default", data_dir: DataDir = DEFAULT_DATA_DIR
) -> None:
    """Stop the server (the kubeflow-resource-stopped annotation); the workspace stays."""
    from pinnace.cli import notebooks

    _notebook_command(notebooks.stop(data_dir.expanduser(), namespace, name))


@notebook_app.command("start")
def notebook_start(
    name: str,
    namespace: Namespace = "default",
    wait: Wait = True,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Start a stopped server again; prints its URL once Ready."""
    from pinnace.cli import notebooks

    print(_notebook_command(notebooks.start(data_dir.expanduser(), namespace, name, wait=wait)))


@notebook_app.command("delete")
def notebook_delete(
    name: str, namespace: Namespace = "default", data_dir: DataDir = DEFAULT_DATA_DIR
) -> None:
    """Delete the Notebook and what it owns; the workspace claim is kept."""
    from pinnace.cli import notebooks

    _notebook_command(notebooks.delete(data_dir.expanduser(), namespace, name))


@app.command()
def lineage(
    artifact_uri: Annotated[str, typer.Argument(help="The artifact's URI (or a local path).")],
    namespace: Annotated[
        str, typer.Option("--namespace", "-n", help="Only this namespace's runs (default: all).")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Which run and task produced an artifact, from which inputs, and what consumed it."""
    import json

    from pinnace.cli import lineage as lineages

    try:
        graph = asyncio.run(lineages.graph(data_dir.expanduser(), namespace or None))
        trace = lineages.find(graph, artifact_uri)
    except lineages.Failed as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    data = lineages.as_dict(graph, trace)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        lineages.show(data, Console(soft_wrap=True))  # the answer to stdout, errors to stderr


def _subcommands() -> None:
    from pinnace.cli import profiles, serving

    app.add_typer(profiles.app, name="profile")
    app.command("serve")(serving.command)


_subcommands()


def main() -> None:
    app(prog_name="pinnace")


if __name__ == "__main__":
    main()
