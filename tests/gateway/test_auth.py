from __future__ import annotations

from typing import Any

import pytest

from pinnace.gateway import auth


def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "headers": list(headers)}


@pytest.mark.parametrize(
    ("headers", "identity"),
    [
        pytest.param(
            [(b"authorization", b"Bearer tok")],
            auth.Identity("admin", ("system:masters",)),
            id="admin",
        ),
        pytest.param(
            [(b"authorization", b"bearer  tok ")],
            auth.Identity("admin", ("system:masters",)),
            id="case-and-spaces",
        ),
        pytest.param([(b"authorization", b"Bearer other")], None, id="wrong-token"),
        pytest.param([(b"authorization", b"Basic tok")], None, id="basic"),
        pytest.param([], None, id="anonymous"),
    ],
)
async def test_admin_token(
    headers: list[tuple[bytes, bytes]], identity: auth.Identity | None
) -> None:
    assert await auth.AdminToken("tok").authenticate(scope(*headers)) == identity


@pytest.mark.parametrize(
    ("client", "headers", "admitted"),
    [
        pytest.param(("127.0.0.1", 5000), [], True, id="loopback-no-token"),
        pytest.param(("127.3.2.1", 5000), [], True, id="loopback-range"),
        pytest.param(("::1", 5000, 0, 0), [], True, id="loopback-v6"),
        pytest.param(("10.0.0.7", 5000), [], False, id="remote-no-token"),
        pytest.param(None, [], False, id="unknown-peer"),
        pytest.param(
            ("127.0.0.1", 5000),
            [(b"authorization", b"Bearer bad")],
            False,
            id="wrong-token-from-loopback",
        ),
    ],
)
async def test_trusted_loopback(
    client: tuple[Any, ...] | None, headers: list[tuple[bytes, bytes]], admitted: bool
) -> None:
    request = {**scope(*headers), "client": client}
    identity = await auth.AdminToken("tok", trust_loopback=True).authenticate(request)
    assert (identity == auth.Identity("admin", ("system:masters",))) is admitted
    assert await auth.AdminToken("tok").authenticate(request) is None, "off unless asked for"


async def test_empty_admin_token_admits_nobody() -> None:
    assert await auth.AdminToken("").authenticate(scope((b"authorization", b"Bearer "))) is None


@pytest.mark.parametrize(
    ("identity", "target", "allowed", "status"),
    [
        pytest.param(None, auth.Target.KUBERNETES_API, False, 401, id="anonymous-kube"),
        pytest.param(
            auth.Identity("admin"), auth.Target.KUBERNETES_API, True, 200, id="admin-kube"
        ),
        pytest.param(None, auth.Target.ROUTE, True, 200, id="anonymous-route"),
    ],
)
async def test_default_policy(
    identity: auth.Identity | None, target: auth.Target, allowed: bool, status: int
) -> None:
    decision = await auth.DefaultPolicy().authorize(identity, auth.Access(target, "GET", "/"))
    assert (decision.allowed, decision.status) == (allowed, status)


def test_identity_headers() -> None:
    kwargs: dict[str, Any] = {
        "user_header": b"kubeflow-userid",
        "groups_header": b"kubeflow-groups",
    }
    assert auth.identity_headers(None, **kwargs) == []
    assert auth.identity_headers(
        auth.Identity("ann", ("a", "b")), prefix="accounts.google.com:", **kwargs
    ) == [
        (b"kubeflow-userid", b"accounts.google.com:ann"),
        (b"kubeflow-groups", b"a,b"),
    ]
