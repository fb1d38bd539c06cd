"""Recurring-run triggers and their slots: when a RecurringRun's next run is due.

`Trigger.parse` reads a RecurringRun's `spec.trigger` — KFP's 6-field cron
with seconds first (`0 0 2 * * *`, robfig/cron's format), the descriptors
(`@hourly`, `@daily`, ...), `@every 1h30m` (a Go duration), or
`periodic.intervalSeconds` — and `next_slot` answers, from the last slot that
ran, the schedule's window and the clock, which slot is due next
(scheduledworkflow's `GetNextScheduledEpoch`, with and without catch-up).
The `recurringruns` controller calls it on every reconcile; slots are whole
unix seconds, so a slot's time names its run.

One deliberate difference from KFP: without catch-up an interval schedule
jumps to the latest slot on its grid (start + k·interval), not to "now", so a
slot recomputed after a crash is the same slot and cannot run twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

import croniter


class InvalidTrigger(ValueError):
    """The trigger cannot be parsed; the message names the field."""


class Kind(enum.StrEnum):
    CRON = "cron"
    INTERVAL = "interval"


DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
"""robfig/cron's descriptors as 6-field expressions (seconds first)."""

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")


def go_duration(text: str) -> float:
    """Seconds in a Go duration (`1h30m`, `90s`, `1.5h`, `500ms`)."""
    text = text.strip()
    pos, total = 0, 0.0
    for match in _GO_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise InvalidTrigger(f"trigger.cron.expression: {text!r} is not a duration (e.g. 1h30m)")
    return total


@dataclasses.dataclass(frozen=True, slots=True)
class Trigger:
    kind: Kind
    expression: str = ""
    """The 6-field cron expression (descriptors expanded); empty for intervals."""
    interval: int = 0
    """Whole seconds between slots (periodic, `@every`)."""
    timezone: str = "UTC"

    @staticmethod
    def parse(trigger: Mapping[str, Any]) -> Trigger:
        cron, periodic = trigger.get("cron"), trigger.get("periodic")
        if isinstance(periodic, Mapping):
            seconds = periodic.get("intervalSeconds")
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
                raise InvalidTrigger(
                    f"trigger.periodic.intervalSeconds: must be an integer >= 1, not {seconds!r}"
                )
            return Trigger(Kind.INTERVAL, interval=seconds)
        if not isinstance(cron, Mapping):
            raise InvalidTrigger("trigger: exactly one of cron or periodic is required")
        expression = " ".join(str(cron.get("expression") or "").split())
        timezone = str(cron.get("timezone") or "UTC")
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidTrigger(f"trigger.cron.timezone: unknown time zone {timezone!r}") from exc
        if expression.startswith("@every "):
            # robfig/cron: shorter than a second is one second; the fraction is dropped.
            seconds = max(1, int(go_duration(expression.removeprefix("@every "))))
            return Trigger(Kind.INTERVAL, interval=seconds)
        expression = DESCRIPTORS.get(expression, expression)
        if len(expression.split()) != 6 or not croniter.croniter.is_valid(
            expression, second_at_beginning=True
        ):
            raise InvalidTrigger(
                f"trigger.cron.expression: {expression!r} is not a 6-field cron expression "
                "with seconds first (e.g. '0 0 2 * * *'), a descriptor (@hourly) or @every <duration>"
            )
        return Trigger(Kind.CRON, expression=expression, timezone=timezone)

    def _cron(self, epoch: float) -> croniter.croniter:
        start = dt.datetime.fromtimestamp(epoch, zoneinfo.ZoneInfo(self.timezone))
        return croniter.croniter(self.expression, start, second_at_beginning=True)

    def after(self, epoch: int) -> int | None:
        """The first slot strictly after `epoch` (None: the expression never fires again)."""
        if self.kind is Kind.INTERVAL:
            return epoch + self.interval
        try:
            return int(self._cron(epoch).get_next(float))
        except croniter.CroniterBadDateError:
            return None

    def at_or_before(self, epoch: int) -> int | None:
        """The latest slot at or before `epoch` on a cron schedule."""
        try:
            return int(self._cron(epoch + 1).get_prev(float))
        except croniter.CroniterBadDateError:
            return None


@dataclasses.dataclass(frozen=True, slots=True)
class Window:
    """What `next_slot` reads besides the trigger: the schedule's history and window."""

    created: int
    """The RecurringRun's creation time: slots are counted from it without a startTime."""
    last: int | None = None
    """The last slot that ran."""
    start: int | None = None
    end: int | None = None
    catchup: bool = True


def next_slot(trigger: Trigger, window: Window, now: int) -> int | None:
    """The next slot to run (possibly in the past, possibly in the future); None: no more slots.

    With catch-up, every slot after the last one runs in turn; without, the
    slots already missed collapse into the latest of them that is due.
    """
    base = window.last if window.last is not None else window.start
    if base is None:
        base = window.created
    if window.start is not None and window.start > base:
        base = window.start
    first = trigger.after(base)
    end = window.end if window.end is not None else math.inf
    if first is None or first > end:
        return None
    if window.catchup:
        return first
    limit = int(min(now, end))
    if limit <= first:
        return first
    if trigger.kind is Kind.INTERVAL:
        return first + (limit - first) // trigger.interval * trigger.interval
    latest = trigger.at_or_before(limit)
    return max(first, latest) if latest is not None else first


def epoch_of(value: object) -> int | None:
    """A spec or status timestamp (RFC 3339) as unix seconds."""
    if not value:
        return None
    when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return math.floor(when.timestamp())


def rfc3339(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
