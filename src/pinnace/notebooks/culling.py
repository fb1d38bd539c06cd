"""Idle culling of Jupyter servers (upstream's `CullingReconciler`), off unless enabled.

A third controller of the package, keyed by Notebook, that requeues itself
every check period (`Result(requeue_after=...)` on the manager's clock). For a
running notebook whose pod is Ready it reads Jupyter's `/api/kernels` from the
server (`http://<pod IP>:<port>/notebook/<ns>/<name>/api/kernels`; upstream
goes through the Service's DNS name, which one machine does not have): any
kernel not `idle` means active now, else the newest kernel `last_activity`
counts; no kernels leave the recorded activity as it was (it starts at the
first check). It records the annotations `notebooks.kubeflow.org/last-activity`
and `…/last_activity_check_timestamp`, and once the last activity is older
than the idle time it stops the notebook the way the UI does — the
`kubeflow-resource-stopped` annotation — with a `Culled` Event. The status
then shows it stopped (`mirroring`), naming the last activity.

Settings come from upstream's environment variables, read by `pinnace up`:
`ENABLE_CULLING` (default false), `CULL_IDLE_TIME` (minutes, default 1440),
`IDLENESS_CHECK_PERIOD` (minutes, default 1). A server that does not answer
`/api/kernels` as Jupyter does is not culled (as upstream).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from pinnace.api import kinds
from pinnace.controllers import reconciling
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.notebooks import children

log = logging.getLogger(__name__)

LAST_ACTIVITY = children.LAST_ACTIVITY_ANNOTATION
LAST_CHECK = children.LAST_CHECK_ANNOTATION

Fetch = Callable[[str], Awaitable[Any]]
"""GET a URL and return its JSON body; raises `Unreadable` when there is no Jupyter answer."""


class Unreadable(Exception):
    """The server did not answer `/api/kernels` like Jupyter."""


@dataclass(frozen=True, slots=True)
class Settings:
    enabled: bool = False
    idle_time: float = 1440 * 60.0
    """Seconds without kernel activity after which a notebook is stopped."""
    check_period: float = 60.0

    @staticmethod
    def from_env(env: Mapping[str, str]) -> Settings:
        """Upstream's variables: ENABLE_CULLING, CULL_IDLE_TIME and IDLENESS_CHECK_PERIOD (minutes)."""
        enabled = env.get("ENABLE_CULLING", "false").strip().lower() in ("1", "true", "yes")
        return Settings(
            enabled=enabled,
            idle_time=float(env.get("CULL_IDLE_TIME", "1440")) * 60,
            check_period=float(env.get("IDLENESS_CHECK_PERIOD", "1")) * 60,
        )


async def fetch_json(url: str) -> Any:
    """The production `Fetch`: one GET with a short timeout."""
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                raise Unreadable(f"GET {url}: {response.status}")
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise Unreadable(f"GET {url}: {exc}") from exc


def _parse(text: Any) -> datetime.datetime | None:
    try:
        when = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def kernel_activity(kernels: Any, now: datetime.datetime) -> datetime.datetime | None:
    """Upstream's rule: a busy kernel is activity now, else the newest `last_activity`."""
    if not isinstance(kernels, list):
        raise Unreadable(f"/api/kernels answered {type(kernels).__name__}, not a list")
    if any(k.get("execution_state") != "idle" for k in kernels if isinstance(k, dict)):
        return now
    times = [t for k in kernels if isinstance(k, dict) if (t := _parse(k.get("last_activity")))]
    return max(times) if times else None


class Culler:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        notebooks: informers.Informer,
        pods: informers.Informer,
        recorder: recording.EventRecorder,
        settings: Settings,
        fetch: Fetch = fetch_json,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.notebooks = notebooks
        self.pods = pods
        self.recorder = recorder
        self.settings = settings
        self.fetch = fetch
        self.clock = clock

    def _url(self, notebook: Object) -> str | None:
        name, namespace = objects.name_of(notebook), objects.namespace_of(notebook)
        pod = self.pods.get(ObjectKey(namespace, children.pod_name(name)))
        status = (pod or {}).get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if pod is None or objects.is_deleting(pod) or not ready or not status.get("podIP"):
            return None
        port = children.server_port(notebook)
        return f"http://{status['podIP']}:{port}{children.prefix(namespace, name)}api/kernels"

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        notebook = self.notebooks.get(key)
        if notebook is None or objects.is_deleting(notebook) or children.is_stopped(notebook):
            return reconciling.DONE  # a start (annotation removed) wakes this key again
        again = reconciling.Result(requeue_after=self.settings.check_period)
        now = self.clock.now()
        annotations = objects.meta(notebook).get("annotations") or {}
        checked = _parse(annotations.get(LAST_CHECK)) if annotations.get(LAST_CHECK) else None
        if checked is not None:
            # Woken early (by its own annotation write, say): the next check is not due yet.
            due = self.settings.check_period - (now - checked).total_seconds()
            if due > 0:
                return reconciling.Result(requeue_after=due)
        url = self._url(notebook)
        if url is None:
            return again
        try:
            active = kernel_activity(await self.fetch(url), now)
        except Unreadable as exc:
            log.debug("not culling %s: %s", key, exc)
            return again
        recorded = (
            _parse(annotations.get(LAST_ACTIVITY)) if annotations.get(LAST_ACTIVITY) else None
        )
        last = max(t for t in (active, recorded) if t is not None) if (active or recorded) else now
        stamp = clocks.rfc3339(now)
        patch: dict[str, Any] = {LAST_ACTIVITY: clocks.rfc3339(last), LAST_CHECK: stamp}
        idle = (now - last).total_seconds()
        culled = idle > self.settings.idle_time
        if culled:
            patch[children.STOPPED_ANNOTATION] = stamp
        try:
            updated = await self.client.patch(
                kinds.NOTEBOOKS,
                key.name,
                {
                    "metadata": {
                        "annotations": patch,
                        "resourceVersion": objects.resource_version_of(notebook),
                    }
                },
                namespace=key.namespace,
            )
        except errors.NotFound:
            return reconciling.DONE
        if culled:
            await self.recorder.event(
                updated,
                "Culled",
                f"stopped after {idle / 60:.1f} min without kernel activity "
                f"(last activity {clocks.rfc3339(last)}, idle time "
                f"{self.settings.idle_time / 60:g} min)",
            )
            return reconciling.DONE
        return again
