"""The embedded Kubernetes-compatible API server.

Flow of a request: `app` (ASGI: body limits, content negotiation, encoding)
→ `requests` (path → RequestInfo) → `registry` (which kind, its schema and
rules) → a verb module (`reading`, `writing`, `deleting`, `watching`,
`subresources`) → `admission` (defaults, validation) → `storage` (in-memory
state + SQLite WAL with group commit + the change log) → watch fan-out.

Nothing but `pinnace.cli` imports this package: everything else reaches it
over HTTP through the Kubernetes API.
"""
