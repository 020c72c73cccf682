"""Runs domain use cases off the UI thread and tells screens what changed.

A screen never opens a session or writes SQL: it hands a use case (a function from
``minichat_desktop.app`` or ``minichat_desktop.domain`` whose first argument is a session) to
:meth:`Ops.read` or :meth:`Ops.write` and awaits the plain result. After a write,
:attr:`Ops.changed` carries the topics of what it changed (``"catalog"``, ``"conversations"``…,
from the tables the unit of work wrote: :mod:`minichat_desktop.app.changes`), so only the
screens showing those refresh; the caller names nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from minichat_desktop.app.changes import topics_of
from minichat_desktop.storage.db import CHANGED, Database, Recording

T = TypeVar("T")


class Ops(QObject):
    changed = Signal(set)  # set[str] of topics

    def __init__(self, db: Database, actor: str = "owner") -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ops")

    def _read(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        with self.db.read() as session:
            return fn(session, *args, **kwargs)

    def _write(
        self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[T, frozenset[str]]:
        with self.db.write() as session:
            result = fn(session, *args, **kwargs)
        return result, session.info.get(CHANGED, frozenset())

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read, fn, args, kwargs)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        result, tables = await loop.run_in_executor(self._pool, self._write, fn, args, kwargs)
        self._tell(tables)
        return result

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(unit_of_work, *args)`` off the UI thread, for a use case that opens
        several units of work itself (a broadcast queued batch by batch); afterwards
        :attr:`changed` carries what all of them changed."""
        uow = Recording(self.db)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, lambda: fn(uow, *args, **kwargs))
        finally:
            self._tell(frozenset(uow.changed))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args)`` off the UI thread with no unit of work of the shop's database:
        for work on something of its own (the flow simulator's scratch copy) or none (a
        network call that may wait seconds: Help → About's update check). Nothing is
        announced on :attr:`changed`: the shop's data did not change."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    def read_now(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Synchronous read, for the first paint of a screen (keep these small)."""
        return self._read(fn, args, kwargs)

    def peek(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Synchronous read on a plain ``sqlite3`` connection (``fn(conn, …)``, from
        ``domain.inbox_reads``): what the window paints before SQLAlchemy is loaded."""
        with self.db.peek() as conn:
            return fn(conn, *args, **kwargs)

    def write_now(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Synchronous write for tiny changes made in answer to a click (a flag, a mark)."""
        result, tables = self._write(fn, args, kwargs)
        self._tell(tables)
        return result

    def _tell(self, tables: frozenset[str]) -> None:
        topics = set(topics_of(tables))
        if topics:
            self.changed.emit(topics)

    def shutdown(self) -> None:
        """Finish the work under way (a write must not be cut off); drop reads not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)
