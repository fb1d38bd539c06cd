"""The KFP REST API (`/apis/v2beta1`) for the real kfp.Client: a facade over Kubernetes objects.

    app          the ASGI app and its routers (healthz, experiments, pipelines, runs,
                 recurring runs; the artifacts endpoints join as one more router)
    contexts     who calls (the gateway's identity → an impersonating client), settings
    finding      KFP ids (object uids) → objects
    listing      filter, sort_by, page_token/page_size
    validating   IR and arguments checked before anything is created
    metas        ids, times, names, storage state shared by every kind
    responding   handlers → routes, KFP's error body
    errors       KFP's errors and the mapping from the Kubernetes API's

The gateway mounts the app under `/pipeline`; see docs/design/kfp-api.md.
"""
