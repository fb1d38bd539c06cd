"""Hold-until-ready: the seam for scale-from-zero (Knative's activator role).

When the proxy picks a destination whose Service has no ready endpoint, it
asks `Holder.hold`. The `Activator` policy (serving plugs one in; the default
`NoActivation` declines) says how long this request may wait, and may poke an
autoscaler as a side effect. `Holder` then parks the request until a newly
published routing table (see `pinnace.gateway.publishing`) shows a ready
endpoint for the same Service port, or the budget (capped by
`Settings.activation_timeout`) runs out, in which case the proxy answers 503.
Waiting costs nothing per table change beyond one lookup per held request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pinnace.gateway import backends, publishing, tables
from pinnace.kits import clocks


@dataclass(frozen=True, slots=True)
class Demand:
    """A request that found no ready endpoint: which route and which Service port it needs."""

    route: str
    """The route label `<namespace>/<virtualservice>/<route name>`."""
    backend: backends.BackendKey
    method: str
    path: str


class Activator(Protocol):
    async def activate(self, demand: Demand) -> float:
        """Seconds the gateway may hold this request for an endpoint (0: answer 503 now).

        Called once per held request; a serving policy may start a scale-up here.
        """
        ...


class NoActivation:
    """The default policy: never hold; a route without endpoints answers 503 at once."""

    async def activate(self, demand: Demand) -> float:
        return 0.0


class Holder:
    """Waits (bounded) for a backend's endpoints on behalf of the proxy."""

    def __init__(
        self,
        publisher: publishing.Publisher,
        activator: Activator,
        *,
        max_hold: float,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self._publisher = publisher
        self._activator = activator
        self._max_hold = max_hold
        self._clock = clock

    async def hold(
        self, route: tables.Route, backend: backends.Backend, *, method: str, path: str
    ) -> backends.Backend | None:
        """The backend (from the newest table) once it has endpoints; None if the wait is over."""
        demand = Demand(route.label, backend.key, method, path)
        budget = min(await self._activator.activate(demand), self._max_hold)
        if budget <= 0:
            return None
        deadline = self._clock.monotonic() + budget
        while True:
            current = self._publisher.current.backend(backend.key)
            if current is not None and current.endpoints:
                return current
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0 or not await self._publisher.wait_changed(remaining):
                return None
