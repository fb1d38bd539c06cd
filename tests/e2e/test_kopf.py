"""A minimal Kopf operator on a test CRD runs against `pinnace up`: handlers, status, finalizer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.e2e.conftest import Platform, wait_for

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: greetings.demo.pinnace.dev}
spec:
  group: demo.pinnace.dev
  scope: Namespaced
  names: {plural: greetings, singular: greeting, kind: Greeting}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {who: {type: string}}}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""

OPERATOR = textwrap.dedent("""
    import kopf

    @kopf.on.create("demo.pinnace.dev", "v1", "greetings")
    def create(spec, **_):
        return {"message": f"hello {spec.get('who')}"}

    @kopf.on.update("demo.pinnace.dev", "v1", "greetings")
    def update(spec, **_):
        return {"message": f"hello again {spec.get('who')}"}

    @kopf.on.delete("demo.pinnace.dev", "v1", "greetings")
    def delete(name, body, **_):
        kopf.info(body, reason="Farewell", message=f"goodbye {name}")
""")


def test_kopf_operator(platform: Platform, namespace: str, tmp_path: Path) -> None:
    platform.kubectl("apply", "-f", "-", input=CRD)
    operator = tmp_path / "operator.py"
    operator.write_text(OPERATOR)
    log = tmp_path / "kopf.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kopf", "run", "--standalone", "-n", namespace, str(operator)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=platform.env(),
        )
    try:
        greeting = "apiVersion: demo.pinnace.dev/v1\nkind: Greeting\nmetadata: {name: g}\nspec: {who: world}\n"
        platform.kubectl("apply", "-n", namespace, "-f", "-", input=greeting)

        def status() -> dict[str, object]:
            got = platform.kubectl_yaml("get", "greeting", "g", "-n", namespace)
            return got.get("status", {}).get("create") if got else None  # type: ignore[no-any-return]

        assert wait_for(status, timeout=60, what=f"kopf create handler; log:\n{log}") == {
            "message": "hello world"
        }
        got = platform.kubectl_yaml("get", "greeting", "g", "-n", namespace)
        assert "kopf.zalando.org/KopfFinalizerMarker" in got["metadata"]["finalizers"]
        platform.kubectl(
            "patch",
            "greeting",
            "g",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"spec":{"who":"you"}}',
        )
        wait_for(
            lambda: (
                platform.kubectl_yaml("get", "greeting", "g", "-n", namespace)
                .get("status", {})
                .get("update")
                == {"message": "hello again you"}
            ),
            timeout=60,
            what="kopf update handler",
        )
        platform.kubectl("delete", "greeting", "g", "-n", namespace, "--timeout=60s", timeout=90)
        assert "No resources found" in platform.kubectl("get", "greetings", "-n", namespace).stderr
        # kopf posts events from a queue of its own, so the Farewell may trail the delete.
        wait_for(
            lambda: (
                "goodbye g"
                in platform.kubectl(
                    "get", "events", "-n", namespace, "--field-selector", "reason=Farewell"
                ).stdout
            ),
            timeout=30,
            what="kopf's Farewell event",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        platform.kubectl("delete", "-f", "-", input=CRD, check=False)
