from __future__ import annotations

import json
from typing import Any

import pytest

from pinnace.pipelines.restapi import errors, listing

RUNS = [
    {
        "run_id": "a",
        "display_name": "alpha",
        "state": "SUCCEEDED",
        "created_at": "2026-01-01T00:00:01Z",
    },
    {
        "run_id": "b",
        "display_name": "beta",
        "state": "FAILED",
        "created_at": "2026-01-01T00:00:02Z",
    },
    {
        "run_id": "c",
        "display_name": "gamma",
        "state": "RUNNING",
        "created_at": "2026-01-01T00:00:03Z",
    },
]


def _ids(predicates: list[dict[str, Any]], **params: str) -> list[str]:
    q = listing.query({"filter": json.dumps({"predicates": predicates}), **params})
    return [m["run_id"] for m in listing.page(RUNS, q, id_key="run_id").items]


@pytest.mark.parametrize(
    ("predicate", "ids"),
    [
        pytest.param(
            {"operation": 1, "key": "state", "stringValue": "FAILED"},
            ["b"],
            id="equals-number-camel",
        ),
        pytest.param(
            {"operation": "NOT_EQUALS", "key": "state", "string_value": "FAILED"},
            ["a", "c"],
            id="not-equals",
        ),
        pytest.param(
            {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "ta"},
            ["b"],
            id="substring",
        ),
        pytest.param(
            {
                "operation": "GREATER_THAN",
                "key": "created_at",
                "timestamp_value": "2026-01-01T00:00:01Z",
            },
            ["b", "c"],
            id="after",
        ),
        pytest.param(
            {
                "operation": "LESS_THAN_EQUALS",
                "key": "created_at",
                "timestampValue": "2026-01-01T00:00:02Z",
            },
            ["a", "b"],
            id="until",
        ),
        pytest.param(
            {"operation": "IN", "key": "run_id", "stringValues": ["a", "c"]}, ["a", "c"], id="in"
        ),
    ],
)
def test_predicates(predicate: dict[str, Any], ids: list[str]) -> None:
    assert _ids([predicate]) == ids


def test_sort_and_pages() -> None:
    q = listing.query({"sort_by": "display_name desc", "page_size": "2"})
    first = listing.page(RUNS, q, id_key="run_id")
    assert ([m["run_id"] for m in first.items], first.total_size) == (["c", "b"], 3)
    q2 = listing.query(
        {"sort_by": "display_name desc", "page_size": "2", "page_token": first.next_page_token}
    )
    second = listing.page(RUNS, q2, id_key="run_id")
    assert ([m["run_id"] for m in second.items], second.next_page_token) == (["a"], "")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"filter": "[1]"}, "filter", id="not-an-object"),
        pytest.param(
            {"filter": json.dumps({"predicates": [{"key": "x", "operation": 1}]})},
            "value",
            id="no-value",
        ),
        pytest.param(
            {
                "filter": json.dumps(
                    {"predicates": [{"key": "x", "operation": 42, "string_value": "y"}]}
                )
            },
            "operation",
            id="bad-op",
        ),
        pytest.param({"sort_by": "name sideways"}, "sort_by", id="bad-sort"),
        pytest.param({"page_size": "many"}, "page_size", id="bad-size"),
        pytest.param({"page_token": "!!"}, "page_token", id="bad-token"),
    ],
)
def test_bad_parameters_name_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=field):
        listing.query(params)
