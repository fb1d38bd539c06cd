"""Typed read-only views of the objects the domains and controllers read.

Each module parses one kind's dict, once, at the edge, into frozen
dataclasses with `str` Enums for phases and reasons (the style of
`pinnace.gateway.routes`), instead of `((x.get("spec") or {}).get(...) or {})`
chains in reconcile logic. Views are for reading; controllers still write
plain dicts (`pinnace.controllers.owning`, `statuses`).

- `metas`: `Meta`, the metadata every view carries.
- `conditions`: `Condition` (metav1.Condition and the older kube/knative shapes).
- `pods`: `Pod` — phase, readiness, IP, container states and restarts.
- `workloads`: `Deployment`, `StatefulSet` and their status counts.
- `notebooks`: `Notebook` (kubeflow.org/v1).
- `inferenceservices`: `InferenceService` (serving.kserve.io/v1beta1).
- `pipelineruns`: `PipelineRun` (pipelines.kubeflow.org/v1alpha1) and `RunState`.
- `recurringruns`: `RecurringRun` (pipelines.kubeflow.org/v1alpha1) and its `Mode`.
- `profiles`: `Profile` (kubeflow.org/v1).

The domain packages extend these with what they need; keep each small.
"""
