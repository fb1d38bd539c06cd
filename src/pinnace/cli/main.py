"""`pinnace`: the command line.

    pinnace up [--port 8080] [--data-dir ~/.pinnace]   run the platform (Ctrl-C stops it)
    pinnace status [--data-dir ~/.pinnace]             is it up, and what runs on it
    pinnace profile add-contributor|remove-contributor  share a Profile's namespace

kubectl is the tool for everything else: `export KUBECONFIG=<data-dir>/kubeconfig`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

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
        data_dir=data_dir.expanduser().resolve(), port=port, watch_history=watch_history
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


def _subcommands() -> None:
    from pinnace.cli import profiles

    app.add_typer(profiles.app, name="profile")


_subcommands()


def main() -> None:
    app(prog_name="pinnace")


if __name__ == "__main__":
    main()
