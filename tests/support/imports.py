"""What the modules of a package import, read from their source (every import in a module's
body: module level, inside a function, under TYPE_CHECKING), for the tests of the packages'
layers and their import cycles."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def modules(package: str) -> dict[str, Path]:
    """The package's modules by dotted name."""
    paths = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return paths


def imported(path: Path) -> set[str]:
    """The names a module imports anywhere in its body: each module, and each name taken
    from one (which may itself be a module) prefixed with its module's."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found
