"""The InferenceService controller's reconcile: revisions, traffic, routes, status.

`pinnace.serving.setup` wires `InferenceServiceController` into the controller manager
with InferenceServices as primary, the revisions' Deployments and Services and the
routes' VirtualServices as owned, and pods (by their `serving.kserve.io/inferenceservice`
label) and (Cluster)ServingRuntimes (every InferenceService that might select them)
as watched. One pass:

1. parse the InferenceService; pick its runtime (`runtimes.select`) and build the pod a
   revision runs (`revisions.template`) — a spec no runtime serves is a terminal
   `InvalidSpec`/`NoSupportingRuntime` status, and revisions already serving go on;
2. if the newest revision's template hash differs, create the next revision
   (Deployment + Service); set every kept revision's replicas (`scaling`);
3. split the traffic (`traffic.split`: the latest ready revision, the canary share,
   the rolled-out one) and write the two VirtualServices and the address Service
   (`routing`) once a revision is ready;
4. delete revisions the split no longer keeps;
5. read why the latest revision's pods fail, if they do (`failures`, with the
   container's log line through pods/log), and write the status (`reporting`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pinnace.api import kinds
from pinnace.api.views import inferenceservices, workloads
from pinnace.controllers import owning, reconciling, running, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.serving import (
    credentials,
    failures,
    reporting,
    revisions,
    routing,
    runtimes,
    scaling,
    traffic,
)

DOMAIN_ENV = "PINNACE_SERVING_DOMAIN"
LOG_TAIL_LINES = 30


@dataclass(frozen=True, slots=True)
class Settings:
    models_dir: Path
    """Where each revision's model is fetched (`<models_dir>/<namespace>/<revision>/`)."""
    domain: str = routing.DEFAULT_DOMAIN
    """The hosts' suffix: `<name>.<namespace>.<domain>` (KServe's `ingressDomain`)."""

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Settings:
        domain = os.environ.get(DOMAIN_ENV) or routing.DEFAULT_DOMAIN
        return cls(models_dir=data_dir / "serving" / "models", domain=domain)


class InferenceServiceController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        isvcs: informers.Informer,
        servingruntimes: informers.Informer,
        clusterservingruntimes: informers.Informer,
        deployments: informers.Informer,
        services: informers.Informer,
        virtualservices: informers.Informer,
        pods: informers.Informer,
        serviceaccounts: informers.Informer,
        secrets: informers.Informer,
        settings: Settings,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.isvcs = isvcs
        self.servingruntimes = servingruntimes
        self.clusterservingruntimes = clusterservingruntimes
        self.deployments = deployments
        self.services = services
        self.virtualservices = virtualservices
        self.pods = pods
        self.serviceaccounts = serviceaccounts
        self.secrets = secrets
        self.settings = settings
        self.clock = clock
        self._said: dict[tuple[str, str, int], str] = {}

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        obj = self.isvcs.get(key)
        if obj is None or objects.is_deleting(obj):
            return reconciling.DONE  # the garbage collector removes what it owned
        isvc = inferenceservices.InferenceService.parse(obj)
        try:
            replicas = scaling.replicas(isvc)
            tpl = self._template(obj, isvc)
        except (runtimes.NoRuntime, scaling.InvalidScaling) as exc:
            await self._refuse(obj, exc)
            raise reconciling.TerminalError(str(exc), reason=_refusal(exc), condition=None) from exc
        existing = self._revisions(obj)
        latest = existing[-1] if existing else None
        if (
            latest is None
            or objects.meta(latest).get("annotations", {}).get(revisions.HASH_ANNOTATION)
            != tpl.hash
        ):
            name = revisions.revision_name(isvc.meta.name, self._next_number(obj, existing))
            await self._ensure_revision(obj, tpl, name, replicas)
            existing = self._revisions(obj)
            names = [_revision_of(d) for d in existing]
            if name not in names:  # the cache has not seen our create yet
                names.append(name)
        else:
            names = [_revision_of(d) for d in existing]
        current = _revision_of(existing[-1]) if existing else ""
        states: list[traffic.Revision] = []
        for dep in existing:
            rev = _revision_of(dep)
            if rev == current:
                await self._ensure_revision(obj, tpl, rev, replicas)
            else:
                await self._scale(obj, dep, replicas)
            states.append(traffic.Revision(rev, revisions.number_of(rev), _serving(dep)))
        for rev in names:
            if all(s.name != rev for s in states):
                states.append(traffic.Revision(rev, revisions.number_of(rev), False))
        split = traffic.split(states, isvc.scaling.canary_traffic_percent, _recorded(obj))
        if split.routed:
            await self._route(obj, split, tpl.port)
        for dep in existing:
            if _revision_of(dep) not in split.kept:
                await self._delete_revision(dep)
        progress = await self._progress(isvc.meta.namespace, split)
        status = reporting.status(
            obj, split=split, progress=progress, domain=self.settings.domain, clock=self.clock
        )
        await statuses.write(self.client, kinds.INFERENCESERVICES, obj, status)
        return reconciling.DONE

    # -- the pieces ---------------------------------------------------------------------

    def _template(
        self, obj: Object, isvc: inferenceservices.InferenceService
    ) -> revisions.Template:
        predictor = (obj.get("spec") or {}).get("predictor") or {}
        model = isvc.model
        env = self._storage_env(isvc.meta.namespace, predictor)
        if model is None:
            return revisions.template(
                obj,
                runtime=None,
                model_fields={},
                storage_uri=_custom_storage_uri(predictor),
                models_dir=self.settings.models_dir,
                storage_env=env,
            )
        namespace = isvc.meta.namespace
        chosen = runtimes.select(
            model,
            [
                runtimes.Runtime.parse(r, cluster=False)
                for r in self.servingruntimes.list(namespace=namespace)
            ],
            [runtimes.Runtime.parse(r, cluster=True) for r in self.clusterservingruntimes.list()],
        )
        fields = predictor.get("model")
        if not isinstance(fields, dict):
            fields = predictor.get(model.format) or {}
        return revisions.template(
            obj,
            runtime=chosen,
            model_fields=fields,
            storage_uri=model.storage_uri,
            models_dir=self.settings.models_dir,
            storage_env=env,
        )

    def _storage_env(self, namespace: str, predictor: Object) -> list[Object]:
        account_name = str(predictor.get("serviceAccountName") or credentials.DEFAULT_ACCOUNT)
        account = self.serviceaccounts.get(ObjectKey(namespace, account_name))
        found = [
            self.secrets.get(ObjectKey(namespace, name))
            for name in credentials.secret_names(account)
        ]
        return credentials.s3_env([s for s in found if s is not None])

    def _revisions(self, obj: Object) -> list[Object]:
        owned = [
            d
            for d in self.deployments.owned_by(objects.uid_of(obj))
            if owning.controlled_by(d, obj) and _revision_of(d)
        ]
        return sorted(owned, key=lambda d: revisions.number_of(_revision_of(d)))

    def _next_number(self, obj: Object, existing: list[Object]) -> int:
        recorded = _predictor_status(obj).get("latestCreatedRevision") or ""
        numbers = [revisions.number_of(_revision_of(d)) for d in existing]
        return max([0, revisions.number_of(str(recorded)), *numbers]) + 1

    async def _ensure_revision(
        self, obj: Object, tpl: revisions.Template, revision: str, replicas: int
    ) -> None:
        await owning.ensure(
            self.client,
            kinds.DEPLOYMENTS,
            obj,
            revisions.deployment(tpl, revision, replicas=replicas),
            cache=self.deployments,
        )
        await owning.ensure(
            self.client,
            kinds.SERVICES,
            obj,
            revisions.service(obj, revision, tpl.port),
            cache=self.services,
        )

    async def _scale(self, obj: Object, dep: Object, replicas: int) -> None:
        if (dep.get("spec") or {}).get("replicas") == replicas:
            return
        desired = {"metadata": {"name": objects.name_of(dep)}, "spec": {"replicas": replicas}}
        await owning.ensure(self.client, kinds.DEPLOYMENTS, obj, desired, cache=self.deployments)

    async def _route(self, obj: Object, split: traffic.Split, port: int) -> None:
        for body in (
            routing.host_route(obj, split.routed, self.settings.domain),
            routing.path_route(obj, split.routed),
        ):
            await owning.ensure(
                self.client, kinds.VIRTUALSERVICES, obj, body, cache=self.virtualservices
            )
        await owning.ensure(
            self.client,
            kinds.SERVICES,
            obj,
            routing.address_service(obj, split.routed, port),
            cache=self.services,
        )

    async def _delete_revision(self, dep: Object) -> None:
        namespace, revision = objects.namespace_of(dep), _revision_of(dep)
        for rt, name in ((kinds.DEPLOYMENTS, objects.name_of(dep)), (kinds.SERVICES, revision)):
            with contextlib.suppress(errors.NotFound):
                await self.client.delete(rt, name, namespace=namespace)

    async def _progress(self, namespace: str, split: traffic.Split) -> reporting.Progress:
        if not split.latest_created:
            return reporting.Progress(pods=0, ready=False)
        revision = split.latest_created
        ready = split.latest_ready == revision
        pods = self.pods.list(namespace, f"{revisions.REVISION_LABEL}={revision}")
        found = failures.of_pods(pods)
        if not found or ready:
            return reporting.Progress(pods=len(pods), ready=ready, failed_pods=len(found))
        first = found[0]
        message = await self._last_words(namespace, first)
        return reporting.Progress(
            pods=len(pods), ready=False, failure=first, message=message, failed_pods=len(found)
        )

    async def _last_words(self, namespace: str, failure: failures.Failure) -> str:
        """The failing container's `error:` log line (read once per failed run)."""
        key = (f"{namespace}/{failure.pod}", failure.container, failure.restarts)
        if key in self._said:
            return self._said[key]
        said = ""
        if isinstance(self.client, clients.Client):
            params: dict[str, object | None] = {
                "container": failure.container,
                "tailLines": LOG_TAIL_LINES,
                "previous": "true" if failure.previous else None,
            }
            try:
                said = failures.last_words(
                    await self.client.text(
                        "GET", kinds.PODS.path(namespace, failure.pod, "log"), params=params
                    )
                )
            except (errors.ApiError, errors.TransportError):
                said = ""
        if len(self._said) > 1000:
            self._said.clear()
        if said:  # an empty log may only be not written yet
            self._said[key] = said
        return said

    async def _refuse(self, obj: Object, exc: Exception) -> None:
        """A spec no runtime serves: KServe's InvalidSpec status (revisions keep serving)."""
        reason = _refusal(exc)
        status: Object = {
            **(obj.get("status") or {}),
            "modelStatus": {
                "transitionStatus": "InvalidSpec",
                "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
                "lastFailureInfo": {"reason": reason, "message": str(exc)},
            },
        }
        status.pop("observedGeneration", None)
        for type_ in (reporting.PREDICTOR_READY, reporting.READY):
            status = statuses.condition(
                obj, status, type_, "False", reason=reason, message=str(exc), clock=self.clock
            )
        await statuses.write(self.client, kinds.INFERENCESERVICES, obj, status)


def _refusal(exc: Exception) -> str:
    return "NoSupportingRuntime" if isinstance(exc, runtimes.NoRuntime) else "InvalidSpec"


def _revision_of(dep: Object) -> str:
    return objects.labels_of(dep).get(revisions.REVISION_LABEL, "")


def _serving(dep: Object) -> bool:
    view = workloads.Deployment.parse(dep)
    return view.observed and view.replicas >= 1 and view.status.available >= view.replicas


def _predictor_status(obj: Object) -> Object:
    components = (obj.get("status") or {}).get("components") or {}
    predictor = components.get(revisions.PREDICTOR)
    return predictor if isinstance(predictor, dict) else {}


def _recorded(obj: Object) -> traffic.Recorded:
    predictor = _predictor_status(obj)
    return traffic.Recorded(
        latest_ready=str(predictor.get("latestReadyRevision") or ""),
        latest_rolledout=str(predictor.get("latestRolledoutRevision") or ""),
        previous_rolledout=str(predictor.get("previousRolledoutRevision") or ""),
    )


def _custom_storage_uri(predictor: Object) -> str:
    """A custom predictor's model URI: `STORAGE_URI` in its first container's env, as KServe."""
    containers = predictor.get("containers") or []
    if not containers:
        return ""
    for env in containers[0].get("env") or []:
        if env.get("name") == "STORAGE_URI" and env.get("value"):
            return str(env["value"])
    return ""


def pod_to_isvc(pod: Object) -> list[ObjectKey]:
    """A model-server pod's InferenceService, by the label its revision gives it."""
    name = objects.labels_of(pod).get(revisions.ISVC_LABEL)
    return [ObjectKey(objects.namespace_of(pod), name)] if name else []


def runtimes_to_isvcs(isvcs: informers.Informer) -> running.Mapper:
    """A (Cluster)ServingRuntime, ServiceAccount or Secret → the InferenceServices it may
    concern (its namespace's; every one for a cluster-scoped runtime)."""

    def mapper(runtime: Object) -> list[ObjectKey]:
        namespace = objects.namespace_of(runtime) or None
        return [objects.key_of(i) for i in isvcs.list(namespace=namespace)]

    return mapper
