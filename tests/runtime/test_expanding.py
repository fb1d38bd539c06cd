from __future__ import annotations

import pytest

from pinnace.runtime import expanding

VARS = {"A": "1", "NAME": "pod-x", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain", "plain", id="no-vars"),
        pytest.param("$(A)", "1", id="defined"),
        pytest.param("x-$(NAME)-y", "x-pod-x-y", id="inside"),
        pytest.param("$(MISSING)", "$(MISSING)", id="undefined-kept"),
        pytest.param("$$(A)", "$(A)", id="escaped"),
        pytest.param("$$", "$", id="escaped-dollar"),
        pytest.param("$(A", "$(A", id="unclosed"),
        pytest.param("$x", "$x", id="not-a-reference"),
        pytest.param("a$", "a$", id="trailing-dollar"),
        pytest.param("$(EMPTY)z", "z", id="empty-value"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    assert expanding.expand(text, VARS) == expected
