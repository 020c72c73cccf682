"""Types for the part of qasync the desktop uses: qasync 0.28 ships neither stubs nor a
py.typed marker, and without these every ``@asyncSlot()`` method would be untyped."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from PySide6.QtCore import QCoreApplication

_P = ParamSpec("_P")
_T = TypeVar("_T")

class QEventLoop(asyncio.BaseEventLoop):
    def __init__(
        self,
        app: QCoreApplication | None = None,
        set_running_loop: bool = False,
        already_running: bool = False,
    ) -> None: ...

# The wrapper schedules the coroutine with asyncio.ensure_future and returns that task.
def asyncSlot(
    *types: type | str, name: str | None = ..., result: type | str | None = ...
) -> Callable[[Callable[_P, Coroutine[Any, Any, _T]]], Callable[_P, asyncio.Task[_T]]]: ...
