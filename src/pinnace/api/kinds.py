"""The kinds pinnace serves, as REST coordinates for clients.

The API server's own registry (discovery, printer columns, subresources) is
built from `pinnace.api.builtins` and the CRDs in `pinnace.api.crds`; this
module only names the coordinates that components use as clients.
"""

from __future__ import annotations

from pinnace.kits.kube.resources import ResourceType

# core/v1
NAMESPACES = ResourceType("", "v1", "namespaces", "Namespace", namespaced=False)
NODES = ResourceType("", "v1", "nodes", "Node", namespaced=False)
PODS = ResourceType("", "v1", "pods", "Pod")
SERVICES = ResourceType("", "v1", "services", "Service")
ENDPOINTS = ResourceType("", "v1", "endpoints", "Endpoints")
CONFIGMAPS = ResourceType("", "v1", "configmaps", "ConfigMap")
SECRETS = ResourceType("", "v1", "secrets", "Secret")
EVENTS = ResourceType("", "v1", "events", "Event")
SERVICEACCOUNTS = ResourceType("", "v1", "serviceaccounts", "ServiceAccount")
PERSISTENTVOLUMECLAIMS = ResourceType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim")
RESOURCEQUOTAS = ResourceType("", "v1", "resourcequotas", "ResourceQuota")

# apps/v1
DEPLOYMENTS = ResourceType("apps", "v1", "deployments", "Deployment")
STATEFULSETS = ResourceType("apps", "v1", "statefulsets", "StatefulSet")

# coordination.k8s.io/v1
LEASES = ResourceType("coordination.k8s.io", "v1", "leases", "Lease")

# rbac.authorization.k8s.io/v1
ROLES = ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role")
ROLEBINDINGS = ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding")
CLUSTERROLES = ResourceType(
    "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False
)
CLUSTERROLEBINDINGS = ResourceType(
    "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False
)

# apiextensions.k8s.io/v1
CUSTOMRESOURCEDEFINITIONS = ResourceType(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    namespaced=False,
)

# Custom resources registered as CRDs (pinnace.api.crds)
NOTEBOOKS = ResourceType("kubeflow.org", "v1", "notebooks", "Notebook")
PROFILES = ResourceType("kubeflow.org", "v1", "profiles", "Profile", namespaced=False)
INFERENCESERVICES = ResourceType(
    "serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService"
)
SERVINGRUNTIMES = ResourceType("serving.kserve.io", "v1alpha1", "servingruntimes", "ServingRuntime")
CLUSTERSERVINGRUNTIMES = ResourceType(
    "serving.kserve.io",
    "v1alpha1",
    "clusterservingruntimes",
    "ClusterServingRuntime",
    namespaced=False,
)
VIRTUALSERVICES = ResourceType("networking.istio.io", "v1", "virtualservices", "VirtualService")
PIPELINERUNS = ResourceType("pipelines.kubeflow.org", "v1alpha1", "pipelineruns", "PipelineRun")
RECURRINGRUNS = ResourceType("pipelines.kubeflow.org", "v1alpha1", "recurringruns", "RecurringRun")
EXPERIMENTS = ResourceType("pipelines.kubeflow.org", "v1alpha1", "experiments", "Experiment")
# KFP's Kubernetes-native API (KEP-11551): uploaded pipelines and their versions
PIPELINES = ResourceType("pipelines.kubeflow.org", "v2beta1", "pipelines", "Pipeline")
PIPELINEVERSIONS = ResourceType(
    "pipelines.kubeflow.org", "v2beta1", "pipelineversions", "PipelineVersion"
)
