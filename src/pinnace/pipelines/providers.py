"""Which object store a pipeline root lives in, and with what credentials (KFP's kfp-launcher).

KFP configures artifact storage per namespace with the ConfigMap
`kfp-launcher`: `defaultPipelineRoot` (e.g. `s3://bucket/pipelines`) and
`providers`, a YAML document whose `s3` (or `minio`) section has a `default`
(endpoint, region, disableSSL, credentials) and ordered `overrides` matched
by `bucketName` and `keyPrefix`; credentials are `fromEnv` or a `secretRef`
(secretName, accessKeyKey, secretKeyKey) to a Secret in the run's namespace.
Without a ConfigMap, KFP's own default is MinIO with the Secret
`mlpipeline-minio-artifact` (keys `accesskey`, `secretkey`); here the
platform's default (`pinnace up --s3-endpoint`, `pipelineruns.Settings`)
plays that role with the same Secret. `parse` and `Providers.select` are
pure; `resolve` reads the ConfigMap and the Secret through the Kubernetes
API, for the run controller, which reads outputs with the credentials and
hands pods `env` that take them from the Secret (`secretKeyRef`), so no
secret is written into a pod spec.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.pipelines import stores

CONFIGMAP = "kfp-launcher"
ROOT_KEY = "defaultPipelineRoot"
PROVIDERS_KEY = "providers"
DEFAULT_SECRET = "mlpipeline-minio-artifact"
DEFAULT_ACCESS_KEY = "accesskey"
DEFAULT_SECRET_KEY = "secretkey"


class ProviderError(Exception):
    """The kfp-launcher ConfigMap or its Secret is unusable; names the field."""


@dataclass(frozen=True, slots=True)
class SecretRef:
    name: str = DEFAULT_SECRET
    access_key_key: str = DEFAULT_ACCESS_KEY
    secret_key_key: str = DEFAULT_SECRET_KEY


@dataclass(frozen=True, slots=True)
class S3Provider:
    endpoint: str = ""
    """`host:port` or a URL; empty: AWS."""
    region: str = ""
    disable_ssl: bool = False
    secret: SecretRef | None = field(default_factory=SecretRef)
    """None: credentials `fromEnv` (the controller's and the pods' own environment)."""

    def url(self) -> str:
        if not self.endpoint or "://" in self.endpoint:
            return self.endpoint
        return f"{'http' if self.disable_ssl else 'https'}://{self.endpoint}"


@dataclass(frozen=True, slots=True)
class Override:
    bucket: str
    key_prefix: str
    provider: S3Provider


@dataclass(frozen=True, slots=True)
class Providers:
    default: S3Provider | None = None
    overrides: tuple[Override, ...] = ()

    def select(self, uri: str) -> S3Provider | None:
        """The provider for an s3:// (or minio://) URI: the first matching override, else default."""
        bucket, _, key = uri.split("://", 1)[-1].partition("/")
        for override in self.overrides:
            if override.bucket == bucket and key.startswith(override.key_prefix.strip("/")):
                return override.provider
        return self.default


@dataclass(frozen=True, slots=True)
class LauncherConfig:
    default_root: str = ""
    providers: Providers = field(default_factory=Providers)


def _provider(d: Any, where: str, base: S3Provider | None = None) -> S3Provider:
    if not isinstance(d, Mapping):
        raise ProviderError(f"{where}: must be a mapping")
    creds = d.get("credentials")
    if creds is None and base is None:
        raise ProviderError(f"{where}.credentials: required")
    secret = base.secret if base is not None else None
    if creds is not None:
        if not isinstance(creds, Mapping):
            raise ProviderError(f"{where}.credentials: must be a mapping")
        if creds.get("fromEnv"):
            secret = None
        else:
            ref = creds.get("secretRef")
            if not isinstance(ref, Mapping) or not ref.get("secretName"):
                raise ProviderError(f"{where}.credentials.secretRef.secretName: required")
            secret = SecretRef(
                name=str(ref["secretName"]),
                access_key_key=str(ref.get("accessKeyKey") or DEFAULT_ACCESS_KEY),
                secret_key_key=str(ref.get("secretKeyKey") or DEFAULT_SECRET_KEY),
            )
    ssl = d.get("disableSSL")
    return S3Provider(
        endpoint=str(d.get("endpoint") or (base.endpoint if base else "")),
        region=str(d.get("region") or (base.region if base else "")),
        disable_ssl=bool(ssl) if ssl is not None else bool(base and base.disable_ssl),
        secret=secret,
    )


def parse(data: Mapping[str, str]) -> LauncherConfig:
    """A kfp-launcher ConfigMap's `data`."""
    text = data.get(PROVIDERS_KEY) or ""
    try:
        doc = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ProviderError(f"{PROVIDERS_KEY}: not YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ProviderError(f"{PROVIDERS_KEY}: must be a mapping")
    section = doc.get("s3") or doc.get("minio") or {}
    name = "s3" if doc.get("s3") else "minio"
    if not isinstance(section, Mapping):
        raise ProviderError(f"{PROVIDERS_KEY}.{name}: must be a mapping")
    default = None
    if section.get("default") is not None:
        default = _provider(section["default"], f"{PROVIDERS_KEY}.{name}.default")
    overrides = []
    for i, o in enumerate(section.get("overrides") or section.get("Overrides") or []):
        where = f"{PROVIDERS_KEY}.{name}.overrides[{i}]"
        if not isinstance(o, Mapping) or not o.get("bucketName"):
            raise ProviderError(f"{where}.bucketName: required")
        provider = _provider(o, where, default)
        overrides.append(Override(str(o["bucketName"]), str(o.get("keyPrefix") or ""), provider))
    return LauncherConfig(str(data.get(ROOT_KEY) or ""), Providers(default, tuple(overrides)))


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the controller uses for a remote root: its own credentials, the pods' env."""

    s3: stores.S3
    env: tuple[dict[str, Any], ...]


def pod_env(provider: S3Provider) -> tuple[dict[str, Any], ...]:
    """The task container's `PINNACE_S3_*` variables; keys come from the Secret at pod start."""
    env: list[dict[str, Any]] = [{"name": stores.ENV_ENDPOINT, "value": provider.url()}]
    if provider.region:
        env.append({"name": stores.ENV_REGION, "value": provider.region})
    if provider.secret is not None:
        ref = provider.secret
        for var, key in (
            (stores.ENV_ACCESS_KEY, ref.access_key_key),
            (stores.ENV_SECRET_KEY, ref.secret_key_key),
        ):
            env.append({"name": var, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": key}}})
    return tuple(env)


async def read_config(client: clients.KubeApi, namespace: str) -> LauncherConfig | None:
    try:
        cm = await client.get(kinds.CONFIGMAPS, CONFIGMAP, namespace=namespace)
    except errors.NotFound:
        return None
    try:
        return parse(cm.get("data") or {})
    except ProviderError as exc:
        raise ProviderError(f"ConfigMap {namespace}/{CONFIGMAP}: {exc}") from exc


async def resolve(
    client: clients.KubeApi,
    namespace: str,
    root: str,
    *,
    config: LauncherConfig | None,
    default: S3Provider | None,
) -> Resolved:
    """The store of a remote `root` for runs in `namespace`: credentials read from the Secret."""
    provider = config.providers.select(root) if config is not None else None
    provider = provider or default
    if provider is None:
        raise ProviderError(
            f"pipeline root {root}: no S3 provider (ConfigMap {namespace}/{CONFIGMAP} "
            "'providers', or the platform's --s3-endpoint)"
        )
    access = secret = ""
    if provider.secret is not None:
        ref = provider.secret
        try:
            obj = await client.get(kinds.SECRETS, ref.name, namespace=namespace)
        except errors.NotFound as exc:
            raise ProviderError(
                f"pipeline root {root}: Secret {namespace}/{ref.name} not found"
            ) from exc
        data = obj.get("data") or {}
        values = []
        for key in (ref.access_key_key, ref.secret_key_key):
            if key not in data:
                raise ProviderError(f"Secret {namespace}/{ref.name}: data.{key}: missing")
            values.append(base64.b64decode(data[key]).decode())
        access, secret = values
    s3 = stores.S3(
        endpoint=provider.url(), region=provider.region, access_key=access, secret_key=secret
    )
    return Resolved(s3=s3, env=pod_env(provider))
