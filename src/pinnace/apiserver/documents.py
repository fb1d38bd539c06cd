"""OpenAPI v3 documents: `/openapi/v3` and `/openapi/v3/<api/v1 | apis/<g>/<v>>`.

kubectl needs them for `apply`/`create`/`replace` under its default
`--validate=strict` (it then leaves field validation to the server) and for
`kubectl explain`. Documents are built by `pinnace.api.openapi` from the
registry and cached until the set of served kinds changes.
"""

from __future__ import annotations

from typing import Any

from pinnace.api import openapi
from pinnace.apiserver.server import ApiServer


class Documents:
    def __init__(self, server: ApiServer) -> None:
        self._server = server
        self._generation = -1
        self._docs: dict[str, dict[str, Any]] = {}
        self._index: dict[str, Any] = {}

    def _refresh(self) -> None:
        registry = self._server.registry
        if registry.generation == self._generation:
            return
        docs: dict[str, dict[str, Any]] = {}
        for group in registry.groups():
            for version in group.versions:
                infos = registry.resources(group.name, version)
                docs[openapi.gv_path(group.name, version)] = openapi.document(
                    group.name, version, infos
                )
        self._docs, self._index = docs, openapi.index(docs)
        self._generation = registry.generation

    def index(self) -> dict[str, Any]:
        self._refresh()
        return self._index

    def document(self, path: str) -> dict[str, Any] | None:
        self._refresh()
        return self._docs.get(path.strip("/"))
