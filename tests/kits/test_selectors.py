"""Label and field selectors: apimachinery's grammar, matching and printing."""

from __future__ import annotations

import pytest

from pinnace.kits import selectors

LABELS = {"app": "web", "tier": "front", "n": "5"}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        pytest.param("", True, id="empty-everything"),
        pytest.param("app=web", True, id="equals"),
        pytest.param("app==web", True, id="double-equals"),
        pytest.param("app!=web", False, id="not-equals"),
        pytest.param("missing!=x", True, id="not-equals-absent"),
        pytest.param("app in (web, db)", True, id="in"),
        pytest.param("app notin (web,db)", False, id="notin"),
        pytest.param("missing notin (a)", True, id="notin-absent"),
        pytest.param("app", True, id="exists"),
        pytest.param("!app", False, id="does-not-exist"),
        pytest.param("!missing", True, id="does-not-exist-absent"),
        pytest.param("app=web,tier=back", False, id="conjunction"),
        pytest.param(" app = web , tier in (front) ", True, id="whitespace"),
        pytest.param("n>4,n<6", True, id="gt-lt"),
        pytest.param("app>4", False, id="gt-non-integer-label"),
        pytest.param("x=", False, id="empty-value-absent"),
        pytest.param("app in (in, notin, web)", True, id="keywords-as-values"),
    ],
)
def test_label_selector_matches(text: str, matches: bool) -> None:
    assert selectors.parse_labels(text).matches(LABELS) is matches


def test_label_selector_prints_sorted_canonical_form() -> None:
    sel = selectors.parse_labels("tier notin (b,a),app==web,!gone,x,n>3")
    assert str(sel) == "app==web,!gone,n>3,tier notin (a,b),x"
    assert selectors.parse_labels(str(sel)) == sel


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a in b", "unable to parse requirement: found 'b' expected: '('", id="in-paren"
        ),
        pytest.param("a=b c", "found 'c', expected: ',' or 'end of string'", id="trailing"),
        pytest.param("a=b,", "found '', expected: identifier after ','", id="dangling-comma"),
        pytest.param(
            "a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'", id="list"
        ),
        pytest.param(
            "a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            id="operator",
        ),
        pytest.param("=a", "found '=', expected: !, identifier, or 'end of string'", id="start"),
        pytest.param("a notin", "found '' expected: '('", id="no-values"),
        pytest.param("a=b=c", "found '=', expected: ',' or 'end of string'", id="double-op"),
        pytest.param("a=(", "found '(', expected: identifier", id="paren-value"),
        pytest.param("-a=b", 'Invalid value: "-a"', id="bad-key"),
        pytest.param("a=-b", 'Invalid value: "-b"', id="bad-value"),
        pytest.param("a>b", "the value must be an integer", id="gt-non-int"),
    ],
)
def test_label_selector_errors_use_apimachinery_wording(text: str, message: str) -> None:
    with pytest.raises(selectors.SelectorError) as exc:
        selectors.parse_labels(text)
    assert message in str(exc.value)


def test_label_selector_object() -> None:
    obj = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    sel = selectors.from_label_selector(obj)
    assert sel.matches({"app": "web", "tier": "edge"})
    assert not sel.matches({"app": "web", "tier": "edge", "legacy": "1"})
    assert selectors.label_selector_string(obj) == "app=web,!legacy,tier in (edge,front)"
    assert selectors.from_label_selector({}).matches({"any": "thing"})
    assert not selectors.from_label_selector(None).matches({})
    with pytest.raises(selectors.SelectorError, match='"Bogus" is not a valid'):
        selectors.from_label_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})


@pytest.mark.parametrize(
    ("text", "fields", "matches"),
    [
        pytest.param("metadata.name=x", {"metadata.name": "x"}, True, id="equals"),
        pytest.param("metadata.name==x", {"metadata.name": "y"}, False, id="double-equals"),
        pytest.param("status.phase!=Running", {"status.phase": "Pending"}, True, id="not-equals"),
        pytest.param("spec.nodeName=", {}, True, id="empty-matches-absent"),
        pytest.param(
            "involvedObject.name=a,involvedObject.kind=Pod",
            {"involvedObject.name": "a", "involvedObject.kind": "Pod"},
            True,
            id="conjunction",
        ),
        pytest.param(r"a=x\,y", {"a": "x,y"}, True, id="escaped-comma"),
    ],
)
def test_field_selector_matches(text: str, fields: dict[str, str], matches: bool) -> None:
    assert selectors.parse_fields(text).matches(fields) is matches


def test_field_selector_errors_and_printing() -> None:
    with pytest.raises(selectors.SelectorError, match="invalid selector: 'abc'; can't understand"):
        selectors.parse_fields("abc")
    with pytest.raises(selectors.SelectorError, match="invalid escape sequence"):
        selectors.parse_fields(r"a=\x")
    sel = selectors.parse_fields(r"b!=2,a=x\,y")
    assert [r.field for r in sel.requirements] == ["a", "b"]
    assert str(sel) == r"a=x\,y,b!=2"
    assert selectors.parse_fields("").empty
