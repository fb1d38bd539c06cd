"""A thin, typed Kubernetes API client kit shared by every component that is an API client.

The runtime (node agent), the controllers, the gateway and later the domain
controllers reach the API server only through this kit, so the same code runs
against the embedded API server and against a real kube-apiserver.

- `resources`: `ResourceType`, the (group, version, plural) coordinates of a kind.
- `objects`: the plain-dict object shape and small accessors.
- `errors`: the exception tree for API answers (404, 409, 410, 422 ...).
- `clients`: the async client (kubernetes_asyncio's config, auth and aiohttp
  transport underneath) with get/list/create/replace/patch/delete/watch.
- `informers`: list+watch caches that resume from the last resourceVersion and
  relist on 410 Gone.
- `recording`: the Event recorder of the controllers and the node agent, which
  folds repeats like client-go's event correlator.
"""
