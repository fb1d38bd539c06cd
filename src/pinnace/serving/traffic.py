"""Which revisions get the traffic: KServe's canary rollout, as a pure function.

`reconciling` passes the revisions that exist (oldest first, each ready or not), the
predictor's `canaryTrafficPercent` and the revisions the status last recorded; `split`
answers the targets `routing` turns into VirtualService weights, the revisions the
status records next, and which revisions must be kept. The rules are KServe's
(`ksvc_reconciler.go`, `PropagateStatus`), with Knative's meaning of "latest":

- the latest *ready* revision is the newest that ever became ready (it does not move
  back while a newer one is still starting or has failed: an unready revision never
  gets traffic);
- with `canaryTrafficPercent: P` and a rolled-out revision older than the latest ready
  one, the latest gets P % (tag `latest`) and the rolled-out one 100 - P % (tag
  `prev`); `P = 0` is the rollback, all traffic on the previous revision;
- otherwise the latest ready revision gets 100 %, and becomes the rolled-out one (the
  one it replaced becomes `previousRolledoutRevision`): removing the field, or setting
  it to 100, is the promotion.

Kept: the latest created, the latest ready (and the one recorded before it, until the
status records the new one), the rolled-out and the previously rolled-out revisions; any other is old and `reconciling` deletes it. The previously rolled-out one
has had no traffic since the last promotion, so it goes away one rollout later, after
the gateway has long stopped sending to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Revision:
    name: str
    number: int
    ready: bool


@dataclass(frozen=True, slots=True)
class Target:
    revision: str
    percent: int
    latest: bool
    tag: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the InferenceService's status said last time (`components.predictor`)."""

    latest_ready: str = ""
    latest_rolledout: str = ""
    previous_rolledout: str = ""


@dataclass(frozen=True, slots=True)
class Split:
    targets: tuple[Target, ...]
    latest_created: str
    latest_ready: str
    latest_rolledout: str
    previous_rolledout: str
    was_ready: str = ""
    """The latest ready revision recorded before this split (kept one pass longer)."""

    @property
    def kept(self) -> frozenset[str]:
        names = {
            self.was_ready,
            self.latest_created,
            self.latest_ready,
            self.latest_rolledout,
            self.previous_rolledout,
            *(t.revision for t in self.targets),
        }
        return frozenset(n for n in names if n)

    @property
    def routed(self) -> tuple[Target, ...]:
        """The targets with a share (what the VirtualService lists)."""
        return tuple(t for t in self.targets if t.percent > 0)


def latest_ready(revisions: list[Revision], recorded: Recorded) -> Revision | None:
    by_name = {r.name: r for r in revisions}
    ready = [r for r in revisions if r.ready]
    newest = max(ready, key=lambda r: r.number, default=None)
    sticky = by_name.get(recorded.latest_ready)
    if sticky is not None and (newest is None or sticky.number > newest.number):
        return sticky
    return newest


def split(revisions: list[Revision], canary: int | None, recorded: Recorded) -> Split:
    """The traffic and the revisions to record, from what exists and what was recorded."""
    names = {r.name for r in revisions}
    created = max(revisions, key=lambda r: r.number).name if revisions else ""
    ready = latest_ready(revisions, recorded)
    rolled = recorded.latest_rolledout if recorded.latest_rolledout in names else ""
    previous = recorded.previous_rolledout if recorded.previous_rolledout in names else ""
    was = recorded.latest_ready if recorded.latest_ready in names else ""
    if ready is None:
        return Split((), created, "", rolled, previous, was)
    if canary is not None and canary < 100 and rolled and rolled != ready.name:
        percent = max(0, canary)
        targets = (
            Target(rolled, 100 - percent, latest=False, tag="prev"),
            Target(ready.name, percent, latest=True, tag="latest"),
        )
        return Split(targets, created, ready.name, rolled, previous, was)
    if rolled and rolled != ready.name:
        previous = rolled
    return Split(
        (Target(ready.name, 100, latest=True, tag="latest"),),
        created,
        ready.name,
        ready.name,
        previous,
    )
