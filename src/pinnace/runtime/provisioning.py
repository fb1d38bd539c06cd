"""A local volume provisioner: PersistentVolumeClaims become directories and get Bound.

Every claim the node sees that is not Bound yet gets `<data>/volumes/<ns>/<claim>/`,
`spec.volumeName: pvc-<uid>` and a status `phase: Bound` with the requested
capacity and access modes. The directory outlives the pods that mount it
(`volumes`); when the claim itself is deleted, the directory is moved aside to
`<data>/volumes/.released/<ns>_<claim>_<uid>` (retained, never reused by a
new claim of the same name).
"""

from __future__ import annotations

import contextlib
import logging
import os

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors, informers
from pinnace.kits.kube.objects import Object, name_of, namespace_of, uid_of
from pinnace.runtime import layouts

log = logging.getLogger(__name__)

PROVISIONER = "pinnace.io/local-dir"


class Provisioner:
    def __init__(self, api: clients.KubeApi, *, layout: layouts.Layout) -> None:
        self.api = api
        self.layout = layout
        self.informer = informers.Informer(api, kinds.PERSISTENTVOLUMECLAIMS)
        self.informer.add_handler(self._on_event)

    def start(self) -> None:
        self.informer.start()

    async def stop(self) -> None:
        await self.informer.stop()

    async def _on_event(self, kind: str, claim: Object, old: Object | None) -> None:
        if kind == "DELETED":
            self._release(claim)
        elif (claim.get("status") or {}).get("phase") != "Bound":
            await self.bind(claim)

    async def bind(self, claim: Object) -> None:
        namespace, name = namespace_of(claim), name_of(claim)
        self.layout.claim_dir(namespace, name).mkdir(parents=True, exist_ok=True)
        spec = claim.get("spec") or {}
        request = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        volume = spec.get("volumeName") or f"pvc-{uid_of(claim)}"
        try:
            if not spec.get("volumeName"):
                await self.api.patch(
                    kinds.PERSISTENTVOLUMECLAIMS,
                    name,
                    {
                        "metadata": {
                            "annotations": {
                                "pv.kubernetes.io/bind-completed": "yes",
                                "volume.kubernetes.io/storage-provisioner": PROVISIONER,
                            }
                        },
                        "spec": {"volumeName": volume},
                    },
                    namespace=namespace,
                )
            status = {
                "phase": "Bound",
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {"storage": request},
            }
            await self.api.patch(
                kinds.PERSISTENTVOLUMECLAIMS,
                name,
                {"status": status},
                namespace=namespace,
                subresource="status",
            )
        except (errors.NotFound, errors.Conflict):
            return
        except (errors.ApiError, errors.TransportError) as exc:
            log.warning("claim %s/%s: binding failed: %s", namespace, name, exc)

    def _release(self, claim: Object) -> None:
        namespace, name = namespace_of(claim), name_of(claim)
        source = self.layout.claim_dir(namespace, name)
        released = self.layout.claims_dir / ".released"
        with contextlib.suppress(FileNotFoundError):
            released.mkdir(parents=True, exist_ok=True)
            os.replace(source, released / f"{namespace}_{name}_{uid_of(claim)}")
