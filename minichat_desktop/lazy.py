"""Modules imported when first used, for the modules the window's first paint loads: their
heavy neighbours (SQLAlchemy and the models, the relay protocol) load after the window shows.

    if TYPE_CHECKING:
        from minichat_desktop.domain.conversations import conversations as convs
    else:
        convs = lazy_module("minichat_desktop.domain.conversations.conversations")

The first attribute read imports the module (under Python's import lock, so any thread may
be first); later reads cost about a microsecond more than a plain module attribute.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    __slots__ = ("__name",)

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        # import_module, not sys.modules: it waits for a module another thread is importing.
        return getattr(importlib.import_module(self.__name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it on first use."""
    return LazyModule(name)
