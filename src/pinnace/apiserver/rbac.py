"""RBAC evaluation: may this user do this verb on this resource (k8s.io/kubernetes' rbac authorizer).

`Rbac.decide(attributes)` answers from an index built out of the stored Roles,
ClusterRoles, RoleBindings and ClusterRoleBindings: per subject (`User`/`Group`
name; a ServiceAccount subject is the user `system:serviceaccount:<ns>:<name>`)
the rules it is granted cluster-wide and per namespace, with the role
references already resolved. ClusterRoles with an `aggregationRule` get the
rules of every ClusterRole their selectors match, transitively, at index time —
the effect of the controller manager's clusterrole-aggregation controller
without writing the rules back. The group `system:masters` is allowed
everything before any rule is looked at, as kube-apiserver's privileged-group
authorizer does.

The index is rebuilt when a committed change touches one of the four RBAC kinds
(the store's commit listener) and, for a denial, when anything was written since
the index was built (so a binding created a moment ago counts at once). Decisions
are cached per index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pinnace.apiserver import storage
from pinnace.kits import selectors
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

SYSTEM_MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
GROUP = "rbac.authorization.k8s.io"

ROLES = f"{GROUP}/roles"
CLUSTERROLES = f"{GROUP}/clusterroles"
ROLEBINDINGS = f"{GROUP}/rolebindings"
CLUSTERROLEBINDINGS = f"{GROUP}/clusterrolebindings"
RBAC_KEYS = frozenset({ROLES, CLUSTERROLES, ROLEBINDINGS, CLUSTERROLEBINDINGS})

_CACHE_LIMIT = 50_000

Subject = tuple[str, str]
"""("User", name) or ("Group", name)."""


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a request asks for, as kube's authorizer.Attributes."""

    user: str
    groups: tuple[str, ...]
    verb: str
    namespace: str = ""
    group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled PolicyRule."""

    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]
    urls: tuple[str, ...]

    @staticmethod
    def parse(rule: Object) -> Rule:
        def strings(key: str) -> frozenset[str]:
            return frozenset(str(v) for v in rule.get(key) or ())

        return Rule(
            strings("verbs"),
            strings("apiGroups"),
            strings("resources"),
            strings("resourceNames"),
            tuple(str(u) for u in rule.get("nonResourceURLs") or ()),
        )

    def matches(self, a: Attributes) -> bool:
        if not ("*" in self.verbs or a.verb in self.verbs):
            return False
        if not a.resource_request:
            return any(
                u == "*" or u == a.path or (u.endswith("*") and a.path.startswith(u[:-1]))
                for u in self.urls
            )
        if not ("*" in self.groups or a.group in self.groups):
            return False
        if a.subresource:
            combined = f"{a.resource}/{a.subresource}"
            if not (
                "*" in self.resources
                or combined in self.resources
                or f"*/{a.subresource}" in self.resources
            ):
                return False
        elif not ("*" in self.resources or a.resource in self.resources):
            return False
        return not self.names or a.name in self.names


@dataclass(frozen=True, slots=True)
class Grant:
    rule: Rule
    via: str
    """`RoleBinding "ns/name" of ClusterRole "role"`, for the allow reason."""


@dataclass(slots=True)
class Index:
    cluster: dict[Subject, list[Grant]]
    namespaced: dict[Subject, dict[str, list[Grant]]]
    built_at: int
    """The store's resourceVersion when this index was built."""


def subject_keys(binding: Object) -> list[Subject]:
    out: list[Subject] = []
    namespace = str((binding.get("metadata") or {}).get("namespace") or "")
    for s in binding.get("subjects") or ():
        kind, name = str(s.get("kind") or ""), str(s.get("name") or "")
        if kind == "ServiceAccount":
            ns = str(s.get("namespace") or namespace)
            out.append(("User", f"system:serviceaccount:{ns}:{name}"))
        elif kind in ("User", "Group"):
            out.append((kind, name))
    return out


def aggregated_rules(clusterroles: dict[str, Object]) -> dict[str, list[Rule]]:
    """Every ClusterRole's rules, aggregation applied (transitively, cycles cut)."""
    labels = {n: (r.get("metadata") or {}).get("labels") or {} for n, r in clusterroles.items()}
    out: dict[str, list[Rule]] = {}

    def rules_of(name: str, seen: frozenset[str]) -> list[Rule]:
        if name in out:
            return out[name]
        role = clusterroles[name]
        rules = [Rule.parse(r) for r in role.get("rules") or ()]
        aggregation = role.get("aggregationRule")
        if aggregation:
            for raw in aggregation.get("clusterRoleSelectors") or ():
                try:
                    selector = selectors.from_label_selector(raw)
                except selectors.SelectorError:
                    continue
                for other in sorted(clusterroles):
                    if other != name and other not in seen and selector.matches(labels[other]):
                        rules.extend(rules_of(other, seen | {name}))
        return rules

    for name in clusterroles:
        out[name] = rules_of(name, frozenset())
    return out


def build(store: storage.Store) -> Index:
    clusterroles = {str(r["metadata"]["name"]): r for r in store.objects(CLUSTERROLES)}
    cluster_rules = aggregated_rules(clusterroles)
    cluster: dict[Subject, list[Grant]] = {}
    namespaced: dict[Subject, dict[str, list[Grant]]] = {}
    for crb in store.objects(CLUSTERROLEBINDINGS):
        ref = crb.get("roleRef") or {}
        if ref.get("kind") != "ClusterRole" or ref.get("name") not in cluster_rules:
            continue
        via = f'ClusterRoleBinding "{crb["metadata"]["name"]}" of ClusterRole "{ref["name"]}"'
        grants = [Grant(rule, via) for rule in cluster_rules[str(ref["name"])]]
        for subject in subject_keys(crb):
            cluster.setdefault(subject, []).extend(grants)
    for rb in store.objects(ROLEBINDINGS):
        meta = rb["metadata"]
        ns = str(meta.get("namespace") or "")
        ref = rb.get("roleRef") or {}
        name = str(ref.get("name") or "")
        if ref.get("kind") == "ClusterRole":
            rules = cluster_rules.get(name, [])
        elif ref.get("kind") == "Role":
            role = store.get(ROLES, ns, name)
            rules = [Rule.parse(r) for r in (role or {}).get("rules") or ()]
        else:
            continue
        via = f'RoleBinding "{meta["name"]}/{ns}" of {ref.get("kind")} "{name}"'
        grants = [Grant(rule, via) for rule in rules]
        for subject in subject_keys(rb):
            namespaced.setdefault(subject, {}).setdefault(ns, []).extend(grants)
    return Index(cluster, namespaced, store.resource_version)


class Rbac:
    def __init__(self, store: storage.Store) -> None:
        self.store = store
        self._index: Index | None = None
        self._cache: dict[Attributes, Decision] = {}
        store.subscribe(self._changed)

    def _changed(self, changes: list[storage.Change]) -> None:
        if any(c.rkey in RBAC_KEYS for c in changes):
            self.invalidate()

    def invalidate(self) -> None:
        self._index = None
        self._cache.clear()

    def index(self) -> Index:
        if self._index is None:
            self._index = build(self.store)
        return self._index

    def decide(self, a: Attributes) -> Decision:
        if SYSTEM_MASTERS in a.groups:
            return Decision(True, f'allowed by the group "{SYSTEM_MASTERS}"')
        cached = self._cache.get(a)
        if cached is not None:
            return cached
        decision = self._evaluate(self.index(), a)
        if not decision.allowed and self.index().built_at != self.store.resource_version:
            # A write since the index was built may be the binding that allows this.
            self.invalidate()
            decision = self._evaluate(self.index(), a)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[a] = decision
        return decision

    def _evaluate(self, index: Index, a: Attributes) -> Decision:
        subjects: Iterable[Subject] = [("User", a.user), *(("Group", g) for g in a.groups)]
        for subject in subjects:
            for grant in index.cluster.get(subject, ()):
                if grant.rule.matches(a):
                    return Decision(True, _allowed(grant, subject))
            if a.namespace:
                for grant in index.namespaced.get(subject, {}).get(a.namespace, ()):
                    if grant.rule.matches(a):
                        return Decision(True, _allowed(grant, subject))
        return Decision(False, "")


def _allowed(grant: Grant, subject: Subject) -> str:
    return f'RBAC: allowed by {grant.via} to {subject[0]} "{subject[1]}"'


def forbidden_message(a: Attributes) -> str:
    """kube-apiserver's forbiddenMessage, wrapped as apierrors.NewForbidden words it."""
    if not a.resource_request:
        return f'forbidden: User "{a.user}" cannot {a.verb} path "{a.path}"'
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    scope = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    why = f'User "{a.user}" cannot {a.verb} resource "{resource}" in API group "{a.group}" {scope}'
    qualified = f"{a.resource}.{a.group}" if a.group else a.resource
    if a.name:
        return f'{qualified} "{a.name}" is forbidden: {why}'
    return f"{qualified} is forbidden: {why}"


def forbidden_details(a: Attributes) -> dict[str, str]:
    if not a.resource_request:
        return {}
    details = {"name": a.name} if a.name else {}
    if a.group:
        details["group"] = a.group
    details["kind"] = a.resource
    return details
