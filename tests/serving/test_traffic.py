"""KServe's canary rollout rules: which revisions get traffic, and what the status records."""

from __future__ import annotations

from pinnace.serving import traffic


def rev(number: int, ready: bool = True) -> traffic.Revision:
    return traffic.Revision(f"m-predictor-{number:05d}", number, ready)


def shares(split: traffic.Split) -> dict[str, int]:
    return {t.revision: t.percent for t in split.targets}


R1, R2, R3 = "m-predictor-00001", "m-predictor-00002", "m-predictor-00003"


def test_the_first_ready_revision_gets_everything_and_is_rolled_out() -> None:
    split = traffic.split([rev(1)], 20, traffic.Recorded())
    assert shares(split) == {R1: 100}
    assert (split.latest_ready, split.latest_rolledout, split.previous_rolledout) == (R1, R1, "")


def test_nothing_ready_routes_nothing() -> None:
    split = traffic.split([rev(1, ready=False)], None, traffic.Recorded())
    assert split.targets == () and split.latest_created == R1 and split.latest_ready == ""


def test_a_new_revision_gets_traffic_only_once_ready() -> None:
    recorded = traffic.Recorded(latest_ready=R1, latest_rolledout=R1)
    starting = traffic.split([rev(1), rev(2, ready=False)], None, recorded)
    assert shares(starting) == {R1: 100} and starting.latest_created == R2
    done = traffic.split([rev(1), rev(2)], None, recorded)
    assert shares(done) == {R2: 100}
    assert (done.latest_rolledout, done.previous_rolledout) == (R2, R1)


def test_canary_splits_between_latest_ready_and_rolled_out() -> None:
    recorded = traffic.Recorded(latest_ready=R1, latest_rolledout=R1)
    split = traffic.split([rev(1), rev(2)], 20, recorded)
    assert shares(split) == {R1: 80, R2: 20}
    latest = next(t for t in split.targets if t.latest)
    assert (latest.revision, latest.tag) == (R2, "latest")
    assert split.latest_rolledout == R1  # not rolled out until it has everything


def test_promotion_and_rollback() -> None:
    canary = traffic.Recorded(latest_ready=R2, latest_rolledout=R1)
    rollback = traffic.split([rev(1), rev(2)], 0, canary)
    assert shares(rollback) == {R1: 100, R2: 0}
    assert [t.revision for t in rollback.routed] == [R1]
    promoted = traffic.split([rev(1), rev(2)], 100, canary)
    assert shares(promoted) == {R2: 100}
    assert (promoted.latest_rolledout, promoted.previous_rolledout) == (R2, R1)


def test_a_third_revision_during_a_canary_replaces_the_second() -> None:
    recorded = traffic.Recorded(latest_ready=R2, latest_rolledout=R1)
    split = traffic.split([rev(1), rev(2), rev(3)], 20, recorded)
    assert shares(split) == {R1: 80, R3: 20}
    assert R2 in split.kept  # the recorded latest ready one, until R3 is recorded
    later = traffic.split(
        [rev(1), rev(2), rev(3)], 20, traffic.Recorded(latest_ready=R3, latest_rolledout=R1)
    )
    assert R2 not in later.kept


def test_the_latest_ready_revision_does_not_move_back_when_it_flaps() -> None:
    recorded = traffic.Recorded(latest_ready=R2, latest_rolledout=R2, previous_rolledout=R1)
    split = traffic.split([rev(1), rev(2, ready=False)], None, recorded)
    assert shares(split) == {R2: 100}


def test_old_revisions_are_not_kept() -> None:
    recorded = traffic.Recorded(latest_ready=R2, latest_rolledout=R2, previous_rolledout=R1)
    split = traffic.split([rev(1), rev(2), rev(3)], None, recorded)
    assert shares(split) == {R3: 100}
    assert split.kept == {R2, R3}  # R1: previous of the previous rollout
