"""One design system (issue 16): screens set no style sheets and write no colours of their own.

ui/theme.py holds the palette and the one style sheet; every other module under
minichat_desktop/ui/ marks its widgets with theme's pieces (``theme.role``, ``theme.tone``,
``theme.card``…) and takes colours for what it paints from theme's constants. Read by AST, so
a comment or docstring may still talk about a colour.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "minichat_desktop" / "ui"
THEME = UI / "theme.py"
HEX_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})(?![0-9A-Za-z_])")

# (file under ui/, the literal) → why it may stay. Keep it short; each needs its reason.
HEX_ALLOWED = {
    ("settings_widget.py", "#06C755"): (
        "an example in the message that tells the owner how to type a colour, not a colour"
    ),
    ("th/settings.py", "#06C755"): "the same message in Thai",
}
STYLE_SHEET_ALLOWED: dict[str, str] = {}
# Filled marks that stand for a brand or a channel (the app's logo, LINE, the web widget), not
# line icons.
BRAND_MARKS = {"minichat", "line", "widget", "messenger", "instagram"}


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (they may name colours in prose)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def screen_modules() -> list[Path]:
    return [p for p in sorted(UI.rglob("*.py")) if p != THEME]


def problems_in(path: Path) -> list[str]:
    """``file:line what`` for each style sheet set and each hex colour written in ``path``."""
    return problems_in_source(path.relative_to(UI).as_posix(), path.read_text(encoding="utf-8"))


def problems_in_source(where: str, source: str) -> list[str]:
    """:func:`problems_in` for the text of a module named ``where`` (relative to ui/)."""
    tree = ast.parse(source, filename=where)
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setStyleSheet"
            and where not in STYLE_SHEET_ALLOWED
        ):
            found.append(f"{where}:{node.lineno} setStyleSheet (use theme's pieces)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            for colour in HEX_COLOUR.findall(node.value):
                if (where, colour) not in HEX_ALLOWED:
                    found.append(f"{where}:{node.lineno} {colour} (use a theme colour)")
    return sorted(found, key=lambda line: int(line.split(":")[1].split()[0]))


def test_screens_set_no_style_sheets_and_write_no_colours() -> None:
    """Outside theme.py no module under ui/ calls setStyleSheet or writes a #RRGGBB colour."""
    found = [p for path in screen_modules() for p in problems_in(path)]
    assert found == [], f"{len(found)} styles outside ui/theme.py:\n" + "\n".join(found)


def test_the_check_finds_a_style_sheet_and_a_colour() -> None:
    """The walk sees a setStyleSheet call and a colour in an f-string, and not a colour in a
    docstring nor an object name such as ``#Card``."""
    sample = (
        '"""The brand is #0E8F6E."""\n'
        "def f(label, c):\n"
        '    label.setStyleSheet(f"color: {c}; background: #ffffff;")\n'
        '    return "#ABC", "#Card"\n'
    )
    found = problems_in_source("sample.py", sample)
    assert found == [
        "sample.py:3 setStyleSheet (use theme's pieces)",
        "sample.py:3 #ffffff (use a theme colour)",
        "sample.py:4 #ABC (use a theme colour)",
    ]


def test_every_allowed_exception_is_still_there() -> None:
    """An allowlist entry whose literal is gone is removed, so the list stays honest."""
    for file, colour in HEX_ALLOWED:
        assert colour in (UI / file).read_text(encoding="utf-8"), (file, colour)


def test_every_icon_a_screen_names_is_in_our_set() -> None:
    """Each ``theme.icon("name")`` written under ui/, and each icon theme picks for a tone or a
    message box, is an SVG in resources/icons drawn as the set is (24×24, round strokes)."""
    from minichat_desktop.ui import theme
    from minichat_desktop.ui.chat_models import STATE_ICONS

    named = set(theme.TONE_ICONS.values()) | {name for name, _c in theme.MESSAGE_ICONS.values()}
    named |= set(STATE_ICONS.values()) | set(theme.CHANNEL_ICONS.values())
    where_named = {"icon": 0, "icon_pixmap": 0, "icon_button": 1}  # the name's argument
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            at = where_named.get(called)
            if at is not None and len(node.args) > at:
                arg = node.args[at]
                if isinstance(arg, ast.Constant):
                    named.add(str(arg.value))
    assert {"check", "close", "alert", "info", "question", "chevron-up"} <= named
    for name in sorted(named):
        svg = theme.ICONS / f"{name}.svg"
        assert svg.exists(), f"{name}: no resources/icons/{name}.svg"
        text = svg.read_text(encoding="utf-8")
        if name not in BRAND_MARKS:
            assert 'viewBox="0 0 24 24"' in text and 'stroke-linecap="round"' in text, name
