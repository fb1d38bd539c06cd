"""CrashLoopBackOff: how long a container waits before its next restart.

As the kubelet: the first restart is immediate, then 10 s, 20 s, 40 s ... up
to 300 s; a run that lasted 10 minutes resets the sequence. `containers`
keeps one `Backoff` per container; `base` is configurable so tests are quick.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    base: float = 10.0
    cap: float = 300.0
    reset_after: float = 600.0


class Backoff:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._next = 0.0

    def delay(self, ran_for: float) -> float:
        """The wait before restarting a container whose last run lasted `ran_for` seconds."""
        if ran_for >= self.policy.reset_after:
            self._next = 0.0
        delay = self._next
        self._next = self.policy.base if delay == 0 else min(self.policy.cap, delay * 2)
        return min(delay, self.policy.cap)
