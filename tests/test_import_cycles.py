"""The import graph of ``audit/`` has no cycle (read from the source with :mod:`ast`).

Module-level imports (those under ``if TYPE_CHECKING:`` included: a type checker follows
them) must form a graph without cycles. Imports inside functions are the lazy-import pattern
(a heavy or optional dependency loaded when needed); the cycles they close are listed in
:data:`LAZY_CYCLES`, so that a new one is a decision, not an accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "audit"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module of ``audit`` that an imported name lives in (a module, else its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[tuple[str, bool]]:
    """``(imported module, lazy)`` for every import of an ``audit`` module in ``path``;
    lazy: inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, lazy: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if (target := _target(alias.name)) is not None:
                        yield target, lazy
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    target = _target(f"{base}.{alias.name}") if f"{base}.{alias.name}" in \
                        MODULES else _target(base)
                    if target is not None:
                        yield target, lazy
            yield from visit(child, inner)

    yield from visit(tree, False)


def _graph(*, lazy: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, is_lazy in _imports(module, path):
            if target != module and (lazy or not is_lazy):
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_every_module() -> None:
    graph = _graph(lazy=False)
    assert "audit.checks.arrays" in graph["audit.checks"]
    assert "audit.checks.digits" in graph["audit.checks.arrays"]
    assert len(graph) == len(MODULES) > 100


def test_no_import_cycle_at_module_level() -> None:
    assert cycles(_graph(lazy=False)) == []


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for w in graph[todo.pop()]:
            if w == goal:
                return True
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return False


def lazy_cycle_edges() -> list[tuple[str, str]]:
    """Imports inside functions that close a cycle: ``(importer, imported)``."""
    static, full = _graph(lazy=False), _graph(lazy=True)
    return sorted((u, v) for u in full for v in full[u] - static[u] if _reaches(full, v, u))


#: Imports inside functions that close a cycle, each a decision (why, in the comment).
LAZY_CYCLE_EDGES: list[tuple[str, str]] = [
    # results draw themselves (``CheckResult.plot``), loading matplotlib only then
    ("audit.checks.result", "audit.figures.results"),
    # the registry imports every family module of the package when first asked
    ("audit.checks.registry", "audit.checks"),
    # adjust() without calibration flags reads them from the registry, only then (the
    # claims' checks adjust their own results and must not load the battery)
    ("audit.checks.multiple", "audit.checks.registry"),
]


def test_lazy_imports_close_only_the_listed_cycles() -> None:
    found = lazy_cycle_edges()
    if found != sorted(LAZY_CYCLE_EDGES):
        pytest.fail("imports inside functions that close a cycle changed:\n" +
                    "\n".join(f"{u} -> {v}" for u, v in found))


def private_imports() -> list[tuple[str, str]]:
    """``(importer, imported)`` where a module imports an underscore module of a package it
    is not part of (``audit.report.context`` importing ``audit.checks._options``, say)."""
    found = []
    for module, path in MODULES.items():
        for target, _lazy in _imports(module, path):
            parts = target.split(".")
            for depth, part in enumerate(parts):
                owner = ".".join(parts[:depth])
                if part.startswith("_") and not part.startswith("__") and \
                        not (module == owner or module.startswith(owner + ".")):
                    found.append((module, target))
    return sorted(set(found))


def test_no_module_imports_another_packages_private_module() -> None:
    """Underscore modules are private to their package: the public face exports what others
    need (``audit.checks.BatteryOptions``, ``audit.checks.DrawCache``)."""
    assert private_imports() == []
