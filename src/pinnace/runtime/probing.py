"""Container probes: httpGet, tcpSocket and exec checks, and the kubelet's thresholds.

`containers` starts one `Prober` per configured probe when a container's
process starts and stops them when it exits. A prober waits
`initialDelaySeconds`, then checks every `periodSeconds` with a
`timeoutSeconds` limit, and flips its result after `successThreshold`
consecutive successes or `failureThreshold` consecutive failures, calling
`on_change`. Initial results follow the kubelet: readiness and startup start
as failure, liveness as success. The caller decides what a change means
(readiness → the Ready condition; liveness or startup failure → kill and
restart per restartPolicy; startup success → start liveness and readiness).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import subprocess
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

Kind = Literal["startup", "liveness", "readiness"]
Check = Callable[[], Awaitable[tuple[bool, str]]]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a probe of one container looks: its pod IP, spec, environment and cwd."""

    pod_ip: str
    container: Object
    env: Mapping[str, str]
    cwd: Path


def port_number(port: int | str, container: Object) -> int:
    """A probe port given by number or by the name of one of the container's ports."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    raise ValueError(f"no container port named {port!r}")


async def http_get(
    host: str, port: int, path: str, *, scheme: str = "HTTP", headers: Mapping[str, str] = {}
) -> tuple[bool, str]:
    """One GET; 200 ≤ status < 400 is a success. TLS is not verified (as the kubelet)."""
    context = None
    if scheme.upper() == "HTTPS":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        lines = [
            f"GET {path or '/'} HTTP/1.1",
            f"Host: {headers.get('Host', f'{host}:{port}')}",
            "User-Agent: kube-probe/1.32",
            "Accept: */*",
            "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        status_line = (await reader.readline()).decode("latin-1").split()
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if len(status_line) < 2 or not status_line[1].isdigit():
        return False, "malformed HTTP answer"
    code = int(status_line[1])
    return 200 <= code < 400, f"HTTP probe failed with statuscode: {code}"


async def tcp_socket(host: str, port: int) -> tuple[bool, str]:
    _, writer = await asyncio.open_connection(host, port)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True, ""


async def exec_command(argv: list[str], env: Mapping[str, str], cwd: Path) -> tuple[bool, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = await proc.communicate()
    except asyncio.CancelledError:  # timed out: take the whole command down
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    return proc.returncode == 0, out.decode("utf-8", "replace")[-1024:]


def make_check(probe: Object, target: Target) -> Check:
    """The check function of a probe spec (httpGet, tcpSocket or exec)."""
    if "httpGet" in probe:
        spec: dict[str, Any] = probe["httpGet"]
        headers = {h["name"]: str(h.get("value", "")) for h in spec.get("httpHeaders") or []}
        return lambda: http_get(
            str(spec.get("host") or target.pod_ip),
            port_number(spec["port"], target.container),
            str(spec.get("path") or "/"),
            scheme=str(spec.get("scheme") or "HTTP"),
            headers=headers,
        )
    if "tcpSocket" in probe:
        spec = probe["tcpSocket"]
        return lambda: tcp_socket(
            str(spec.get("host") or target.pod_ip), port_number(spec["port"], target.container)
        )
    if "exec" in probe:
        argv = [str(a) for a in probe["exec"].get("command") or []]
        return lambda: exec_command(argv, target.env, target.cwd)
    raise ValueError("probe has no httpGet, tcpSocket or exec handler")


class Prober:
    """One probe of one container run, with kubelet threshold semantics."""

    def __init__(
        self,
        kind: Kind,
        probe: Object,
        check: Check,
        *,
        on_change: Callable[[Prober], None],
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.kind = kind
        self.check = check
        self.on_change = on_change
        self.clock = clock
        self.initial_delay = float(probe.get("initialDelaySeconds") or 0)
        self.period = float(probe.get("periodSeconds") or 10)
        self.timeout = float(probe.get("timeoutSeconds") or 1)
        self.success_threshold = (
            1 if kind != "readiness" else int(probe.get("successThreshold") or 1)
        )
        self.failure_threshold = int(probe.get("failureThreshold") or 3)
        self.ok = kind == "liveness"
        self.message = ""
        self._successes = 0
        self._failures = 0

    async def run(self) -> None:
        await self.clock.sleep(self.initial_delay)
        while True:
            await self.probe_once()
            if self.kind == "startup" and self.ok:
                return  # a startup probe stops once it succeeded
            await self.clock.sleep(self.period)

    async def probe_once(self) -> bool:
        try:
            ok, message = await asyncio.wait_for(self.check(), self.timeout)
        except TimeoutError:
            ok, message = False, f"probe timed out after {self.timeout:g}s"
        except (OSError, ValueError) as exc:
            ok, message = False, str(exc) or type(exc).__name__
        if ok:
            self._successes, self._failures = self._successes + 1, 0
            if not self.ok and self._successes >= self.success_threshold:
                self._flip(True, "")
        else:
            self._successes, self._failures = 0, self._failures + 1
            if (self.ok and self._failures >= self.failure_threshold) or (
                not self.ok and self._failures == self.failure_threshold
            ):
                self._flip(False, message)
        return ok

    def _flip(self, ok: bool, message: str) -> None:
        changed = ok != self.ok or not ok
        self.ok, self.message = ok, message
        log.debug("%s probe -> %s %s", self.kind, ok, message)
        if changed:
            self.on_change(self)
