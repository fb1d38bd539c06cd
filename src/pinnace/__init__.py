"""pinnace: Kubeflow's architecture on one machine."""
