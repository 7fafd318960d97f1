"""No two modules of a package import each other, however indirectly, even from inside a
function: a function-local import hides a cycle from the reader and from start-up alike,
until the day a module-level one closes it."""
from __future__ import annotations

import pytest

from tests.support.imports import imported, modules


def imports(package: str) -> dict[str, set[str]]:
    """Each module of the package and the package's modules it imports anywhere in its body."""
    paths = modules(package)
    return {name: {target for target in imported(path) if target in paths and target != name}
            for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_the_check_finds_a_cycle_closed_inside_a_function():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_holds_imports_made_inside_a_function():
    assert "kiosk.remote" in imports("kiosk")["kiosk.terminal"]  # open_hall imports it for a remote hall


# hall/ includes its server (hall/api) and its pages (hall/web).
@pytest.mark.parametrize("package", ["hall", "devices", "screens", "kiosk"])
def test_no_import_cycle(package):
    assert cycles(imports(package)) == []
