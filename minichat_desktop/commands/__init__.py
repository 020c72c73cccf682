"""More ``minichat`` commands, one module per area (documents, bot, reports…), so areas can be
written side by side. Each module defines ``register(add, sub)``: ``add(name, func, help,
parent=sub)`` adds a command as in :func:`minichat_desktop.cli.build_parser`. Modules keep heavy
imports inside their command functions: the parser is built on every run, the app's included.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


def register_all(add: Callable[..., Any], sub: Any) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(add, sub)
