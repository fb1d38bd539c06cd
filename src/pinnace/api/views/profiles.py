"""`Profile` (kubeflow.org/v1, cluster-scoped): a namespace, its owner, its quota.

Upstream's profile controller makes the namespace named after the Profile,
owned by `spec.owner` (a User or Group), with a ResourceQuota from
`spec.resourceQuotaSpec`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinnace.api.views import conditions, metas
from pinnace.kits.kube.objects import Object


class OwnerKind(enum.StrEnum):
    USER = "User"
    GROUP = "Group"
    SERVICE_ACCOUNT = "ServiceAccount"


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    name: str


@dataclass(frozen=True, slots=True)
class Profile:
    meta: metas.Meta
    owner: Owner | None
    resource_quota: Object
    """`spec.resourceQuotaSpec` as written (a ResourceQuotaSpec); empty: no quota."""
    conditions: tuple[conditions.Condition, ...]

    @property
    def namespace(self) -> str:
        """The namespace the Profile stands for (it has the Profile's name)."""
        return self.meta.name

    @staticmethod
    def parse(obj: Object) -> Profile:
        spec, status = metas.section(obj, "spec"), metas.section(obj, "status")
        raw_owner = metas.section(spec, "owner")
        owner = None
        if raw_owner.get("name"):
            try:
                kind = OwnerKind(str(raw_owner.get("kind") or "User"))
            except ValueError:
                kind = OwnerKind.USER
            owner = Owner(kind, str(raw_owner["name"]))
        return Profile(
            meta=metas.Meta.parse(obj),
            owner=owner,
            resource_quota=metas.section(spec, "resourceQuotaSpec"),
            conditions=conditions.parse_all(status.get("conditions")),
        )
