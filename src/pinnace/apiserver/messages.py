"""The request and reply the verb modules exchange with the ASGI layer (`app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.apiserver.requests import RequestInfo


@dataclass(frozen=True, slots=True)
class Request:
    info: RequestInfo
    headers: Mapping[str, str]
    """Lower-cased header names."""
    body: bytes = b""

    @property
    def query(self) -> dict[str, str]:
        return self.info.query

    @property
    def dry_run(self) -> bool:
        return self.info.query.get("dryRun") == "All"

    @property
    def field_validation(self) -> str:
        """Strict, Warn (the default for clients that do not say) or Ignore."""
        value = self.info.query.get("fieldValidation", "Warn")
        return value if value in ("Strict", "Warn", "Ignore") else "Warn"


@dataclass(slots=True)
class Reply:
    code: int
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: AsyncIterator[bytes] | None = None
    content_type: str = "application/json"

    def warn(self, message: str) -> None:
        escaped = message.replace("\\", "\\\\").replace('"', '\\"')
        self.headers.append(("warning", f'299 - "{escaped}"'))
