"""The kfp-launcher ConfigMap's providers: parsing, matching overrides, and resolving Secrets."""

from __future__ import annotations

import base64
import textwrap

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.pipelines import providers, stores

PROVIDERS = textwrap.dedent(
    """
    s3:
      default:
        endpoint: seaweedfs.kubeflow:8333
        disableSSL: true
        region: us-east-1
        credentials:
          fromEnv: false
          secretRef:
            secretName: s3-creds
            accessKeyKey: AWS_ACCESS_KEY_ID
            secretKeyKey: AWS_SECRET_ACCESS_KEY
      overrides:
        - bucketName: team
          keyPrefix: private
          endpoint: https://other.example:443
          credentials:
            fromEnv: true
    """
)


def test_the_default_and_the_first_matching_override_apply() -> None:
    config = providers.parse({"defaultPipelineRoot": "s3://runs/p", "providers": PROVIDERS})
    assert config.default_root == "s3://runs/p"
    default = config.providers.select("s3://runs/p/ns/run")
    assert default == providers.S3Provider(
        endpoint="seaweedfs.kubeflow:8333",
        region="us-east-1",
        disable_ssl=True,
        secret=providers.SecretRef("s3-creds", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    )
    assert default.url() == "http://seaweedfs.kubeflow:8333"
    private = config.providers.select("s3://team/private/x")
    assert private is not None
    assert (private.url(), private.secret, private.region) == (
        "https://other.example:443",
        None,
        "us-east-1",
    )
    assert config.providers.select("s3://team/public/x") == default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("s3: [1]", "providers.s3: must be a mapping", id="section"),
        pytest.param("s3:\n  default: {endpoint: x}", "default.credentials: required", id="creds"),
        pytest.param(
            "s3:\n  default: {credentials: {fromEnv: false}}",
            "default.credentials.secretRef.secretName: required",
            id="secret-name",
        ),
        pytest.param(
            "s3:\n  overrides: [{keyPrefix: a}]", "overrides[0].bucketName: required", id="bucket"
        ),
        pytest.param("s3: [", "providers: not YAML", id="yaml"),
    ],
)
def test_a_bad_providers_document_names_the_field(text: str, message: str) -> None:
    with pytest.raises(providers.ProviderError, match=message.replace("[", r"\[")):
        providers.parse({"providers": text})


def test_pods_take_the_keys_from_the_secret_not_the_spec() -> None:
    provider = providers.S3Provider(endpoint="h:1", disable_ssl=True)
    env = providers.pod_env(provider)
    assert env[0] == {"name": stores.ENV_ENDPOINT, "value": "http://h:1"}
    assert env[1:] == (
        {
            "name": stores.ENV_ACCESS_KEY,
            "valueFrom": {
                "secretKeyRef": {"name": "mlpipeline-minio-artifact", "key": "accesskey"}
            },
        },
        {
            "name": stores.ENV_SECRET_KEY,
            "valueFrom": {
                "secretKeyRef": {"name": "mlpipeline-minio-artifact", "key": "secretkey"}
            },
        },
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_resolve_reads_the_namespace_configmap_and_its_secret(kube: apiservers.Kube) -> None:
    assert await providers.read_config(kube, "ns") is None
    await kube.create(
        kinds.CONFIGMAPS,
        {"metadata": {"name": "kfp-launcher"}, "data": {"providers": PROVIDERS}},
        namespace="ns",
    )
    config = await providers.read_config(kube, "ns")
    with pytest.raises(providers.ProviderError, match="Secret ns/s3-creds not found"):
        await providers.resolve(kube, "ns", "s3://runs/p", config=config, default=None)
    await kube.create(
        kinds.SECRETS,
        {
            "metadata": {"name": "s3-creds"},
            "data": {"AWS_ACCESS_KEY_ID": b64("ak"), "AWS_SECRET_ACCESS_KEY": b64("sk")},
        },
        namespace="ns",
    )
    resolved = await providers.resolve(kube, "ns", "s3://runs/p", config=config, default=None)
    assert resolved.s3 == stores.S3(
        endpoint="http://seaweedfs.kubeflow:8333",
        region="us-east-1",
        access_key="ak",
        secret_key="sk",
    )
    assert [e["name"] for e in resolved.env] == [
        stores.ENV_ENDPOINT,
        stores.ENV_REGION,
        stores.ENV_ACCESS_KEY,
        stores.ENV_SECRET_KEY,
    ]


async def test_without_configmap_the_platform_default_or_a_clear_error(
    kube: apiservers.Kube,
) -> None:
    with pytest.raises(providers.ProviderError, match="no S3 provider"):
        await providers.resolve(kube, "ns", "s3://b/p", config=None, default=None)
    await kube.create(
        kinds.SECRETS,
        {"metadata": {"name": "mlpipeline-minio-artifact"}, "data": {"accesskey": b64("a")}},
        namespace="ns",
    )
    default = providers.S3Provider(endpoint="http://127.0.0.1:1")
    with pytest.raises(providers.ProviderError, match=r"data\.secretkey: missing"):
        await providers.resolve(kube, "ns", "s3://b/p", config=None, default=default)
