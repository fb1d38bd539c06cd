"""Expectations hold back a reconcile until the cache shows its own writes."""

from __future__ import annotations

from pinnace.controllers import conditions, expecting
from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object, ObjectKey

K = ObjectKey("ns", "d")


def test_pending_until_visible_and_expires() -> None:
    clock = clocks.ManualClock()
    exp = expecting.Expectations(clock=clock, ttl=60)
    cache: dict[ObjectKey, Object] = {ObjectKey("ns", "old"): {"metadata": {}}}
    exp.expect(K, creates=[ObjectKey("ns", "new")], deletes=[ObjectKey("ns", "old")])
    assert exp.pending(K, cache.get)
    cache[ObjectKey("ns", "new")] = {"metadata": {}}
    assert exp.pending(K, cache.get)
    cache[ObjectKey("ns", "old")] = {"metadata": {"deletionTimestamp": "t"}}
    assert not exp.pending(K, cache.get)
    exp.expect(K, creates=[ObjectKey("ns", "never")])
    clock.advance(61)
    assert not exp.pending(K, cache.get)


def test_conditions_keep_transition_time_unless_status_flips() -> None:
    conds = conditions.set_condition(None, "Available", "False", reason="A", message="m", now="t1")
    conds = conditions.set_condition(
        conds,
        "Progressing",
        "True",
        reason="P",
        message="m",
        now="t1",
        update_time_field="lastUpdateTime",
    )
    conds = conditions.set_condition(conds, "Available", "False", reason="B", message="m", now="t2")
    assert conditions.find(conds, "Available") == {
        "type": "Available",
        "status": "False",
        "reason": "B",
        "message": "m",
        "lastTransitionTime": "t1",
    }
    conds = conditions.set_condition(conds, "Available", "True", reason="B", message="m", now="t3")
    assert conditions.find(conds, "Available")["lastTransitionTime"] == "t3"  # type: ignore[index]
    assert [c["type"] for c in conds] == ["Available", "Progressing"]
