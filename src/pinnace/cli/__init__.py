"""The CLI and composition root: `pinnace up` wires the API server, gateway,
controllers and node agent into one process (`platform`), writes the
kubeconfig (`kubeconfigs`), and `pinnace status` asks a running one (`main`).
"""
