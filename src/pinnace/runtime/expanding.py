"""Kubernetes `$(VAR)` expansion in command, args and env values.

The same algorithm as the kubelet (`third_party/forked/golang/expansion`):
`$(NAME)` becomes the variable's value when it is defined and stays as written
otherwise; `$$` is an escaped `$`. Called by `envs` (env values see earlier
entries) and by `containers` (command/args see the whole environment).
"""

from __future__ import annotations

from collections.abc import Mapping


def expand(text: str, variables: Mapping[str, str]) -> str:
    """`text` with every defined `$(NAME)` replaced; `$$(NAME)` gives a literal `$(NAME)`."""
    if "$" not in text:
        return text
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_variable(text[cursor + 1 :])
            if is_var:
                out.append(variables.get(read, f"$({read})"))
            else:
                out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def _read_variable(rest: str) -> tuple[str, bool, int]:
    if rest[0] == "$":
        return "$", False, 1
    if rest[0] == "(":
        end = rest.find(")", 1)
        if end >= 0:
            return rest[1:end], True, end + 1
        return "$(", False, 1
    return "$" + rest[0], False, 1


def expand_all(items: list[str], variables: Mapping[str, str]) -> list[str]:
    return [expand(item, variables) for item in items]
