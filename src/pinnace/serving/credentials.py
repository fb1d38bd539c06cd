"""S3 credentials for the storage-initializer, from the predictor's ServiceAccount, as KServe.

`reconciling` passes the predictor's ServiceAccount (`serviceAccountName`, default
`default`) and the Secrets it lists; `s3_env` answers the init container's env, what
KServe's credential builder (`pkg/credentials/s3`) writes: a Secret holding
`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` gives both as `secretKeyRef`s, and its
annotations give the endpoint and its options:

    serving.kserve.io/s3-endpoint: seaweedfs.example:8333   → S3_ENDPOINT, AWS_ENDPOINT_URL
    serving.kserve.io/s3-usehttps: "0"                      → S3_USE_HTTPS (http://)
    serving.kserve.io/s3-region: us-east-1                  → AWS_REGION
    serving.kserve.io/s3-verifyssl: "0"                     → S3_VERIFY_SSL

`pinnace.serving.storage` reads the keys, the endpoint and S3_USE_HTTPS. The first Secret of the
account with S3 keys wins, as in KServe. The values stay in the Secret: the pod's env
refers to it, so a revision records which Secret, not what it holds.
"""

from __future__ import annotations

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

ACCESS_KEY = "AWS_ACCESS_KEY_ID"
SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
ENDPOINT = "serving.kserve.io/s3-endpoint"
USE_HTTPS = "serving.kserve.io/s3-usehttps"
REGION = "serving.kserve.io/s3-region"
VERIFY_SSL = "serving.kserve.io/s3-verifyssl"
DEFAULT_ACCOUNT = "default"


def secret_names(account: Object | None) -> list[str]:
    """The Secrets a ServiceAccount lists (`secrets: [{name}]`)."""
    if account is None:
        return []
    return [
        str(s["name"])
        for s in account.get("secrets") or []
        if isinstance(s, dict) and s.get("name")
    ]


def s3_env(secrets: list[Object]) -> list[Object]:
    """The storage-initializer's env for the first Secret with S3 keys, else none."""
    for secret in secrets:
        data = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
        if ACCESS_KEY not in data:
            continue
        name = objects.name_of(secret)
        env: list[Object] = [
            {"name": key, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}
            for key in (ACCESS_KEY, SECRET_KEY)
            if key in data
        ]
        annotations = objects.meta(secret).get("annotations") or {}
        endpoint = str(annotations.get(ENDPOINT) or "")
        https = str(annotations.get(USE_HTTPS) or "1")
        if endpoint:
            scheme = "http" if https in ("0", "false") else "https"
            url = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
            env += [
                {"name": "S3_ENDPOINT", "value": endpoint},
                {"name": "AWS_ENDPOINT_URL", "value": url},
            ]
        if USE_HTTPS in annotations:
            env.append({"name": "S3_USE_HTTPS", "value": https})
        if annotations.get(REGION):
            env.append({"name": "AWS_REGION", "value": str(annotations[REGION])})
        if VERIFY_SSL in annotations:
            env.append({"name": "S3_VERIFY_SSL", "value": str(annotations[VERIFY_SSL])})
        return env
    return []
