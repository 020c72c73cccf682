"""The layer rules, checked by tools (STYLE.md: a rule that matters is checked).

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and import-linter checks
them over every import, inside functions and under ``TYPE_CHECKING`` too. Imports named by a
string — ``lazy_module("…")`` and ``importlib.import_module("…")``, which the window uses to
load modules after its first paint — are invisible to it, so they are checked here against the
same layers.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_linter_contracts_are_kept() -> None:
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        # this checkout's packages, whichever the virtualenv was installed from
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _layers() -> list[set[str]]:
    """The desktop's layers, top first; each a set of sibling packages."""
    first = CONFIG["importlinter"]["contracts"][0]
    assert first["type"] == "layers"
    return [{p.strip() for p in layer.split("|")} for layer in first["layers"]]


def _package_of(module: str, layers: list[set[str]]) -> tuple[int, str] | None:
    for depth, siblings in enumerate(layers):
        for package in siblings:
            if module == package or module.startswith(package + "."):
                return depth, package
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULE_NAME = re.compile(r"(minichat_desktop|relay)(\.[a-z_][a-z0-9_]*)+")


def _is_module(name: str) -> bool:
    """Whether ``name`` names a module (``relay.token`` is a keyring key, not a module)."""
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def string_imports() -> list[tuple[str, str]]:
    """(module, module it names) for every string in the desktop package that is a dotted
    module name of ours: what ``lazy_module``, ``import_module``, the screen registry and the
    after-first-paint list load. Docstrings are prose, not loads: left out."""
    found = []
    for path in sorted((ROOT / "minichat_desktop").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and MODULE_NAME.fullmatch(node.value)
                and (node.value.startswith("minichat_desktop.") or _is_module(node.value))
            ):
                found.append((_module_name(path), node.value))
    return found


def test_string_imports_are_found() -> None:
    """The check below sees the modules the inbox loads lazily (it would pass vacuously if
    the finder broke)."""
    pairs = string_imports()
    assert ("minichat_desktop.ui.inbox", "minichat_desktop.domain.sales.orders") in pairs
    assert ("minichat_desktop.ui.app", "minichat_desktop.sync.client") in pairs  # warm-up list
    assert ("minichat_desktop.ui.main_window", "minichat_desktop.ui.orders_screen") in pairs
    assert (
        "minichat_desktop.ui.notifications_panel",
        "minichat_desktop.domain.activity.notifications",
    ) in pairs


def test_string_imports_name_real_modules_and_respect_the_layers() -> None:
    layers = _layers()
    bad = []
    for importer, imported in string_imports():
        if imported.startswith("minichat_desktop") and find_spec(imported) is None:
            bad.append(f"{importer} names {imported}, which does not exist")
        if imported.startswith("relay") and imported != "relay.protocol":
            bad.append(f"{importer} loads {imported}: the desktop shares only relay.protocol")
        src, dst = _package_of(importer, layers), _package_of(imported, layers)
        if src is None or dst is None:
            continue
        if dst[0] < src[0] or (dst[0] == src[0] and dst[1] != src[1]):
            bad.append(f"{importer} loads {imported}, a layer it may not import")
    assert bad == []


def test_the_screen_registry_names_real_screens() -> None:
    """The main window builds screens from (module, class) names: each must exist in ui/."""
    from minichat_desktop.ui.main_window import MainWindow

    for name, (module, cls) in MainWindow.SCREENS.items():
        assert module.startswith("minichat_desktop.ui."), name
        spec = find_spec(module)
        assert spec is not None and spec.origin is not None, module
        assert f"class {cls}(" in Path(spec.origin).read_text(encoding="utf-8"), (module, cls)
