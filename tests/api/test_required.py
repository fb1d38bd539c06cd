"""The audit of built-in `required` lists is complete: every field is classified once."""

from __future__ import annotations

from collections.abc import Iterator

from pinnace.api import builtins, schemas
from pinnace.api.schemas import required


def _reachable() -> Iterator[str]:
    """Definition names reachable from the served built-in kinds."""
    seen: set[str] = set()
    todo = [i.definition for i in builtins.BUILTINS if i.definition]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        yield name
        for node in schemas.walk(schemas.definition(name)):
            ref = schemas.ref_name(node)
            if ref is not None:
                todo.append(ref)


def test_every_required_field_of_a_served_kind_is_classified() -> None:
    unclassified = []
    for name in _reachable():
        short = required.short_name(name)
        listed = required.ENFORCED.get(short, frozenset()) | required.NOT_ENFORCED.get(
            short, frozenset()
        )
        missing = set(schemas.definition(name).get("required") or ()) - listed
        if missing:
            unclassified.append((short, sorted(missing)))
    assert unclassified == []


def test_the_audit_names_only_real_fields_and_each_once() -> None:
    by_short: dict[str, set[str]] = {}
    for name in _reachable():
        fields = set(schemas.definition(name).get("required") or ())
        if fields:
            short = required.short_name(name)
            assert short not in by_short, f"two definitions are called {short}"
            by_short[short] = fields
    for table in (required.ENFORCED, required.NOT_ENFORCED):
        for short, fields in table.items():
            assert fields <= by_short.get(short, set()), short
    for short in required.ENFORCED.keys() & required.NOT_ENFORCED.keys():
        assert not required.ENFORCED[short] & required.NOT_ENFORCED[short], short
