"""Triggers and slots: KFP's cron (seconds first), descriptors, @every, intervals; catch-up or not."""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.pipelines import schedules
from pinnace.pipelines.schedules import Kind, Trigger, Window

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("trigger", "kind", "expression", "interval"),
    [
        pytest.param(
            {"cron": {"expression": "0 0 2 * * *"}}, Kind.CRON, "0 0 2 * * *", 0, id="6-field"
        ),
        pytest.param({"cron": {"expression": "@hourly"}}, Kind.CRON, "0 0 * * * *", 0, id="hourly"),
        pytest.param({"cron": {"expression": "@weekly"}}, Kind.CRON, "0 0 0 * * 0", 0, id="weekly"),
        pytest.param({"cron": {"expression": "@every 1h30m"}}, Kind.INTERVAL, "", 5400, id="every"),
        pytest.param(
            {"cron": {"expression": "@every 500ms"}}, Kind.INTERVAL, "", 1, id="every-sub-second"
        ),
        pytest.param({"periodic": {"intervalSeconds": 90}}, Kind.INTERVAL, "", 90, id="periodic"),
    ],
)
def test_triggers_parse(
    trigger: dict[str, Any], kind: Kind, expression: str, interval: int
) -> None:
    parsed = Trigger.parse(trigger)
    assert (parsed.kind, parsed.expression, parsed.interval) == (kind, expression, interval)


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        pytest.param(
            {"cron": {"expression": "0 0 * * *"}}, "trigger.cron.expression", id="5-fields"
        ),
        pytest.param(
            {"cron": {"expression": "61 * * * * *"}}, "trigger.cron.expression", id="second-61"
        ),
        pytest.param(
            {"cron": {"expression": "@every 1x"}}, "trigger.cron.expression", id="bad-duration"
        ),
        pytest.param(
            {"cron": {"expression": "0 * * * * *", "timezone": "Mars/Olympus"}},
            "trigger.cron.timezone",
            id="timezone",
        ),
        pytest.param(
            {"periodic": {"intervalSeconds": 0}}, "trigger.periodic.intervalSeconds", id="zero"
        ),
        pytest.param({}, "trigger", id="empty"),
    ],
)
def test_bad_triggers_name_the_field(trigger: dict[str, Any], field: str) -> None:
    with pytest.raises(schedules.InvalidTrigger, match=f"^{field}:"):
        Trigger.parse(trigger)


def test_cron_slots_follow_the_time_zone() -> None:
    paris = Trigger.parse({"cron": {"expression": "0 0 2 * * *", "timezone": "Europe/Paris"}})
    assert schedules.rfc3339(paris.after(T0) or 0) == "2026-01-01T01:00:00Z"
    utc = Trigger.parse({"cron": {"expression": "0 0 2 * * *"}})
    assert schedules.rfc3339(utc.after(T0) or 0) == "2026-01-01T02:00:00Z"


EVERY_MINUTE = Trigger.parse({"cron": {"expression": "0 * * * * *"}})
MINUTELY = Trigger.parse({"periodic": {"intervalSeconds": 60}})


@pytest.mark.parametrize(
    ("trigger", "window", "now", "slot"),
    [
        pytest.param(MINUTELY, Window(created=T0), T0, T0 + 60, id="first-after-creation"),
        pytest.param(
            MINUTELY, Window(created=T0, last=T0 + 60), T0 + 600, T0 + 120, id="catch-up-one-by-one"
        ),
        pytest.param(
            MINUTELY,
            Window(created=T0, last=T0 + 60, catchup=False),
            T0 + 630,
            T0 + 600,
            id="no-catchup-grid",
        ),
        pytest.param(
            EVERY_MINUTE,
            Window(created=T0 + 5, catchup=False),
            T0 + 305,
            T0 + 300,
            id="no-catchup-cron",
        ),
        pytest.param(MINUTELY, Window(created=T0, start=T0 + 1000), T0, T0 + 1060, id="start-time"),
        pytest.param(
            MINUTELY, Window(created=T0 + 500, start=T0), T0 + 500, T0 + 60, id="start-in-the-past"
        ),
        pytest.param(
            MINUTELY, Window(created=T0, last=T0 + 60, end=T0 + 100), T0 + 500, None, id="after-end"
        ),
        pytest.param(
            MINUTELY,
            Window(created=T0, end=T0 + 200, catchup=False),
            T0 + 900,
            T0 + 180,
            id="no-catchup-stops-at-end",
        ),
    ],
)
def test_next_slot(trigger: Trigger, window: Window, now: int, slot: int | None) -> None:
    assert schedules.next_slot(trigger, window, now) == slot


def test_a_recomputed_slot_is_the_same_slot() -> None:
    """Without catch-up an interval stays on its grid: a crash between create and status is harmless."""
    window = Window(created=T0, catchup=False)
    assert {schedules.next_slot(MINUTELY, window, T0 + n) for n in range(600, 660)} == {T0 + 600}
