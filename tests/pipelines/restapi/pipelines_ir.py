"""Pipelines compiled by the real kfp compiler for the REST API tests (compiled once).

No `from __future__ import annotations` here: kfp reads the components' annotations.
"""

import functools
from typing import Any

import yaml
from tests.pipelines import builders


@functools.cache
def chain() -> dict[str, Any]:
    """`add(a) → add(+1)`: one required int input `a`."""
    from kfp import dsl

    @dsl.component(base_image=builders.BASE)
    def add(x: int) -> int:
        return x + 1

    @dsl.pipeline(name="chain")
    def pipeline(a: int) -> int:
        first = add(x=a)
        return add(x=first.output).output

    return builders.compiled(pipeline)


def chain_yaml() -> bytes:
    return yaml.safe_dump(chain()).encode()
