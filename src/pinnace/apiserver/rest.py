"""What one API path serves: the `Storage` base of every path's storage (kube's `rest` interfaces).

Each path (`pods`, `pods/status`, `pods/binding`, `deployments/scale`, …) has
one storage (`storages.lookup`); the verb handlers call it and nothing else.
A verb a path does not serve is a 405. `view` is the kind its bodies are
written as (`Scale` for `/scale`, `Binding` for `pods/binding`), which the
handlers decode and patch against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors
from pinnace.kits.kube.objects import Object

Updater = Callable[[Object | None], Object]
"""The next state from the current one (None when it does not exist and creation is allowed)."""


@dataclass(slots=True)
class Options:
    """One write's options: dry run, unknown-field handling, the field manager (for
    managedFields), and the warnings it collects."""

    dry_run: bool = False
    field_validation: str = "Warn"
    warnings: list[str] = field(default_factory=list)
    field_manager: str = ""
    applied: bool = False
    """A server-side apply: the updater's object carries its final managedFields."""


@dataclass(frozen=True, slots=True)
class Stream:
    """A streamed answer (pod logs): its chunks and content type."""

    chunks: AsyncIterator[bytes]
    content_type: str = "text/plain"


def not_allowed() -> errors.MethodNotAllowed:
    return errors.MethodNotAllowed(
        "the server does not allow this method on the requested resource"
    )


class Storage:
    """One path's verbs; each defaults to 405."""

    info: ResourceInfo
    """The kind the path belongs to."""
    view: ResourceInfo
    """The kind of the path's bodies (the same as `info` but for subresources)."""

    async def get(self, namespace: str, name: str, query: dict[str, str]) -> Object | Stream:
        raise not_allowed()

    async def create(
        self, namespace: str, parent: str | None, obj: Object, options: Options
    ) -> tuple[int, Object]:
        raise not_allowed()

    async def update(
        self,
        namespace: str,
        name: str,
        updater: Updater,
        options: Options,
        *,
        allow_create: bool = False,
    ) -> tuple[Object, bool]:
        raise not_allowed()

    async def delete(
        self, namespace: str, name: str, delete_options: dict[str, Any], options: Options
    ) -> tuple[int, Object]:
        raise not_allowed()
