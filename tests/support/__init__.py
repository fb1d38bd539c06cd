"""Test support shared by the test packages: the in-process API server fixture."""
