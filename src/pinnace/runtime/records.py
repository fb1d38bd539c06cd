"""Per-pod runtime records: what must survive a `kill -9` of the node agent.

`<pod dir>/record.json` holds the pod's identity, its loopback address, host
links it made, and per container: restart count, the running process's
`Identity`, when it started, its last and final terminated states. `pods` and
`containers` save it before they report a change (so a status written to the
API is never ahead of the record); `agents` reads all records when it starts,
to adopt or clean up. Writes are atomic renames (no fsync: the record must
survive the agent's death, not the machine's).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pinnace.runtime import layouts, processes


@dataclass
class ContainerRecord:
    restart_count: int = 0
    process: processes.Identity | None = None
    started_at: str | None = None
    last_state: dict[str, Any] | None = None
    final_state: dict[str, Any] | None = None
    """A terminated state that will not be followed by a restart (init done, or policy)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "restartCount": self.restart_count,
            "process": self.process.to_json() if self.process else None,
            "startedAt": self.started_at,
            "lastState": self.last_state,
            "finalState": self.final_state,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        proc = data.get("process")
        return cls(
            restart_count=int(data.get("restartCount") or 0),
            process=processes.Identity.from_json(proc) if proc else None,
            started_at=data.get("startedAt"),
            last_state=data.get("lastState"),
            final_state=data.get("finalState"),
        )


@dataclass
class PodRecord:
    uid: str
    namespace: str
    name: str
    ip: str
    start_time: str
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    host_links: list[tuple[str, str]] = field(default_factory=list)

    def container(self, name: str) -> ContainerRecord:
        return self.containers.setdefault(name, ContainerRecord())

    def identities(self) -> list[processes.Identity]:
        return [c.process for c in self.containers.values() if c.process is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "namespace": self.namespace,
            "name": self.name,
            "ip": self.ip,
            "startTime": self.start_time,
            "containers": {k: v.to_json() for k, v in self.containers.items()},
            "hostLinks": [list(link) for link in self.host_links],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PodRecord:
        return cls(
            uid=str(data["uid"]),
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            ip=str(data["ip"]),
            start_time=str(data.get("startTime") or ""),
            containers={
                k: ContainerRecord.from_json(v) for k, v in (data.get("containers") or {}).items()
            },
            host_links=[(str(a), str(b)) for a, b in data.get("hostLinks") or []],
        )


_saved: dict[Path, bytes] = {}
"""What each pod dir's record last held: an unchanged record is not written again."""


def save(pod_dir: Path, record: PodRecord) -> None:
    data = orjson.dumps(record.to_json())
    if _saved.get(pod_dir) == data:
        return
    pod_dir.mkdir(parents=True, exist_ok=True)
    path = layouts.record_path(pod_dir)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    _saved[pod_dir] = data


def forget(pod_dir: Path) -> None:
    """The pod dir is gone (or about to be): drop its cached record."""
    _saved.pop(pod_dir, None)


def load(pod_dir: Path) -> PodRecord | None:
    try:
        return PodRecord.from_json(orjson.loads(layouts.record_path(pod_dir).read_bytes()))
    except (FileNotFoundError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def load_all(pods_dir: Path) -> dict[Path, PodRecord | None]:
    """Every pod dir with its record (None when it has none or it is unreadable)."""
    found: dict[Path, PodRecord | None] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(pods_dir.iterdir()):
            if entry.is_dir():
                found[entry] = load(entry)
    return found
