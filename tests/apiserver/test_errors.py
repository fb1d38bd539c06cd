"""Status bodies exactly as kube-apiserver writes them: field order and `details`."""

from __future__ import annotations

from tests.apiserver.conftest import Running

from pinnace.apiserver import errors


async def test_unserved_path_answers_kubes_raw_404(running: Running) -> None:
    r = await running.http.get("/apis/nope.example.com/v1/things")
    assert r.status_code == 404
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"the server could not find the requested resource","reason":"NotFound",'
        b'"details":{},"code":404}'
    )


async def test_missing_object_names_it_before_the_code(running: Running) -> None:
    r = await running.http.get("/api/v1/namespaces/default/configmaps/gone")
    assert r.status_code == 404
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"configmaps \\"gone\\" not found","reason":"NotFound",'
        b'"details":{"name":"gone","kind":"configmaps"},"code":404}'
    )


def test_status_without_details_has_none() -> None:
    body = errors.BadRequest("bad").status()
    assert list(body) == ["kind", "apiVersion", "metadata", "status", "message", "reason", "code"]
