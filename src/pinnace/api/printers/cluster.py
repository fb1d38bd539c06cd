"""Printers for namespaces, nodes, events and the RBAC kinds (kube-apiserver 1.32 columns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pinnace.api.printers.columns import (
    AGE,
    CREATED_AT,
    NAME,
    Column,
    Printer,
    Row,
    age,
    dig,
    items,
    meta,
    name,
    since,
)
from pinnace.kits.kube.objects import Object


def _namespace(obj: Object, now: datetime) -> Row:
    return Row([name(obj), dig(obj, "status", "phase") or "Active", age(obj, now)])


NAMESPACES = Printer(
    (NAME, Column("Status", description="The status of the namespace"), AGE), _namespace
)


def _node_roles(labels: Any) -> str:
    roles: list[str] = []
    for key, value in sorted((labels or {}).items()):
        if key.startswith("node-role.kubernetes.io/"):
            roles.append(key.removeprefix("node-role.kubernetes.io/"))
        elif key == "kubernetes.io/role":
            roles.append(str(value))
    return ",".join(r for r in roles if r) or "<none>"


def _node(obj: Object, now: datetime) -> Row:
    status = obj.get("status") or {}
    ready = [c for c in items(status, "conditions") if c.get("type") == "Ready"]
    states = [("Ready" if ready[0].get("status") == "True" else "NotReady")] if ready else []
    states = states or ["Unknown"]
    if dig(obj, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    addresses = items(status, "addresses")

    def address(kind: str) -> str:
        return next((a.get("address") for a in addresses if a.get("type") == kind), "<none>")

    info = status.get("nodeInfo") or {}
    return Row(
        [
            name(obj),
            ",".join(states),
            _node_roles(meta(obj).get("labels")),
            age(obj, now),
            info.get("kubeletVersion") or "",
            address("InternalIP"),
            address("ExternalIP"),
            info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>",
        ]
    )


NODES = Printer(
    (
        NAME,
        Column("Status", description="The status of the node"),
        Column("Roles", description="The roles of the node"),
        AGE,
        Column("Version", description="Kubelet Version reported by the node."),
        Column("Internal-IP", priority=1, description="List of addresses reachable to the node."),
        Column("External-IP", priority=1, description="List of addresses reachable to the node."),
        Column("OS-Image", priority=1, description="OS Image reported by the node."),
        Column("Kernel-Version", priority=1, description="Kernel Version reported by the node."),
        Column("Container-Runtime", priority=1, description="Container Runtime Version."),
    ),
    _node,
)


def _event(obj: Object, now: datetime) -> Row:
    first = since(obj.get("firstTimestamp") or obj.get("eventTime"), now)
    last = since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 1
    series = obj.get("series")
    if isinstance(series, dict):
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or count
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    return Row(
        [
            last,
            obj.get("type") or "",
            obj.get("reason") or "",
            target,
            involved.get("fieldPath") or "",
            f"{component}, {instance}" if instance else component,
            str(obj.get("message") or "").strip(),
            first,
            int(count),
            name(obj),
        ]
    )


EVENTS = Printer(
    (
        Column(
            "Last Seen",
            description="The time at which the most recent occurrence of this event was recorded.",
        ),
        Column("Type", description="Type of this event (Normal, Warning)."),
        Column("Reason", description="A short reason for the transition into the object's state."),
        Column("Object", description="The object that this event is about."),
        Column("Subobject", priority=1, description="The field of the object, if any."),
        Column("Source", priority=1, description="The component reporting this event."),
        Column("Message", description="A human-readable description of the status."),
        Column(
            "First Seen", priority=1, description="The time at which the event was first recorded."
        ),
        Column("Count", priority=1, description="The number of times this event has occurred."),
        Column("Name", priority=1, format="name", description=NAME.description),
    ),
    _event,
)


def _created(obj: Object, now: datetime) -> Row:
    return Row([name(obj), meta(obj).get("creationTimestamp")])


CREATED = Printer((NAME, CREATED_AT), _created)
"""Name + Created At: the apiserver's default table (roles, clusterroles, CRDs)."""


def _binding(obj: Object, now: datetime) -> Row:
    ref = obj.get("roleRef") or {}
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in items(obj, "subjects"):
        kind, subject_name = subject.get("kind"), str(subject.get("name") or "")
        if kind == "User":
            users.append(subject_name)
        elif kind == "Group":
            groups.append(subject_name)
        elif kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace') or ''}/{subject_name}")
    return Row(
        [
            name(obj),
            f"{ref.get('kind', '')}/{ref.get('name', '')}",
            age(obj, now),
            ", ".join(users),
            ", ".join(groups),
            ", ".join(accounts),
        ]
    )


BINDINGS = Printer(
    (
        NAME,
        Column("Role", description="RoleRef references a Role or a ClusterRole."),
        AGE,
        Column("Users", priority=1, description="Users in the binding"),
        Column("Groups", priority=1, description="Groups in the binding"),
        Column("ServiceAccounts", priority=1, description="ServiceAccounts in the binding"),
    ),
    _binding,
)
