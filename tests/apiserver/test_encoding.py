"""Protobuf request bodies from the real kubectl, decoded by `encoding.decode`.

kubectl 1.32's typed commands (`create namespace|configmap|secret|…`, `drain`)
send `application/vnd.kubernetes.protobuf` and never fall back to JSON. For each
command we record the body kubectl sends and check that it

- decodes to exactly kubectl's own JSON of the object (`-o json --dry-run=client`),
- is stored (201) as the same object that JSON body gives on a second server,
  modulo what the server sets (uid, resourceVersion, timestamps).

All commands run once per module, concurrently, so the file stays fast.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.apiserver.kubectl_server import Kubectl, Recorded, Served, write_kubeconfig

from pinnace.apiserver import encoding, errors

pytestmark = pytest.mark.slow  # about 20 kubectl runs; a few seconds on two cores

# A self-signed P-256 pair valid until 2126, for `create secret tls`.
TLS_CRT = """-----BEGIN CERTIFICATE-----
MIIBhDCCASugAwIBAgIUQoh73l7VZCvvNFa52457ce7EW58wCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMcGlubmFjZS10ZXN0MCAXDTI2MTEzMDA1MDExNloYDzIxMjYx
MTA2MDUwMTE2WjAXMRUwEwYDVQQDDAxwaW5uYWNlLXRlc3QwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAQWDAgw1zPlfG5TQ0oHHbR9b8XvlM5W6Gana3Jfh2BgkAg2
3S9FRwzZTgVVIKXQ4jak/3bcvASMO6RNGeuUQECPo1MwUTAdBgNVHQ4EFgQUGm+N
QMxiBhiWANwVEQYu9kX76BYwHwYDVR0jBBgwFoAUGm+NQMxiBhiWANwVEQYu9kX7
6BYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiABlqQXULsGM30t
p0A/WZTETuCfom1nexSpukuiSVvpOwIgaBxyBxa+uA0I9K1toubOwVbjR7YmjTJJ
Pr+sr+keXgk=
-----END CERTIFICATE-----
"""
TLS_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/pIS6Jsx1uC2lkxo
R15mifPWSihKUZZJt+CUNcSosa+hRANCAAQWDAgw1zPlfG5TQ0oHHbR9b8XvlM5W
6Gana3Jfh2BgkAg23S9FRwzZTgVVIKXQ4jak/3bcvASMO6RNGeuUQECP
-----END PRIVATE KEY-----
"""
NS = "/api/v1/namespaces/default"
RBAC = "/apis/rbac.authorization.k8s.io/v1"

# (kubectl arguments, the object's path). `{dir}` is a directory with files.
CREATES = [
    pytest.param(["create", "namespace", "pb"], "/api/v1/namespaces/pb", id="namespace"),
    pytest.param(
        [
            "create",
            "configmap",
            "cm",
            "--from-literal=a=1",
            "--from-literal=b=two words",
            "--from-file=bin={dir}/bin",
            "--from-file=text={dir}/text",
        ],
        f"{NS}/configmaps/cm",
        id="configmap",
    ),
    pytest.param(
        [
            "create",
            "secret",
            "generic",
            "gen",
            "--from-literal=user=admin",
            "--from-literal=empty=",
            "--from-file=bin={dir}/bin",
            "--type=example.com/custom",
        ],
        f"{NS}/secrets/gen",
        id="secret-generic",
    ),
    pytest.param(
        ["create", "secret", "tls", "tls", "--cert={dir}/tls.crt", "--key={dir}/tls.key"],
        f"{NS}/secrets/tls",
        id="secret-tls",
    ),
    pytest.param(
        [
            "create",
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=registry.example.com",
            "--docker-username=u",
            "--docker-password=p",
            "--docker-email=u@example.com",
        ],
        f"{NS}/secrets/reg",
        id="secret-docker-registry",
    ),
    pytest.param(
        ["create", "serviceaccount", "sa"], f"{NS}/serviceaccounts/sa", id="serviceaccount"
    ),
    pytest.param(
        [
            "create",
            "deployment",
            "web",
            "--image=a",
            "--port=80",
            "--replicas=3",
            "--",
            "cmd",
            "args",
        ],
        "/apis/apps/v1/namespaces/default/deployments/web",
        id="deployment-command",
    ),
    pytest.param(
        ["create", "deployment", "two", "--image=a", "--image=b:1", "--replicas=0"],
        "/apis/apps/v1/namespaces/default/deployments/two",
        id="deployment-images",
    ),
    pytest.param(
        ["create", "service", "clusterip", "cip", "--tcp=80:8080", "--tcp=443"],
        f"{NS}/services/cip",
        id="service-clusterip",
    ),
    pytest.param(
        ["create", "service", "clusterip", "headless", "--clusterip=None"],
        f"{NS}/services/headless",
        id="service-headless",
    ),
    pytest.param(
        ["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"],
        f"{NS}/services/np",
        id="service-nodeport",
    ),
    pytest.param(
        ["create", "service", "loadbalancer", "lb", "--tcp=5678:8080"],
        f"{NS}/services/lb",
        id="service-loadbalancer",
    ),
    pytest.param(
        ["create", "service", "externalname", "ext", "--external-name=db.example.com"],
        f"{NS}/services/ext",
        id="service-externalname",
    ),
    pytest.param(
        [
            "create",
            "role",
            "r",
            "--verb=get,list",
            "--resource=pods,deployments.apps",
            "--resource-name=x",
        ],
        f"{RBAC}/namespaces/default/roles/r",
        id="role",
    ),
    pytest.param(
        [
            "create",
            "rolebinding",
            "rb",
            "--clusterrole=view",
            "--user=u",
            "--group=g",
            "--serviceaccount=default:sa",
        ],
        f"{RBAC}/namespaces/default/rolebindings/rb",
        id="rolebinding",
    ),
    pytest.param(
        ["create", "rolebinding", "rb-role", "--role=r", "--user=u"],
        f"{RBAC}/namespaces/default/rolebindings/rb-role",
        id="rolebinding-role",
    ),
    pytest.param(
        [
            "create",
            "clusterrole",
            "cr",
            "--verb=get",
            "--verb=watch",
            "--resource=pods",
            "--resource-name=a",
            "--resource-name=b",
        ],
        f"{RBAC}/clusterroles/cr",
        id="clusterrole",
    ),
    pytest.param(
        ["create", "clusterrole", "cr-urls", "--verb=get", "--non-resource-url=/logs/*"],
        f"{RBAC}/clusterroles/cr-urls",
        id="clusterrole-nonresource",
    ),
    pytest.param(
        ["create", "clusterrole", "cr-agg", "--aggregation-rule=rbac.example.com/agg=true"],
        f"{RBAC}/clusterroles/cr-agg",
        id="clusterrole-aggregation",
    ),
    pytest.param(
        [
            "create",
            "clusterrolebinding",
            "crb",
            "--clusterrole=cr",
            "--user=u",
            "--serviceaccount=kube-system:default",
        ],
        f"{RBAC}/clusterrolebindings/crb",
        id="clusterrolebinding",
    ),
]
SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "managedFields")


@dataclass
class Outcome:
    code: int
    output: str
    client_json: dict[str, Any]  # kubectl -o json --dry-run=client
    bodies: list[Recorded] = field(default_factory=list)  # what kubectl sent
    stored: dict[str, Any] = field(default_factory=dict)  # GET after the protobuf create
    via_json: dict[str, Any] = field(default_factory=dict)  # GET after a JSON create


def with_flags(args: list[str], *flags: str) -> list[str]:
    """Flags go before a `--` that starts the container command."""
    cut = args.index("--") if "--" in args else len(args)
    return [*args[:cut], *flags, *args[cut:]]


def sent_body(log: list[Recorded], path: str) -> list[Recorded]:
    """The POSTs of the object at `path`: its name is ObjectMeta field 1 (tag 0x0a)."""
    collection, name = path.rsplit("/", 1)
    name_field = bytes([0x0A, len(name)]) + name.encode()
    return [r for r in log if (r.method, r.path) == ("POST", collection) and name_field in r.body]


async def create_from_json(url: str, path: str, obj: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as http:
        posted = await http.post(
            path.rsplit("/", 1)[0],
            content=orjson.dumps(obj),
            headers={"content-type": "application/json"},
        )
        assert posted.status_code == 201, posted.text
        got: dict[str, Any] = (await http.get(path)).json()
        return got


async def run_all(tmp: Path, cases: dict[str, tuple[list[str], str]]) -> dict[str, Outcome]:
    files = tmp / "files"
    files.mkdir()
    (files / "bin").write_bytes(bytes(range(256)))
    (files / "text").write_text("line one\nline two\n")
    (files / "tls.crt").write_text(TLS_CRT)
    (files / "tls.key").write_text(TLS_KEY)
    (tmp / "a").mkdir()
    (tmp / "b").mkdir()
    argv = {
        name: [a.replace("{dir}", str(files)) for a in args] for name, (args, _) in cases.items()
    }
    paths = {name: path for name, (_, path) in cases.items()}
    log: list[Recorded] = []
    async with Served(tmp / "a", log) as target, Served(tmp / "b") as json_target:
        kubectl = Kubectl(write_kubeconfig(tmp / "kubeconfig", target.url), tmp)
        dry = await asyncio.gather(
            *(kubectl(*with_flags(a, "-o", "json", "--dry-run=client")) for a in argv.values())
        )
        outcomes: dict[str, Outcome] = {}
        for name, (code, out) in zip(argv, dry, strict=True):
            assert code == 0, out
            outcomes[name] = Outcome(code=-1, output="", client_json=orjson.loads(out))
        real, via_json = await asyncio.gather(
            asyncio.gather(*(kubectl(*a) for a in argv.values())),
            asyncio.gather(
                *(
                    create_from_json(json_target.url, paths[n], o.client_json)
                    for n, o in outcomes.items()
                )
            ),
        )
        async with httpx.AsyncClient(base_url=target.url) as http:
            stored = await asyncio.gather(*(http.get(path) for path in paths.values()))
        for name, (code, out), got, json_got in zip(argv, real, stored, via_json, strict=True):
            outcome = outcomes[name]
            outcome.code, outcome.output = code, out
            outcome.bodies = sent_body(log, paths[name])
            outcome.stored = got.json()
            outcome.via_json = json_got
    return outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    cases = {p.id: (p.values[0], p.values[1]) for p in CREATES}
    assert all(isinstance(args, list) and isinstance(path, str) for args, path in cases.values())
    return asyncio.run(run_all(tmp_path_factory.mktemp("kubectl"), cases))  # type: ignore[arg-type]


def without_null_times(value: Any) -> Any:
    """kubectl up to 1.32 writes a zero creationTimestamp as null, 1.33+ leaves it out."""
    if isinstance(value, dict):
        return {
            k: without_null_times(v)
            for k, v in value.items()
            if not (k == "creationTimestamp" and v is None)
        }
    if isinstance(value, list):
        return [without_null_times(v) for v in value]
    return value


def without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop what each server sets for itself, allocated Service addresses included."""
    obj = copy.deepcopy(obj)
    for key in SERVER_SET:
        obj.get("metadata", {}).pop(key, None)
    if obj.get("kind") == "Service":
        spec = obj["spec"]
        spec.pop("clusterIP", None), spec.pop("clusterIPs", None)
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
    return without_null_times(obj)  # type: ignore[no-any-return]


def assert_within(sent: Any, stored: Any, where: str = "") -> None:
    """Everything kubectl set is stored unchanged (the server may add defaults)."""
    if isinstance(sent, dict):
        assert isinstance(stored, dict), where
        for key, value in sent.items():
            # The server resets status on create, as kube-apiserver does.
            if (where == ".metadata" and key in SERVER_SET) or (where, key) == ("", "status"):
                continue
            assert key in stored, f"{where}.{key} was not stored"
            assert_within(value, stored[key], f"{where}.{key}")
    elif isinstance(sent, list):
        assert isinstance(stored, list) and len(stored) == len(sent), where
        for i, (a, b) in enumerate(zip(sent, stored, strict=True)):
            assert_within(a, b, f"{where}[{i}]")
    else:
        assert sent == stored, where


@pytest.mark.parametrize(("args", "path"), CREATES)
def test_kubectl_create_sends_protobuf_that_decodes_to_its_json(
    outcomes: dict[str, Outcome], args: list[str], path: str, request: pytest.FixtureRequest
) -> None:
    outcome = outcomes[request.node.callspec.id]
    assert outcome.code == 0, outcome.output
    assert "created" in outcome.output
    [sent] = outcome.bodies
    assert sent.content_type == encoding.PROTOBUF
    decoded = encoding.decode(sent.body, sent.content_type, what="object")
    assert decoded == without_null_times(outcome.client_json)


@pytest.mark.parametrize(("args", "path"), CREATES)
def test_kubectl_create_stores_what_json_would(
    outcomes: dict[str, Outcome], args: list[str], path: str, request: pytest.FixtureRequest
) -> None:
    outcome = outcomes[request.node.callspec.id]
    assert outcome.stored["kind"] == outcome.client_json["kind"]
    assert without_server_fields(outcome.stored) == without_server_fields(outcome.via_json)
    assert_within(without_null_times(outcome.client_json), outcome.stored)


def test_protobuf_of_a_kind_without_table_is_415() -> None:
    from pinnace.kits import protowire

    type_meta = protowire.field(1, "batch/v1") + protowire.field(2, "Job")
    body = b"k8s\x00" + protowire.field(1, type_meta) + protowire.field(2, b"")
    with pytest.raises(errors.UnsupportedMedia):
        encoding.decode(body, encoding.PROTOBUF, what="Job")


def test_malformed_protobuf_is_400() -> None:
    with pytest.raises(errors.BadRequest):
        encoding.decode(b"k8s\x00\x0a\x05ab", encoding.PROTOBUF, what="Namespace")
    with pytest.raises(errors.BadRequest):
        encoding.decode(b'{"kind": "Namespace"}', encoding.PROTOBUF, what="Namespace")


async def test_kubectl_drain_deletes_with_protobuf_delete_options(tmp_path: Path) -> None:
    log: list[Recorded] = []
    async with (
        Served(tmp_path / "data", log) as target,
        httpx.AsyncClient(base_url=target.url) as http,
    ):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
        assert (await http.post("/api/v1/nodes", json=node)).status_code == 201
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p1"},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "x"}]},
        }
        assert (await http.post(f"{NS}/pods", json=pod)).status_code == 201
        kubectl = Kubectl(write_kubeconfig(tmp_path / "kubeconfig", target.url), tmp_path)
        code, out = await kubectl("drain", "n1", "--force", "--grace-period=0", "--timeout=10s")
        assert code == 0, out
        assert (await http.get(f"{NS}/pods/p1")).status_code == 404
        assert (await http.get("/api/v1/nodes/n1")).json()["spec"]["unschedulable"] is True
    [delete] = [r for r in log if r.method == "DELETE"]
    assert delete.content_type == encoding.PROTOBUF
    assert encoding.decode(delete.body, delete.content_type, what="DeleteOptions") == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
    }


async def test_kubectl_workload_commands_after_a_protobuf_create(tmp_path: Path) -> None:
    """scale, rollout restart and set image send JSON patches to what protobuf created."""
    log: list[Recorded] = []
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    async with (
        Served(tmp_path / "data", log) as target,
        httpx.AsyncClient(base_url=target.url) as http,
    ):
        kubectl = Kubectl(write_kubeconfig(tmp_path / "kubeconfig", target.url), tmp_path)
        for args in (
            ["create", "deployment", "web", "--image=a", "--replicas=3"],
            ["scale", "deployment", "web", "--replicas=0"],
            ["rollout", "restart", "deployment/web"],
            ["set", "image", "deployment/web", "a=b:2"],
        ):
            code, out = await kubectl(*args)
            assert code == 0, out
        deployment = (await http.get(path)).json()
    spec = deployment["spec"]
    assert spec["replicas"] == 0
    assert spec["template"]["spec"]["containers"][0]["image"] == "b:2"
    assert "kubectl.kubernetes.io/restartedAt" in spec["template"]["metadata"]["annotations"]
    protobuf = [(r.method, r.path) for r in log if r.content_type == encoding.PROTOBUF]
    assert protobuf == [("POST", path.rsplit("/", 1)[0])]
