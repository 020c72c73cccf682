"""The layer rules, checked by reading imports (STYLE.md: a rule that matters is checked)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(path, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def offenders(folder: str, banned: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, name in imports_of(ROOT / folder)
        if name.startswith(banned) and not name.startswith(allowed)
    ]


@pytest.mark.parametrize(
    ("folder", "banned", "allowed"),
    [
        # The domain is the business: no Qt, no network.
        ("minichat_desktop/domain", ("PySide6", "qasync", "websockets", "httpx", "aiohttp"), ()),
        # ... and it writes no files: documents/ and formats/ turn its data into PDFs and sheets.
        ("minichat_desktop/domain", ("minichat_desktop.documents", "minichat_desktop.formats"), ()),
        # Screens call domain use cases through ops; they never touch SQLAlchemy.
        ("minichat_desktop/ui", ("sqlalchemy",), ()),
        # The sync layer has no widgets (one bridge module turns events into signals).
        ("minichat_desktop/sync", ("PySide6.QtWidgets",), ()),
        # Documents are drawn from plain data: no Qt, no SQL (the domain gathers the data).
        ("minichat_desktop/documents", ("PySide6", "sqlalchemy", "httpx", "websockets"), ()),
        # The AI providers talk HTTP; they never draw.
        ("minichat_desktop/ai", ("PySide6",), ()),
        # The relay shares only the protocol with the desktop.
        ("relay", ("minichat_desktop",), ()),
        # The desktop uses only the protocol from the relay package.
        ("minichat_desktop", ("relay",), ("relay.protocol",)),
    ],
)
def test_layer_rule(folder: str, banned: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    assert offenders(folder, banned, allowed) == []


def test_only_the_bridge_uses_qt_in_sync() -> None:
    users = {
        path.name
        for path, name in imports_of(ROOT / "minichat_desktop/sync")
        if name.startswith("PySide6")
    }
    assert users == {"qt_bridge.py"}
