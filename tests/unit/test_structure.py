"""Size limits on the code, checked by reading it (issue 12: no function over 120 lines)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("minichat_desktop", "relay")
MAX_FUNCTION_LINES = 120

Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, Function]]:
    """Every function and method in ``tree``, nested ones included, with its qualified name
    (``Class.method``, ``outer.<locals>.inner``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from functions(node, f"{name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def length(node: Function) -> int:
    """Lines from the ``def`` (decorators not counted) to the function's last line."""
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def too_long(limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``path:line name (N lines)`` for each function in :data:`PACKAGES` longer than
    ``limit`` lines (:func:`length`)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name, node in functions(tree):
                lines = length(node)
                if lines > limit:
                    where = path.relative_to(ROOT).as_posix()
                    found.append(f"{where}:{node.lineno} {name} ({lines} lines)")
    return found


def test_no_function_is_longer_than_120_lines() -> None:
    """No function or method in the desktop or the relay is over 120 lines."""
    found = too_long()
    assert found == [], f"{len(found)} functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(
        found
    )


def test_the_walk_counts_nested_functions_and_methods() -> None:
    """The walk finds functions inside classes and functions, named by where they are."""
    source = (
        "class A:\n"
        "    def m(self):\n"
        "        def inner():\n"
        "            pass\n"
        "async def f():\n"
        "    pass\n"
    )
    found = [(name, length(node)) for name, node in functions(ast.parse(source))]
    assert found == [("A.m", 3), ("A.m.<locals>.inner", 2), ("f", 2)]
