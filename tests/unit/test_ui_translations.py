"""Every English string the UI shows through tr()/t() has a Thai translation (the UI is Thai
by default: a missing entry would show English to a Thai shop owner)."""

from __future__ import annotations

import ast
from pathlib import Path

from minichat_desktop.ui.th import THAI

UI = Path(__file__).resolve().parents[2] / "minichat_desktop" / "ui"


def ui_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(UI.rglob("*.py")):
        if path.parent.name == "th":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name in ("tr", "t") and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, f"{path.name}:{node.lineno}")
    return found


def test_every_ui_string_has_thai() -> None:
    missing = {text: where for text, where in ui_strings().items() if text not in THAI}
    assert missing == {}


def test_translations_keep_their_placeholders() -> None:
    import re

    field = re.compile(r"{\w*}")
    wrong = {
        en: th for en, th in THAI.items() if sorted(field.findall(en)) != sorted(field.findall(th))
    }
    assert wrong == {}


def test_screens_agree_on_the_thai_of_a_shared_string() -> None:
    """Screens' Thai modules are merged into one dictionary: two screens giving one English
    string different Thai would show one of them at random (whichever module loads last)."""
    import importlib
    import pkgutil

    import minichat_desktop.ui.th as th

    first: dict[str, tuple[str, str]] = {}
    clashes = []
    for info in pkgutil.iter_modules(th.__path__):
        module = importlib.import_module(f"{th.__name__}.{info.name}")
        for english, thai in getattr(module, "TEXTS", {}).items():
            seen = first.setdefault(english, (info.name, thai))
            if seen[1] != thai:
                clashes.append(f"{english!r}: {seen} vs {(info.name, thai)}")
    assert clashes == []
