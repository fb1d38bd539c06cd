"""Which OpenAPI `required` fields of the built-in kinds kube-apiserver really enforces.

The upstream OpenAPI marks as `required` every Go field without `omitempty`,
but kube-apiserver decodes built-in kinds into Go structs (a missing field is
its zero value) and only its hand-written validation refuses anything. So for
built-ins `apiserver.validating` enforces only the `ENFORCED` fields below — the
ones kube's validation (pkg/apis/*/validation) also answers with 422 when they
are missing or zero — and ignores `NOT_ENFORCED` ones (a StatefulSet without
`serviceName`, a status without `replicas`). Fields that a kind's strategy
checks with kube's own wording (`apiserver/kinds`) are listed as not enforced
here, so one cause is reported once. Custom resources keep their schema's
`required` as written.

Keys are definition names without their package (`Container`, not
`io.k8s.api.core.v1.Container`); `tests/api/test_required.py` fails when the
generated schemas gain a `required` list this audit does not classify.
"""

from __future__ import annotations

from collections.abc import Mapping

ENFORCED: Mapping[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        # core/v1 pod specs: validateEnv, validateVolumes, validateVolumeMounts, affinity, …
        "EnvVar": ("name",),
        "ConfigMapKeySelector": ("key",),
        "SecretKeySelector": ("key",),
        "ObjectFieldSelector": ("fieldPath",),
        "ResourceFieldSelector": ("resource",),
        "HTTPGetAction": ("port",),
        "HTTPHeader": ("name",),
        "TCPSocketAction": ("port",),
        "GRPCAction": ("port",),
        "ContainerResizePolicy": ("resourceName", "restartPolicy"),
        "ResourceClaim": ("name",),
        "AppArmorProfile": ("type",),
        "SeccompProfile": ("type",),
        "VolumeDevice": ("name", "devicePath"),
        "VolumeMount": ("name", "mountPath"),
        "EphemeralContainer": ("name",),
        "HostAlias": ("ip",),
        "PodOS": ("name",),
        "PodReadinessGate": ("conditionType",),
        "PodResourceClaim": ("name",),
        "PodSchedulingGate": ("name",),
        "Sysctl": ("name",),
        "TopologySpreadConstraint": ("maxSkew", "topologyKey", "whenUnsatisfiable"),
        "Volume": ("name",),
        # core/v1 ResourceQuota: validateScopedResourceSelectorRequirement
        "ScopedResourceSelectorRequirement": ("operator", "scopeName"),
        "AWSElasticBlockStoreVolumeSource": ("volumeID",),
        "AzureDiskVolumeSource": ("diskName", "diskURI"),
        "AzureFileVolumeSource": ("secretName", "shareName"),
        "CephFSVolumeSource": ("monitors",),
        "CinderVolumeSource": ("volumeID",),
        "KeyToPath": ("key", "path"),
        "CSIVolumeSource": ("driver",),
        "DownwardAPIVolumeFile": ("path",),
        "PersistentVolumeClaimTemplate": ("spec",),
        "TypedLocalObjectReference": ("kind", "name"),
        "TypedObjectReference": ("kind", "name"),
        "FlexVolumeSource": ("driver",),
        "GCEPersistentDiskVolumeSource": ("pdName",),
        "GitRepoVolumeSource": ("repository",),
        "GlusterfsVolumeSource": ("endpoints", "path"),
        "HostPathVolumeSource": ("path",),
        "ISCSIVolumeSource": ("targetPortal", "iqn"),
        "NFSVolumeSource": ("server", "path"),
        "PersistentVolumeClaimVolumeSource": ("claimName",),
        "PhotonPersistentDiskVolumeSource": ("pdID",),
        "PortworxVolumeSource": ("volumeID",),
        "ClusterTrustBundleProjection": ("path",),
        "ServiceAccountTokenProjection": ("path",),
        "QuobyteVolumeSource": ("registry", "volume"),
        "RBDVolumeSource": ("monitors", "image"),
        "ScaleIOVolumeSource": ("gateway", "system", "secretRef"),
        "VsphereVirtualDiskVolumeSource": ("volumePath",),
        "NodeSelector": ("nodeSelectorTerms",),
        "NodeSelectorRequirement": ("key", "operator"),
        "PreferredSchedulingTerm": ("weight",),
        "WeightedPodAffinityTerm": ("weight", "podAffinityTerm"),
        "PodAffinityTerm": ("topologyKey",),
        "LabelSelectorRequirement": ("key", "operator"),
        # core/v1 others
        "Taint": ("key", "effect"),
        "ConfigMapNodeConfigSource": ("namespace", "name", "kubeletConfigKey"),
        "EndpointAddress": ("ip",),
        "EndpointPort": ("port",),
        # rbac/v1: ValidatePolicyRule, ValidateRoleBindingSubject, roleRef checks
        "PolicyRule": ("verbs",),
        "RoleBinding": ("roleRef",),
        "ClusterRoleBinding": ("roleRef",),
        "RoleRef": ("apiGroup", "kind", "name"),
        "Subject": ("kind", "name"),
        # apiextensions/v1: ValidateCustomResourceDefinition beyond what the CRD strategy checks
        "CustomResourceConversion": ("strategy",),
        "WebhookConversion": ("conversionReviewVersions",),
        "ServiceReference": ("namespace", "name"),
        "CustomResourceColumnDefinition": ("name", "type", "jsonPath"),
        "ValidationRule": ("rule",),
        "SelectableField": ("jsonPath",),
        "CustomResourceSubresourceScale": ("specReplicasPath", "statusReplicasPath"),
    }.items()
}

NOT_ENFORCED: Mapping[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        # optional upstream (zero values are valid); selector and template: the strategy
        "StatefulSetSpec": ("serviceName", "selector", "template"),
        "HTTPHeader": ("value",),
        "SleepAction": ("seconds",),
        "Sysctl": ("value",),
        "ISCSIVolumeSource": ("lun",),
        "PreferredSchedulingTerm": ("preference",),
        "Event": ("metadata", "involvedObject"),
        # served/storage: false is valid; name: the CRD strategy
        "CustomResourceDefinitionVersion": ("name", "served", "storage"),
        # checked by the kind's strategy, with kube's wording
        "PodSpec": ("containers",),
        "Container": ("name",),
        "ContainerPort": ("containerPort",),
        "ServicePort": ("port",),
        "DeploymentSpec": ("selector", "template"),
        "Binding": ("target",),
        "OwnerReference": ("apiVersion", "kind", "name", "uid"),
        "CustomResourceDefinition": ("spec",),
        "CustomResourceDefinitionSpec": ("group", "names", "scope", "versions"),
        "CustomResourceDefinitionNames": ("plural", "kind"),
        # status, written by controllers and the node agent; not validated field by field
        "NamespaceCondition": ("type", "status"),
        "NodeAddress": ("type", "address"),
        "NodeCondition": ("type", "status"),
        "DaemonEndpoint": ("Port",),
        "NodeSystemInfo": (
            "machineID",
            "systemUUID",
            "bootID",
            "kernelVersion",
            "osImage",
            "containerRuntimeVersion",
            "kubeletVersion",
            "kubeProxyVersion",
            "operatingSystem",
            "architecture",
        ),
        "AttachedVolume": ("name", "devicePath"),
        "PodCondition": ("type", "status"),
        "ContainerStatus": ("name", "ready", "restartCount", "image", "imageID"),
        "ResourceStatus": ("name",),
        "ResourceHealth": ("resourceID",),
        "ContainerStateTerminated": ("exitCode",),
        "LinuxContainerUser": ("uid", "gid"),
        "VolumeMountStatus": ("name", "mountPath"),
        "HostIP": ("ip",),
        "PodIP": ("ip",),
        "PodResourceClaimStatus": ("name",),
        "Condition": ("type", "status", "lastTransitionTime", "reason", "message"),
        "PortStatus": ("port", "protocol"),
        "PersistentVolumeClaimCondition": ("type", "status"),
        "ModifyVolumeStatus": ("status",),
        "DeploymentCondition": ("type", "status"),
        "StatefulSetStatus": ("replicas",),
        "StatefulSetCondition": ("type", "status"),
        "CustomResourceDefinitionCondition": ("type", "status"),
    }.items()
}


def short_name(definition: str) -> str:
    return definition.rsplit(".", 1)[-1]


def enforced(definition: str) -> frozenset[str]:
    """The `required` fields of a built-in definition that are enforced (see the module)."""
    return ENFORCED.get(short_name(definition), frozenset())
