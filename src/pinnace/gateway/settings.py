"""The gateway's knobs, as one frozen dataclass the CLI fills in.

`pinnace.gateway.app.build` takes a `Settings`; every other module receives
the few fields it needs. Defaults follow Istio/Kubeflow where a default exists
(the `kubeflow/kubeflow-gateway` name, the `kubeflow-userid` header) and the
embedded platform's needs elsewhere (short upstream keep-alive, small buffers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    """Gateway configuration (immutable; build a new one to change it)."""

    admin_token: str = ""
    """Bearer token that grants access to the Kubernetes API paths ("" rejects every request)."""

    admin_user: str = "admin"
    """Who the admin token (and a trusted loopback request) is; always in `system:masters`.
    Single-user `pinnace up` names it `user@example.com`, as Kubeflow's default user."""

    trust_loopback: bool = False
    """Token-less requests from 127.0.0.0/8 act as the admin (kubectl sends no token over
    plain http). `pinnace up` turns it on while it listens on loopback only."""

    gateways: tuple[str, ...] = ("kubeflow/kubeflow-gateway",)
    """Istio Gateway names (`<namespace>/<name>`) this gateway plays; VirtualServices naming
    one of them bind here (see `pinnace.gateway.binding`)."""

    cluster_domain: str = "cluster.local"
    """DNS suffix of Service hosts (`<svc>.<ns>.svc.<cluster_domain>`)."""

    userid_header: str = "kubeflow-userid"
    """Header that carries the authenticated user to backends (stripped from client input)."""

    userid_prefix: str = ""
    """Prefix put before the user name in `userid_header` (Kubeflow's `USERID_PREFIX`)."""

    groups_header: str = "kubeflow-groups"
    """Header that carries the user's groups (comma-separated; stripped from client input)."""

    debounce_seconds: float = 0.02
    """How long the watcher gathers changes before it rebuilds the routing table."""

    transport: str = "pooled"
    """Upstream HTTP client: "pooled" (`pinnace.gateway.pooling`, lean) or "aiohttp"."""

    connect_timeout: float = 5.0
    """Seconds to open a TCP connection to an upstream endpoint."""

    upstream_keepalive: float = 3.0
    """Seconds an idle pooled upstream connection is kept (below uvicorn's 5 s default so we
    close first and never write into a connection the server is closing)."""

    max_connections: int = 1000
    """Upper bound of pooled upstream connections of the aiohttp transport (all endpoints)."""

    buffer_limit: int = 65536
    """Request bodies up to this size are read whole before proxying, which makes them
    replayable for retries; larger or unsized bodies stream and retry only on connect failure."""

    default_retries: int = 2
    """Retries when a route has no `retries` (Istio's default count), on connect failure only."""

    activation_timeout: float = 300.0
    """Upper bound of how long an `Activator` may hold a request waiting for an endpoint
    (Knative's revision timeout); the default activator never holds."""

    metrics_path: str = "/metrics"
    """Path of the Prometheus endpoint ("" turns it off)."""
