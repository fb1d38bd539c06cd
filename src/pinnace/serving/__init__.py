"""KServe's role on one machine: the model server, its model formats and (later) the
InferenceService controller, autoscaler and activator policy.

Importing this package imports nothing heavy: the platform imports its controllers at
start, while numpy and the frameworks load only inside a model-server process, one
format at a time (`pinnace.serving.formats`). The design: docs/design/serving.md.
"""
