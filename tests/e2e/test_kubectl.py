"""kubectl against a real `pinnace up`: the everyday commands on built-in kinds and a Notebook."""

from __future__ import annotations

import json
import queue
import subprocess
import threading

import pytest
import yaml
from tests.e2e.conftest import Platform, wait_for

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: demo, tier: back}
data:
  mode: fast
"""

NOTEBOOK = """
apiVersion: kubeflow.org/v1
kind: Notebook
metadata:
  name: nb
  labels: {app: demo}
spec:
  template:
    spec:
      containers:
      - name: nb
        image: kubeflownotebookswg/jupyter-scipy:v1.9.0
        resources:
          requests: {cpu: "0.5", memory: 1Gi}
"""


def test_version_and_api_resources(platform: Platform) -> None:
    version = json.loads(platform.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"].startswith("v1.")
    resources = platform.kubectl("api-resources").stdout
    for line in (
        "pods",
        "deployments",
        "statefulsets",
        "notebooks",
        "inferenceservices",
        "virtualservices",
        "profiles",
    ):
        assert f"\n{line} " in resources, line
    assert "deploy" in platform.kubectl("api-resources", "--api-group=apps").stdout


def test_apply_get_label_patch_delete_configmap(platform: Platform, namespace: str) -> None:
    out = platform.kubectl("apply", "-n", namespace, "-f", "-", input=CONFIGMAP).stdout
    assert "configmap/settings created" in out
    again = platform.kubectl("apply", "-n", namespace, "-f", "-", input=CONFIGMAP).stdout
    assert "configmap/settings unchanged" in again
    changed = platform.kubectl(
        "apply", "-n", namespace, "-f", "-", input=CONFIGMAP.replace("fast", "slow")
    ).stdout
    assert "configmap/settings configured" in changed
    got = platform.kubectl_yaml("get", "configmap", "settings", "-n", namespace)
    assert got["data"] == {"mode": "slow"}
    table = platform.kubectl("get", "configmaps", "-n", namespace, "-l", "app=demo").stdout
    assert table.split("\n")[0].split() == ["NAME", "DATA", "AGE"] and "settings" in table
    assert (
        "settings"
        not in platform.kubectl("get", "cm", "-n", namespace, "-l", "app notin (demo)").stdout
    )
    platform.kubectl("label", "configmap", "settings", "-n", namespace, "owner=me")
    platform.kubectl(
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"data":{"extra":"1"}}',
    )
    platform.kubectl(
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/data/mode"}]',
    )
    got = platform.kubectl_yaml("get", "configmap", "settings", "-n", namespace)
    assert got["data"] == {"extra": "1"} and got["metadata"]["labels"]["owner"] == "me"
    everywhere = platform.kubectl("get", "configmaps", "-A").stdout
    assert namespace in everywhere and everywhere.split("\n")[0].split()[:2] == [
        "NAMESPACE",
        "NAME",
    ]
    platform.kubectl("delete", "configmap", "settings", "-n", namespace)
    missing = platform.kubectl("get", "configmap", "settings", "-n", namespace, check=False)
    assert missing.returncode != 0 and 'configmaps "settings" not found' in missing.stderr


def test_create_replace_and_conflicts(platform: Platform, namespace: str) -> None:
    platform.kubectl("create", "-n", namespace, "-f", "-", input=CONFIGMAP)
    dup = platform.kubectl("create", "-n", namespace, "-f", "-", input=CONFIGMAP, check=False)
    assert dup.returncode != 0 and "AlreadyExists" in dup.stderr
    current = platform.kubectl_yaml("get", "configmap", "settings", "-n", namespace)
    current["data"]["mode"] = "replaced"
    platform.kubectl("replace", "-f", "-", input=yaml.safe_dump(current))
    stale = platform.kubectl("replace", "-f", "-", input=yaml.safe_dump(current), check=False)
    assert stale.returncode != 0 and "the object has been modified" in stale.stderr


def test_pod_strategic_patch_describe_and_logs(platform: Platform, namespace: str) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "hello"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": "python:3.11",
                    "command": ["python3", "-c", "print('hello')"],
                }
            ],
        },
    }
    platform.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pod))
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pod", "hello", "-n", namespace, "-o", "jsonpath={.status.phase}"
            ).stdout
            == "Succeeded"
        ),
        what="pod Succeeded",
    )
    assert platform.kubectl("logs", "hello", "-n", namespace).stdout == "hello\n"
    table = platform.kubectl("get", "pods", "-n", namespace).stdout.split("\n")
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table[1].split()[:4] == ["hello", "0/1", "Completed", "0"]
    platform.kubectl(
        "patch", "pod", "hello", "-n", namespace, "-p", '{"metadata":{"labels":{"patched":"yes"}}}'
    )
    platform.kubectl(
        "patch",
        "pod",
        "hello",
        "-n",
        namespace,
        "--type=strategic",
        "-p",
        '{"spec":{"containers":[{"name":"main","image":"python:3.12"}]}}',
    )
    got = platform.kubectl_yaml("get", "pod", "hello", "-n", namespace)
    assert got["metadata"]["labels"]["patched"] == "yes"
    assert got["spec"]["containers"][0]["image"] == "python:3.12"
    assert got["spec"]["containers"][0]["command"] == ["python3", "-c", "print('hello')"]
    described = platform.kubectl("describe", "pod", "hello", "-n", namespace).stdout
    assert "Events:" in described and "Scheduled" in described and "Started" in described


def test_get_watch_streams_changes(platform: Platform, namespace: str) -> None:
    platform.kubectl("create", "configmap", "before", "-n", namespace)
    watcher = subprocess.Popen(
        ["kubectl", "get", "configmaps", "-n", namespace, "-w", "--request-timeout=0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=platform.env(),
    )
    lines: queue.Queue[list[str]] = queue.Queue()

    def read() -> None:
        assert watcher.stdout is not None
        for line in watcher.stdout:
            if line.strip():
                lines.put(line.split())

    def next_named(name: str) -> list[str]:
        while True:
            line = lines.get(timeout=20)
            if line[0] == name:
                return line

    threading.Thread(target=read, daemon=True).start()
    try:
        assert lines.get(timeout=20)[:2] == ["NAME", "DATA"]
        next_named("before")  # listed: the watch runs from the list's resourceVersion on
        platform.kubectl("create", "configmap", "watched", "-n", namespace, "--from-literal=a=1")
        assert next_named("watched")[1] == "1"
        platform.kubectl("label", "configmap", "watched", "-n", namespace, "seen=yes")
        assert next_named("watched")[1] == "1"  # the label change is a second row
    finally:
        watcher.terminate()
        watcher.communicate(timeout=10)


def test_delete_waits_for_finalizers(platform: Platform, namespace: str) -> None:
    platform.kubectl("create", "configmap", "held", "-n", namespace)
    platform.kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    deleting = subprocess.Popen(
        ["kubectl", "delete", "configmap", "held", "-n", namespace, "--timeout=60s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=platform.env(),
    )
    wait_for(
        lambda: platform.kubectl_yaml("get", "configmap", "held", "-n", namespace)["metadata"].get(
            "deletionTimestamp"
        ),
        what="the delete to reach the server",
    )
    # The delete is pending: kubectl must still be waiting a while later (nothing to wait on).
    with pytest.raises(subprocess.TimeoutExpired):
        deleting.wait(timeout=1.0)
    platform.kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    out, err = deleting.communicate(timeout=30)
    assert deleting.returncode == 0, err
    assert 'configmap "held" deleted' in out


def test_notebook_custom_resource(platform: Platform, namespace: str) -> None:
    assert (
        "notebook.kubeflow.org/nb created"
        in platform.kubectl("apply", "-n", namespace, "-f", "-", input=NOTEBOOK).stdout
    )
    header = platform.kubectl("get", "notebooks", "-n", namespace).stdout.split("\n")[0].split()
    assert header[0] == "NAME" and header[-1] == "AGE" and len(header) > 2
    got = platform.kubectl_yaml("get", "notebook", "nb", "-n", namespace)
    assert got["spec"]["template"]["spec"]["containers"][0]["name"] == "nb"
    v1beta1 = platform.kubectl_yaml("get", "notebooks.v1beta1.kubeflow.org", "nb", "-n", namespace)
    assert v1beta1["apiVersion"] == "kubeflow.org/v1beta1"
    platform.kubectl("label", "notebook", "nb", "-n", namespace, "stage=test")
    platform.kubectl(
        "patch",
        "notebook",
        "nb",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"annotations":{"kubeflow-resource-stopped":"now"}}}',
    )
    smp = platform.kubectl(
        "patch",
        "notebook",
        "nb",
        "-n",
        namespace,
        "-p",
        '{"metadata":{"labels":{"x":"y"}}}',
        check=False,
    )
    assert smp.returncode != 0
    assert "UnsupportedMediaType" in smp.stderr or "not supported" in smp.stderr
    bad = NOTEBOOK.replace("name: nb\n  labels", "name: nb2\n  labels").replace(
        "containers:", "containerz:"
    )
    rejected = platform.kubectl("apply", "-n", namespace, "-f", "-", input=bad, check=False)
    assert (
        rejected.returncode != 0
        and 'unknown field "spec.template.spec.containerz"' in rejected.stderr
    )
    platform.kubectl("delete", "notebook", "nb", "-n", namespace)
    assert "No resources found" in platform.kubectl("get", "notebooks", "-n", namespace).stderr


def test_deployment_statefulset_service_lifecycle(platform: Platform, namespace: str) -> None:
    manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: python:3.11
        command: [python3, -m, http.server, --bind, $(POD_IP), "8000"]
        ports: [{containerPort: 8000, name: http}]
        readinessProbe: {tcpSocket: {port: 8000}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http, name: http}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: python:3.11
        command: [python3, -c, "import time; time.sleep(3600)"]
"""
    platform.kubectl("apply", "-n", namespace, "-f", "-", input=manifest)
    platform.kubectl(
        "rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s", timeout=90
    )
    wait_for(
        lambda: (
            platform.kubectl(
                "get",
                "statefulset",
                "db",
                "-n",
                namespace,
                "-o",
                "jsonpath={.status.readyReplicas}",
            ).stdout
            == "2"
        ),
        what="statefulset ready",
    )
    pods = platform.kubectl(
        "get", "pods", "-n", namespace, "-l", "app=db", "-o", "name"
    ).stdout.split()
    assert pods == ["pod/db-0", "pod/db-1"]
    endpoints = platform.kubectl_yaml("get", "endpoints", "web", "-n", namespace)
    addresses = endpoints["subsets"][0]["addresses"]
    assert len(addresses) == 2 and endpoints["subsets"][0]["ports"][0]["port"] == 8000
    applied = manifest.replace(
        "replicas: 2\n  selector: {matchLabels: {app: web}}",
        "replicas: 3\n  selector: {matchLabels: {app: web}}",
    )
    assert (
        "deployment.apps/web configured"
        in platform.kubectl("apply", "-n", namespace, "-f", "-", input=applied).stdout
    )
    platform.kubectl(
        "rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s", timeout=90
    )
    header = platform.kubectl("get", "deploy", "web", "-n", namespace).stdout.split("\n")
    assert header[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert header[1].split()[:4] == ["web", "3/3", "3", "3"]
    platform.kubectl("scale", "statefulset", "db", "-n", namespace, "--replicas=1")
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pods", "-n", namespace, "-l", "app=db", "-o", "name"
            ).stdout.split()
            == ["pod/db-0"]
        ),
        what="db scaled to 1",
    )
    platform.kubectl("delete", "deployment", "web", "-n", namespace)
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pods", "-n", namespace, "-l", "app=web", "-o", "name"
            ).stdout.strip()
            == ""
        ),
        what="web pods gone",
    )
    described = platform.kubectl("describe", "statefulset", "db", "-n", namespace).stdout
    assert "SuccessfulCreate" in described
