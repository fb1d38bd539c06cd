"""`pinnace profile`: share a Profile's namespace (KFAM's contributor bindings).

    pinnace profile add-contributor PROFILE USER [--role edit|view]
    pinnace profile remove-contributor PROFILE USER
    pinnace profile contributors PROFILE

Each talks to the running platform through the data dir's kubeconfig (the
admin's credential) and writes RoleBindings as `pinnace.profiles.contributors`
names them, so kubectl and every other client see the same thing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from pinnace.kits.kube import clients, errors
from pinnace.profiles import contributors

app = typer.Typer(no_args_is_help=True, help="Profiles: share a namespace with contributors.")
console = Console()
T = TypeVar("T")

DataDir = Annotated[
    Path, typer.Option("--data-dir", "-d", help="The platform's data dir (its kubeconfig).")
]


def _default_data_dir() -> Path:
    """`pinnace up`'s default (`$PINNACE_DATA_DIR`, else ~/.pinnace)."""
    return Path(os.environ.get("PINNACE_DATA_DIR", "~/.pinnace")).expanduser()


def _call(data_dir: Path | None, fn: Callable[[clients.Client], Awaitable[T]]) -> T:
    path = (data_dir or _default_data_dir()).expanduser().resolve() / "kubeconfig"
    if not path.exists():
        console.print(f"[red]no platform has run on {path.parent} (no kubeconfig)[/]")
        raise typer.Exit(1)

    async def run() -> T:
        client = await clients.Client.from_kubeconfig(str(path))
        try:
            return await fn(client)
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except errors.NotFound as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    except (errors.ApiError, errors.TransportError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@app.command("add-contributor")
def add_contributor(
    profile: str,
    user: str,
    role: Annotated[contributors.Role, typer.Option(help="edit or view")] = contributors.Role.EDIT,
    data_dir: DataDir = None,  # type: ignore[assignment]
) -> None:
    """Give USER the role `kubeflow-<role>` in PROFILE's namespace."""
    rb = _call(data_dir, lambda c: contributors.add(c, profile, user, role))
    console.print(f"rolebinding {rb['metadata']['name']} in {profile}: {user} can {role}")


@app.command("remove-contributor")
def remove_contributor(profile: str, user: str, data_dir: DataDir = None) -> None:  # type: ignore[assignment]
    """Remove USER's contributor bindings from PROFILE's namespace."""
    removed = _call(data_dir, lambda c: contributors.remove(c, profile, user))
    if not removed:
        console.print(f"[red]{user} is not a contributor of {profile}[/]")
        raise typer.Exit(1)
    console.print(f"removed {', '.join(removed)} from {profile}")


@app.command("contributors")
def list_contributors(profile: str, data_dir: DataDir = None) -> None:  # type: ignore[assignment]
    """The contributors of PROFILE and their roles."""
    for user, role in _call(data_dir, lambda c: contributors.listed(c, profile)):
        typer.echo(f"{user}\t{role}")
