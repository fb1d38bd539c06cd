"""Pods as processes, and a Deployment served through a Service and a VirtualService on the gateway."""

from __future__ import annotations

import collections
import json
import urllib.error
import urllib.request

from tests.e2e.conftest import Platform, wait_for

SERVER = """
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = os.environ["POD_NAME"].encode()
        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((os.environ["POD_IP"], 8000), H).serve_forever()
"""


def _deployment(namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "echo", "namespace": namespace},
                    "spec": {
                        "replicas": 3,
                        "selector": {"matchLabels": {"app": "echo"}},
                        "template": {
                            "metadata": {"labels": {"app": "echo"}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "echo",
                                        "image": "python:3.11",
                                        "command": ["python3", "-c", SERVER],
                                        "env": [
                                            {
                                                "name": "POD_NAME",
                                                "valueFrom": {
                                                    "fieldRef": {"fieldPath": "metadata.name"}
                                                },
                                            }
                                        ],
                                        "ports": [{"containerPort": 8000, "name": "http"}],
                                        "readinessProbe": {
                                            "httpGet": {"path": "/", "port": "http"},
                                            "periodSeconds": 1,
                                        },
                                    }
                                ]
                            },
                        },
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "echo", "namespace": namespace},
                    "spec": {
                        "selector": {"app": "echo"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                    },
                },
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "VirtualService",
                    "metadata": {"name": "echo", "namespace": namespace},
                    "spec": {
                        "hosts": ["*"],
                        "gateways": ["kubeflow/kubeflow-gateway"],
                        "http": [
                            {
                                "match": [{"uri": {"prefix": f"/echo/{namespace}/"}}],
                                "rewrite": {"uri": "/"},
                                "route": [
                                    {
                                        "destination": {
                                            "host": f"echo.{namespace}.svc.cluster.local",
                                            "port": {"number": 80},
                                        }
                                    }
                                ],
                            }
                        ],
                    },
                },
            ],
        }
    )


def test_hello_pod_succeeds_and_logs(platform: Platform, namespace: str) -> None:
    platform.kubectl(
        "run",
        "hello",
        "-n",
        namespace,
        "--image=python:3.11",
        "--restart=Never",
        "--",
        "python3",
        "-c",
        "print('hello')",
    )
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pod", "hello", "-n", namespace, "-o", "jsonpath={.status.phase}"
            ).stdout
            == "Succeeded"
        ),
        what="hello Succeeded",
    )
    assert platform.kubectl("logs", "hello", "-n", namespace).stdout == "hello\n"
    status = platform.kubectl_yaml("get", "pod", "hello", "-n", namespace)["status"]
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_deployment_behind_service_and_virtualservice(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=_deployment(namespace))
    platform.kubectl(
        "rollout", "status", "deployment/echo", "-n", namespace, "--timeout=60s", timeout=90
    )
    pods = platform.kubectl_yaml("get", "pods", "-n", namespace, "-l", "app=echo")["items"]
    ips = {p["status"]["podIP"] for p in pods}
    assert len(pods) == 3 and len(ips) == 3 and all(ip.startswith("127.") for ip in ips)
    names = {p["metadata"]["name"] for p in pods}
    url = f"{platform.url}/echo/{namespace}/"
    wait_for(lambda: _get(url)[0] == 200, what="route ready")
    answers = collections.Counter(_get(url)[1] for _ in range(60))
    assert set(answers) == names, answers
    assert min(answers.values()) >= 5, answers

    platform.kubectl("scale", "deployment", "echo", "-n", namespace, "--replicas=0")
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pods", "-n", namespace, "-l", "app=echo", "-o", "name"
            ).stdout.strip()
            == ""
        ),
        what="pods gone at scale 0",
    )
    code, body = _get(url)
    assert code == 503 and "echo" in body

    platform.kubectl("scale", "deployment", "echo", "-n", namespace, "--replicas=1")
    platform.kubectl(
        "rollout", "status", "deployment/echo", "-n", namespace, "--timeout=60s", timeout=90
    )
    platform.kubectl("delete", "deployment", "echo", "-n", namespace)
    wait_for(
        lambda: platform.kubectl("get", "pods", "-n", namespace, "-o", "name").stdout.strip() == "",
        what="pods deleted with their deployment",
    )
