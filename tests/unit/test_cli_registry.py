"""The CLI's one registry: every command module is listed in ``commands.REGISTRY``, none of them
imports ``minichat_desktop.cli`` (no cycle), and ``cli.py`` defines no command itself."""

from __future__ import annotations

import argparse
import ast
import pkgutil
from pathlib import Path

import minichat_desktop.cli as cli
from minichat_desktop import commands

COMMANDS_DIR = Path(commands.__file__).parent
CLI = ["minichat_desktop", "cli"]
NOT_COMMANDS = {"common", "app"}  # shared helpers; the app is the default, not a sub-command


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_every_command_module_is_in_the_registry() -> None:
    """A module added to commands/ without a line in REGISTRY would silently add nothing."""
    modules = {i.name for i in pkgutil.iter_modules([str(COMMANDS_DIR)])} - NOT_COMMANDS
    registered = {register.__module__.rsplit(".", 1)[-1] for register in commands.REGISTRY}
    assert registered == modules
    assert len(commands.REGISTRY) == len(registered)


def test_command_modules_do_not_import_the_cli() -> None:
    """cli imports commands; the other way round would be a cycle."""
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m.split(".")[:2] == CLI)
        for path in sorted(COMMANDS_DIR.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_cli_module_defines_no_command() -> None:
    """cli.py builds the parser, runs and maps errors; the commands live in commands/."""
    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["build_parser", "_log_file", "main"]


def test_top_level_commands_in_help_order() -> None:
    """The registry's order is the order ``minichat --help`` lists the commands in."""
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == [
        "demo-data",
        "db",
        "backup",
        "restore",
        "products",
        "orders",
        "promptpay",
        "bot",
        "customers",
        "broadcasts",
        "invoice",
        "credit-note",
        "receipt",
        "label",
        "flows",
        "order-messages",
        "report",
        "slip-check",
    ]
