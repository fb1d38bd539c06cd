"""Printers for configmaps, secrets, serviceaccounts, persistentvolumeclaims and leases."""

from __future__ import annotations

from datetime import datetime

from pinnace.api.printers.columns import (
    AGE,
    NAME,
    Column,
    Printer,
    Row,
    age,
    dig,
    items,
    meta,
    name,
)
from pinnace.kits.kube.objects import Object

_DATA = Column("Data", type="integer", description="The number of data entries.")


def _configmap(obj: Object, now: datetime) -> Row:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return Row([name(obj), count, age(obj, now)])


CONFIGMAPS = Printer((NAME, _DATA, AGE), _configmap)


def _secret(obj: Object, now: datetime) -> Row:
    count = len(obj.get("data") or {}) + len(obj.get("stringData") or {})
    return Row([name(obj), obj.get("type") or "Opaque", count, age(obj, now)])


SECRETS = Printer(
    (
        NAME,
        Column("Type", description="Used to facilitate programmatic handling of secret data."),
        _DATA,
        AGE,
    ),
    _secret,
)


def _serviceaccount(obj: Object, now: datetime) -> Row:
    return Row([name(obj), len(items(obj, "secrets")), age(obj, now)])


SERVICEACCOUNTS = Printer(
    (
        NAME,
        Column(
            "Secrets",
            type="integer",
            description="Secrets is a list of the secrets "
            "in the same namespace that pods running using this ServiceAccount are "
            "allowed to use.",
        ),
        AGE,
    ),
    _serviceaccount,
)

_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def _pvc(obj: Object, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if meta(obj).get("deletionTimestamp") else status.get("phase") or ""
    capacity = modes = ""
    if spec.get("volumeName"):
        present = set(status.get("accessModes") or ())
        modes = ",".join(short for mode, short in _ACCESS_MODES if mode in present)
        capacity = str(dig(status, "capacity", "storage") or "")
    return Row(
        [
            name(obj),
            phase,
            spec.get("volumeName") or "",
            capacity,
            modes,
            spec.get("storageClassName") or "<unset>",
            spec.get("volumeAttributesClassName") or "<unset>",
            age(obj, now),
            spec.get("volumeMode") or "<unset>",
        ]
    )


PERSISTENTVOLUMECLAIMS = Printer(
    (
        NAME,
        Column("Status", description="The phase of the claim."),
        Column("Volume", description="The binding reference to the PersistentVolume."),
        Column("Capacity", description="The actual resources of the underlying volume."),
        Column("Access Modes", description="The access modes the volume backing the PVC has."),
        Column("StorageClass", description="The name of the StorageClass required by the claim."),
        Column("VolumeAttributesClass", description="The VolumeAttributesClass of the claim."),
        AGE,
        Column("VolumeMode", priority=1, description="What type of volume is required."),
    ),
    _pvc,
)


def _lease(obj: Object, now: datetime) -> Row:
    return Row([name(obj), dig(obj, "spec", "holderIdentity") or "", age(obj, now)])


LEASES = Printer(
    (NAME, Column("Holder", description="The holder of the lease."), AGE),
    _lease,
)
