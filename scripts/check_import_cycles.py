"""Fail when any modules of `pinnace` import each other in a cycle (`make lint`).

import-linter checks the layers between packages; this checks every module
against every other, inside packages too (STYLE.md: a flow reads one way). It
builds the import graph with grimp (import-linter's own graph library),
counting imports under `if TYPE_CHECKING:` as well, finds its strongly
connected components, and prints one cycle of each: `a -> b -> a`.

Run: `.venv/bin/python scripts/check_import_cycles.py [package]`; exit 1 on a cycle.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import grimp


def components(graph: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    nodes = sorted(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def one_cycle(graph: grimp.ImportGraph, component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module."""
    start = component[0]
    members = set(component)
    for other in sorted(graph.find_modules_directly_imported_by(start) & members):
        path = graph.find_shortest_chain(importer=other, imported=start)
        if path:
            return [start, *path]
    return component


def main(argv: list[str]) -> int:
    package = argv[1] if len(argv) > 1 else "pinnace"
    graph = grimp.build_graph(package, exclude_type_checking_imports=False, cache_dir=None)
    cycles = components(graph, graph.modules)
    for component in cycles:
        print("import cycle: " + " -> ".join(one_cycle(graph, component)))
    if cycles:
        print(f"{len(cycles)} import cycle(s) in {package}", file=sys.stderr)
        return 1
    print(f"no import cycles in {package} ({len(graph.modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
