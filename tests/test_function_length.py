"""No function in ``audit/`` is longer than :data:`MAX_LINES` lines of code, except the ones
listed in :data:`ALLOWED` with the reason they still are.

Lines are counted from ``def`` to the function's last line, without its docstring (a
numpydoc docstring documents; it is not what a reader has to hold in mind). A function over
the limit is split where a reader would name the parts; an allowed one that has been split
must leave the list (the test says so).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "audit"
MAX_LINES = 80

#: ``path:qualified name`` -> why it is still longer.
ALLOWED: dict[str, str] = {
    "audit/ingest/core.py:_canonicalise": "the ingest is reworked by the ingest-speed issue "
                                          "(14) this round; split after it lands",
    "audit/ingest/core.py:read_sheets": "likewise (issue 14, ingest)",
}


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the end, less the docstring's."""
    assert node.end_lineno is not None
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        assert first.end_lineno is not None
        lines -= first.end_lineno - first.lineno + 1
    return lines


def long_functions(limit: int = MAX_LINES) -> dict[str, int]:
    """``path:qualified name`` -> code lines, for every function of ``audit/`` over
    ``limit``."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                if (n := code_lines(child)) > limit:
                    found[f"{path}:{name}"] = n
                visit(child, path, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, path, f"{prefix}{child.name}.")

    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(PACKAGE.parent).as_posix()
        visit(ast.parse(file.read_text(encoding="utf-8")), path, "")
    return found


def test_the_counter_leaves_the_docstring_out() -> None:
    tree = ast.parse('def f():\n    """One\n    two."""\n    x = 1\n    return x\n')
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert code_lines(function) == 3


def test_no_new_function_over_the_limit() -> None:
    new = {name: n for name, n in long_functions().items() if name not in ALLOWED}
    assert not new, "split these functions (or allow them with a reason): " + ", ".join(
        f"{name} ({n} lines)" for name, n in sorted(new.items()))


def test_the_allowed_list_is_current() -> None:
    stale = sorted(set(ALLOWED) - set(long_functions()))
    assert not stale, f"no longer over {MAX_LINES} lines, remove from ALLOWED: {stale}"
