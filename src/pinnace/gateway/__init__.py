"""The gateway: the platform's single entry (Istio's ingress gateway and mesh role).

The CLI calls `app.build(settings, kube_api=..., client=..., ready=...)` and serves
the result with uvicorn (`app.UVICORN_OPTIONS`). Flow of a request:

    app          /healthz, /metrics; authn (auth) → Kubernetes API app in process,
                 or → proxying (HTTP) / websockets (WebSocket)
    proxying     tables lookup → auth (route) → backends pick → activating (hold
                 when no endpoint) → forwarding (headers) → bodies → transports
                 (pooling: HTTP/1.1 pool; aiohttp for WebSockets) → stream back

Routes come from VirtualServices: routes (parse) → binding (gateways, hosts) →
matching (conditions, path index) → tables (compiled, immutable) ← watching
(informers on VirtualServices, Services, Endpoints) → publishing (atomic swap).
"""
