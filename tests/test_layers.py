"""The house's layers: every module of `schemas`, `tasks` and `flows` imports only its own layer and those below
it (the order of `tasks/__init__.py`), and no two modules import each other, directly or round a circle.

Imports are read from the source with `ast`, wherever they stand (a function's lazy import counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. A module belongs to the first entry its name starts with.
LAYERS = ["schemas", "tasks.lake", "tasks.stories", "tasks.records", "tasks.health", "tasks.sources",
          "tasks.entities", "tasks.extraction", "tasks.query", "tasks.running", "flows"]


def modules() -> dict[str, Path]:
    found = {}
    for top in ("schemas", "tasks", "flows"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """The project's modules that `path` imports (a `from package import module` names the module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in known else node.module for n in names]
        else:
            continue
        out |= {n for n in names if n in known}
    return out


def layer_of(module: str) -> int:
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return index
    if module == "tasks":
        return 0
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS and to tasks/__init__.py")


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph, as the modules round it, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


GRAPH = {name: imports(path, set(modules())) - {name} for name, path in modules().items()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_module_imports_only_its_layer_and_those_below(module):
    upward = sorted(target for target in GRAPH[module] if layer_of(target) > layer_of(module))
    assert not upward, f"{module} ({LAYERS[layer_of(module)]}) imports a layer above it: {upward}"


def test_no_import_circle():
    found = circle(GRAPH)
    assert found is None, "import circle: " + " -> ".join(found)


def test_circle_finder_finds_a_circle_and_accepts_a_tree():
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_every_module_says_what_it_is_for():
    silent = [name for name, path in modules().items() if not ast.get_docstring(ast.parse(path.read_text()))]
    assert not silent, f"modules without a docstring: {silent}"
