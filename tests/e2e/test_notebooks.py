"""Kubeflow Notebooks on a real `pinnace up`: upstream YAML in, a real JupyterLab behind the gateway.

`kubectl apply` of the Notebook the Jupyter web app writes (no command, an
upstream image) and its workspace claim; then Jupyter's own protocols through
`/notebook/<ns>/<name>/`: the REST API (with the `_xsrf` cookie the lab page
sets, as a browser does), a kernel executing code over its WebSocket channel
(Jupyter messaging protocol v5), the contents API, terminals. Files in the
workspace survive stop/start and a restart of the platform; deleting the
Notebook keeps the claim; bad input shows why in status and events.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets.sync.client
from tests.e2e.conftest import Platform, wait_for

IMAGE = "kubeflownotebookswg/jupyter-scipy:v1.9.0"
READY_TIMEOUT = 180  # JupyterLab's own start, on a busy 2-core machine


def manifests(namespace: str, name: str, *, image: str = IMAGE, **container: Any) -> str:
    """A workspace claim and the Notebook the upstream spawner would create."""
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": f"{name}-workspace", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
    }
    notebook = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "resources": {"requests": {"cpu": "0.5", "memory": "1Gi"}},
                            "volumeMounts": [
                                {"mountPath": "/home/jovyan", "name": f"{name}-workspace"},
                                {"mountPath": "/dev/shm", "name": "dshm"},
                            ],
                            **container,
                        }
                    ],
                    "serviceAccountName": "default-editor",
                    "volumes": [
                        {
                            "name": f"{name}-workspace",
                            "persistentVolumeClaim": {"claimName": f"{name}-workspace"},
                        },
                        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                    ],
                }
            }
        },
    }
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [claim, notebook]})


def notebook_status(platform: Platform, namespace: str, name: str) -> dict[str, Any]:
    got = platform.kubectl("get", "notebook", name, "-n", namespace, "-o", "json", check=False)
    if got.returncode != 0:
        return {}
    status: dict[str, Any] = json.loads(got.stdout).get("status") or {}
    return status


def wait_ready(platform: Platform, namespace: str, name: str) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        status = notebook_status(platform, namespace, name)
        conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
        return status if status.get("readyReplicas") == 1 and conditions.get("Ready") else None

    found: dict[str, Any] = wait_for(ready, timeout=READY_TIMEOUT, what=f"notebook {name} Ready")
    return found


def events_on(platform: Platform, namespace: str, name: str) -> list[dict[str, Any]]:
    listed = platform.kubectl("get", "events", "-n", namespace, "-o", "json")
    return [
        e
        for e in json.loads(listed.stdout)["items"]
        if e["involvedObject"].get("kind") == "Notebook" and e["involvedObject"]["name"] == name
    ]


class Lab:
    """A Jupyter client through the gateway, holding the cookies a browser would."""

    def __init__(self, platform: Platform, namespace: str, name: str) -> None:
        self.base = f"{platform.url}/notebook/{namespace}/{name}/"
        self.ws_base = self.base.replace("http://", "ws://", 1)
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def close(self) -> None:
        self.http.close()

    def page(self) -> httpx.Response:
        """The lab page; it also sets the `_xsrf` cookie under the prefix."""
        return self.http.get("lab")

    def _xsrf(self) -> dict[str, str]:
        if "_xsrf" not in self.http.cookies:
            assert self.page().status_code == 200
        return {"X-XSRFToken": self.http.cookies["_xsrf"]}

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = self._xsrf() if method != "GET" else {}
        return self.http.request(method, path, json=body, headers=headers)

    def write(self, path: str, text: str) -> None:
        answer = self.call(
            "PUT", f"api/contents/{path}", {"type": "file", "format": "text", "content": text}
        )
        assert answer.status_code in (200, 201), answer.text

    def read(self, path: str) -> str:
        answer = self.call("GET", f"api/contents/{path}?content=1&format=text&type=file")
        assert answer.status_code == 200, answer.text
        return str(answer.json()["content"])

    def _channels(self, kernel: str, session: str) -> Any:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        url = f"{self.ws_base}api/kernels/{kernel}/channels?session_id={session}"
        return websockets.sync.client.connect(
            url, additional_headers={"Cookie": cookie}, open_timeout=30
        )

    def start_execute(self, kernel: str, code: str) -> str:
        """Send an execute_request and return without waiting for it (the kernel goes busy)."""
        session = uuid.uuid4().hex
        request = execute_request(code, session)
        with self._channels(kernel, session) as ws:
            ws.send(json.dumps(request))
            while True:  # wait until the kernel says it is busy with it
                message = json.loads(ws.recv(timeout=60))
                parent = message.get("parent_header", {}).get("msg_id")
                ours = parent == request["header"]["msg_id"] and message["msg_type"] == "status"
                if ours and message["content"]["execution_state"] == "busy":
                    return str(request["header"]["msg_id"])

    def execute(self, code: str, timeout: float = 60) -> dict[str, Any]:
        """Start a kernel over REST, run `code` on its shell channel; the execute_result."""
        started = self.call("POST", "api/kernels", {"name": "python3"})
        assert started.status_code == 201, started.text
        kernel = started.json()["id"]
        session = uuid.uuid4().hex
        request = execute_request(code, session)
        msg_id = request["header"]["msg_id"]
        with self._channels(kernel, session) as ws:
            ws.send(json.dumps(request))
            while True:
                message = json.loads(ws.recv(timeout=timeout))
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "execute_result":
                    result: dict[str, Any] = message["content"]
                    return result
                if message["msg_type"] == "error":
                    raise AssertionError(f"kernel error: {message['content']}")


def execute_request(code: str, session: str) -> dict[str, Any]:
    """A Jupyter messaging protocol v5 `execute_request` for the shell channel."""
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "test",
            "session": session,
            "date": datetime.datetime.now(datetime.UTC).isoformat(),
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


def test_an_upstream_notebook_serves_jupyterlab_through_the_gateway(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl("apply", "-f", "-", input=manifests(namespace, "lab"))
    status = wait_ready(platform, namespace, "lab")
    assert "running" in status["containerState"]

    for kind, name in (
        ("statefulset", "lab"),
        ("service", "lab"),
        ("virtualservice", f"notebook-{namespace}-lab"),
        ("pod", "lab-0"),
    ):
        platform.kubectl("get", kind, name, "-n", namespace)

    lab = Lab(platform, namespace, "lab")
    try:
        answer = wait_for(
            lambda: (r := lab.call("GET", "api/status")).status_code == 200 and r,
            what="/api/status through the gateway",
        )
        assert "started" in answer.json()

        page = lab.page()
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        # The page knows its base URL: assets and API calls stay under the prefix.
        assert f"/notebook/{namespace}/lab/" in page.text
        assert "_xsrf" in lab.http.cookies

        result = lab.execute("1+1")
        assert result["data"]["text/plain"] == "2"
        kernels = lab.call("GET", "api/kernels").json()
        assert len(kernels) == 1

        terminal = lab.call("POST", "api/terminals")
        assert terminal.status_code == 200, terminal.text
        assert terminal.json()["name"]
    finally:
        lab.close()


def _stopped(platform: Platform, namespace: str, name: str) -> bool:
    status = notebook_status(platform, namespace, name)
    reasons = [c.get("reason") for c in status.get("conditions") or []]
    gone = platform.kubectl("get", "pod", f"{name}-0", "-n", namespace, check=False)
    return reasons == ["Stopped"] and gone.returncode != 0


@pytest.mark.slow
def test_the_workspace_survives_stop_start_and_a_platform_restart(
    tmp_path: Path,
) -> None:
    platform = Platform.launch(tmp_path / "data")
    try:
        platform.kubectl("create", "namespace", "team")
        platform.kubectl("apply", "-f", "-", input=manifests("team", "ws"))
        wait_ready(platform, "team", "ws")
        lab = Lab(platform, "team", "ws")
        try:
            wait_for(lambda: lab.call("GET", "api/status").status_code == 200, what="status")
            lab.write("notes.txt", "kept across stops")
        finally:
            lab.close()
        claim = next((tmp_path / "data" / "volumes" / "team").glob("ws-workspace*"))
        assert (claim / "notes.txt").read_text() == "kept across stops"

        # Stop, as the Kubeflow UI does: the annotation; the pod goes, the status says so.
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        platform.kubectl(
            "annotate", "notebook", "ws", "-n", "team", f"kubeflow-resource-stopped={stamp}"
        )
        wait_for(lambda: _stopped(platform, "team", "ws"), timeout=60, what="stopped")
        sts = platform.kubectl_yaml("get", "statefulset", "ws", "-n", "team")
        assert sts["spec"]["replicas"] == 0
        down = httpx.get(f"{platform.url}/notebook/team/ws/api/status", timeout=10)
        assert down.status_code == 503

        platform.kubectl("annotate", "notebook", "ws", "-n", "team", "kubeflow-resource-stopped-")
        wait_ready(platform, "team", "ws")
        lab = Lab(platform, "team", "ws")
        try:
            wait_for(lambda: lab.call("GET", "api/status").status_code == 200, what="status")
            assert lab.read("notes.txt") == "kept across stops"
        finally:
            lab.close()

        # A restart of `pinnace up` on the same data dir: the server comes back with the file.
        assert platform.stop() == 0
        platform = Platform.launch(tmp_path / "data", platform.port)
        wait_ready(platform, "team", "ws")
        lab = Lab(platform, "team", "ws")
        try:
            wait_for(lambda: lab.call("GET", "api/status").status_code == 200, what="status")
            assert lab.read("notes.txt") == "kept across stops"
        finally:
            lab.close()

        # Deleting the Notebook removes what it owns and keeps the workspace claim.
        platform.kubectl("delete", "notebook", "ws", "-n", "team", "--wait=true", timeout=120)

        def children_gone() -> bool:
            return all(
                platform.kubectl("get", kind, name, "-n", "team", check=False).returncode != 0
                for kind, name in (
                    ("statefulset", "ws"),
                    ("service", "ws"),
                    ("virtualservice", "notebook-team-ws"),
                    ("pod", "ws-0"),
                )
            )

        wait_for(children_gone, timeout=60, what="the notebook's children deleted")
        platform.kubectl("get", "pvc", "ws-workspace", "-n", "team")
        assert (claim / "notes.txt").read_text() == "kept across stops"
    finally:
        platform.stop()


def test_an_image_without_an_environment_says_why(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=manifests(namespace, "plain", image="busybox:1.36"))

    def waiting() -> dict[str, Any] | None:
        state = notebook_status(platform, namespace, "plain").get("containerState") or {}
        return state.get("waiting") if "entrypoint" in str(state) else None

    reason = wait_for(waiting, what="a waiting containerState naming the entrypoint")
    assert reason["reason"] == "CreateContainerConfigError"
    assert "busybox:1.36" in reason["message"]
    events = wait_for(
        lambda: [
            e
            for e in events_on(platform, namespace, "plain")
            if e["type"] == "Warning" and "entrypoint" in e["message"]
        ],
        what="the runtime's Failed event re-issued on the Notebook",
    )
    assert events[0]["reason"] == "Failed"
    assert events[0]["message"].startswith("Reissued from pod/plain-0: ")


def test_a_server_that_never_listens_says_why(platform: Platform, namespace: str) -> None:
    platform.kubectl(
        "apply",
        "-f",
        "-",
        input=manifests(
            namespace, "mute", command=["python3", "-c", "import time; time.sleep(600)"]
        ),
    )

    def not_ready() -> dict[str, Any] | None:
        status = notebook_status(platform, namespace, "mute")
        ready = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), None)
        running = "running" in (status.get("containerState") or {})
        return ready if running and ready and ready["status"] == "False" else None

    ready = wait_for(not_ready, what="Ready=False while the container runs")
    assert ready["reason"] == "ContainersNotReady"
    events = wait_for(
        lambda: [e for e in events_on(platform, namespace, "mute") if e["reason"] == "Unhealthy"],
        what="the readiness probe's Unhealthy event re-issued on the Notebook",
    )
    assert "Readiness probe failed" in events[0]["message"]
    assert notebook_status(platform, namespace, "mute")["readyReplicas"] == 0


@pytest.mark.slow
def test_culling_stops_an_idle_server_and_spares_a_busy_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Upstream's variables, read by `pinnace up`: idle after 4 s, checked every 0.6 s.
    monkeypatch.setenv("ENABLE_CULLING", "true")
    monkeypatch.setenv("CULL_IDLE_TIME", str(4 / 60))
    monkeypatch.setenv("IDLENESS_CHECK_PERIOD", str(0.6 / 60))
    platform = Platform.launch(tmp_path / "data")
    try:
        platform.kubectl("create", "namespace", "team")
        platform.kubectl("apply", "-f", "-", input=manifests("team", "busy"))
        wait_ready(platform, "team", "busy")
        lab = Lab(platform, "team", "busy")
        try:
            wait_for(lambda: lab.call("GET", "api/status").status_code == 200, what="status")
            # A kernel busy for 12 s (three idle times): the server must not be culled meanwhile.
            assert lab.execute("1")["data"]["text/plain"] == "1"
            kernel = lab.call("GET", "api/kernels").json()[0]["id"]
            lab.start_execute(kernel, "import time; time.sleep(12)")
            busy_until = time.monotonic() + 10
            while time.monotonic() < busy_until:
                got = platform.kubectl_yaml("get", "notebook", "busy", "-n", "team")
                annotations = got["metadata"].get("annotations") or {}
                assert "kubeflow-resource-stopped" not in annotations, annotations
                time.sleep(0.5)
            assert "notebooks.kubeflow.org/last-activity" in annotations
        finally:
            lab.close()
        # Once the kernel is idle again, the idle time later the notebook is stopped.
        wait_for(lambda: _stopped(platform, "team", "busy"), timeout=60, what="culled")
        got = platform.kubectl_yaml("get", "notebook", "busy", "-n", "team")
        assert "kubeflow-resource-stopped" in got["metadata"]["annotations"]
        culled = [e for e in events_on(platform, "team", "busy") if e["reason"] == "Culled"]
        assert culled and "without kernel activity" in culled[0]["message"]
    finally:
        platform.stop()
