"""No nested event loop is run from a coroutine, anywhere in the package.

Under qasync, a dialog's ``exec()`` (or Qt's static ``QMessageBox.warning``,
``QFileDialog.getSaveFileName``… or ``QMenu.exec``) inside a coroutine steps other tasks while
the coroutine's own step runs; asyncio refuses with ``RuntimeError: Cannot enter into task …``
and the relay link, the bot and housekeeping stop for good (issue 13: Orders → More → "Save
invoice as PDF" on an unpaid order did this through ``printing.show_document_error`` →
``errors.show_error`` → ``QMessageBox.warning``). Screens ``await ask(...)`` from ui/dialogs.py.

The check reads the source (AST) of every module: an ``async def`` may neither make such a call
nor call — directly or through further calls it can resolve by name (a function of the same
module, ``self.method``, a name or module imported from the package) — a function that does.
The helpers module itself may not make one anywhere."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import minichat_desktop

PACKAGE = Path(minichat_desktop.__file__).parent
ROOT = PACKAGE.parent
HELPERS = "minichat_desktop.ui.dialogs"

# Static getters that run the dialog's exec() inside.
STATIC = {
    "QMessageBox": ("question", "warning", "information", "critical", "about", "aboutQt"),
    "QFileDialog": ("get",),  # getOpenFileName(s), getSaveFileName, getExistingDirectory…
    "QInputDialog": ("get",),
    "QColorDialog": ("getColor",),
    "QFontDialog": ("getFont",),
}

Key = tuple[str, str]  # (module, qualified name of the function)


def nested_loop_call(node: ast.Call) -> str | None:
    """What ``node`` calls, when it runs a nested event loop."""
    f = node.func
    if not isinstance(f, ast.Attribute):
        return None
    if f.attr in ("exec", "exec_"):
        return f"{ast.unparse(f)}()"
    if isinstance(f.value, ast.Name) and f.value.id in STATIC:
        if any(f.attr.startswith(name) for name in STATIC[f.value.id]):
            return f"{f.value.id}.{f.attr}()"
    return None


@dataclass
class Function:
    module: str
    path: str
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    loops: list[tuple[int, str]] = field(default_factory=list)  # (line, call)
    calls: list[tuple[int, Key]] = field(default_factory=list)


class Index:
    """The package's functions, the nested-loop calls each makes and the calls between them
    that can be resolved by name."""

    def __init__(self, sources: Mapping[str, tuple[str, str]]) -> None:
        """``sources``: module name → (path shown, source text)."""
        self.functions: dict[Key, Function] = {}
        trees = {m: ast.parse(text) for m, (_, text) in sources.items()}
        for module, tree in trees.items():
            for name, node in _functions(tree):
                self.functions[module, name] = Function(module, sources[module][0], name, node)
        for module, tree in trees.items():
            imports = _imports(tree, module)
            for (m, _name), fn in self.functions.items():
                if m == module:
                    self._read(fn, imports)

    def _read(self, fn: Function, imports: dict[str, str]) -> None:
        cls = fn.name.rpartition(".")[0]
        for node in ast.walk(fn.node):
            if not isinstance(node, ast.Call):
                continue
            loop = nested_loop_call(node)
            if loop is not None:
                fn.loops.append((node.lineno, loop))
            callee = self._resolve(node.func, fn.module, cls, imports)
            if callee is not None:
                fn.calls.append((node.lineno, callee))

    def _resolve(self, f: ast.expr, module: str, cls: str, imports: dict[str, str]) -> Key | None:
        candidates: list[Key] = []
        if isinstance(f, ast.Name):
            candidates.append((module, f.id))
            target = imports.get(f.id, "")
            if "." in target:
                candidates.append((target.rpartition(".")[0], target.rpartition(".")[2]))
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            owner = f.value.id
            if owner in ("self", "cls") and cls:
                candidates.append((module, f"{cls}.{f.attr}"))
            elif owner in imports:
                candidates.append((imports[owner], f.attr))
        return next((c for c in candidates if c in self.functions), None)

    def reach(self, key: Key, seen: frozenset[Key] = frozenset()) -> list[str] | None:
        """The chain of calls from ``key`` to a nested loop (each "file:line what"), or None."""
        fn = self.functions[key]
        if fn.loops:
            line, call = fn.loops[0]
            return [f"{fn.path}:{line} {call}"]
        for line, callee in fn.calls:
            if callee in seen or callee == key:
                continue
            rest = self.reach(callee, seen | {key})
            if rest is not None:
                return [f"{fn.path}:{line} {callee[1]}()", *rest]
        return None

    def problems(self) -> Iterator[str]:
        for (module, name), fn in self.functions.items():
            is_async = isinstance(fn.node, ast.AsyncFunctionDef)
            if (module == HELPERS and name != "ask") or is_async:
                for line, call in fn.loops:
                    yield f"{fn.path}:{line} {call} in {name}"
            if is_async:
                for line, callee in fn.calls:
                    chain = self.reach(callee)
                    if chain is not None:
                        yield f"{fn.path}:{line} {name} calls " + " → ".join(
                            [f"{callee[1]}()", *chain]
                        )


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and the methods of module-level classes, by qualified name."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def _imports(tree: ast.Module, module: str) -> dict[str, str]:
    """Names bound by imports anywhere in the module (also those inside functions) → the
    dotted thing they name."""
    names: dict[str, str] = {}
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                first = a.name.partition(".")[0]
                names[a.asname or first] = a.name if a.asname else first
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for a in node.names:
                names[a.asname or a.name] = f"{base}.{a.name}"
    return names


def package_sources() -> dict[str, tuple[str, str]]:
    sources = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        sources[module] = (str(rel), path.read_text(encoding="utf-8"))
    return sources


def test_no_coroutine_reaches_a_nested_event_loop() -> None:
    """No async def (async slots included) runs exec() or a static dialog getter, itself or
    through the functions it calls; ui/dialogs.py runs none at all."""
    index = Index(package_sources())
    assert len(index.functions) > 1000  # the whole package was read
    assert list(index.problems()) == []


# Functions that run before the event loop does (a nested loop cannot stop a task there).
BEFORE_THE_LOOP = {
    ("minichat_desktop.ui.app", "run_app"),
    ("minichat_desktop.ui.single_instance", "claim"),  # a second launch refused (main's lifecycle)
}


def test_no_nested_loop_outside_the_start_up() -> None:
    """Plain slots too ask without exec(): a signal can carry a coroutine's call to them where
    no name can be followed. Only the start-up, before the loop runs, may still block."""
    index = Index(package_sources())
    found = [
        f"{fn.path}:{line} {call} in {name}"
        for (module, name), fn in index.functions.items()
        if (module, name) not in BEFORE_THE_LOOP
        for line, call in fn.loops
    ]
    assert found == []


# The path of issue 13 as it was: the orders screen's async slot awaited printing's
# save_document, whose error path showed the "not paid" warning with Qt's static getter.
KNOWN_CASE = {
    "minichat_desktop.ui.errors": (
        "minichat_desktop/ui/errors.py",
        """
from PySide6.QtWidgets import QMessageBox

def show_error(parent, exc):
    title, text, bug = _said(parent, exc)
    if bug:
        QMessageBox.critical(parent, title, text)
    else:
        QMessageBox.warning(parent, title, text)

def _said(parent, exc):
    return "", "", False
""",
    ),
    "minichat_desktop.ui.printing": (
        "minichat_desktop/ui/printing.py",
        """
from minichat_desktop.ui.errors import show_error

def show_document_error(parent, exc):
    show_error(parent, translated(exc))

def translated(exc):
    return exc

async def save_document(parent, ctx, what, order_ids):
    try:
        pdf = await in_background(ctx, what, order_ids)
    except DomainError as exc:
        show_document_error(parent, exc)
        return None
""",
    ),
    "minichat_desktop.ui.orders_screen": (
        "minichat_desktop/ui/orders_screen.py",
        """
from qasync import asyncSlot

class OrdersScreen:
    @asyncSlot()
    async def _print(self, what):
        from minichat_desktop.ui import printing

        await self._printing(lambda: printing.save_document(self, self.ctx, what, [1]))

    async def _printing(self, job):
        await job()
""",
    ),
}


def test_the_unpaid_invoice_warning_of_issue_13_would_have_failed() -> None:
    """The known case is named with its file and line, through every call on the way."""
    problems = list(Index(KNOWN_CASE).problems())
    assert problems == [
        "minichat_desktop/ui/printing.py:14 save_document calls show_document_error() → "
        "minichat_desktop/ui/printing.py:5 show_error() → "
        "minichat_desktop/ui/errors.py:7 QMessageBox.critical()",
        "minichat_desktop/ui/orders_screen.py:9 OrdersScreen._print calls save_document() → "
        "minichat_desktop/ui/printing.py:14 show_document_error() → "
        "minichat_desktop/ui/printing.py:5 show_error() → "
        "minichat_desktop/ui/errors.py:7 QMessageBox.critical()",
    ]


def test_exec_on_anything_in_a_method_a_slot_calls_is_found() -> None:
    """A menu's or dialog's exec() one call away (a sync method) is caught; a plain slot no
    coroutine reaches may keep it; the helpers module may not have one even outside ask."""
    sources = {
        "minichat_desktop.ui.screen": (
            "minichat_desktop/ui/screen.py",
            """
class Screen:
    async def on_more(self):
        self._menu()

    def _menu(self):
        return self.more_menu.exec(self.pos())

    def on_plain_click(self):
        self.box.exec()

    async def on_rename(self):
        name, ok = QInputDialog.getText(self, "t", "name")
""",
        ),
        "minichat_desktop.ui.dialogs": (
            "minichat_desktop/ui/dialogs.py",
            """
def tell(parent, text):
    QMessageBox.information(parent, "", text)
""",
        ),
    }
    assert sorted(Index(sources).problems()) == [
        "minichat_desktop/ui/dialogs.py:3 QMessageBox.information() in tell",
        "minichat_desktop/ui/screen.py:13 QInputDialog.getText() in Screen.on_rename",
        "minichat_desktop/ui/screen.py:4 Screen.on_more calls Screen._menu() → "
        "minichat_desktop/ui/screen.py:7 self.more_menu.exec()",
    ]
