"""Qt tests: real widgets offscreen, on a real database, inside one qasync event loop (the
same kind of loop the app runs), so ``await asyncio.sleep`` in a test lets Qt and the app's
async slots run."""

from __future__ import annotations

import asyncio
import asyncio.runners
import gc
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from minichat_desktop.storage.db import Database
from minichat_desktop.ui import i18n
from minichat_desktop.ui.app import build_context
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.gc_thread import GuiThreadCollector


def _cancel_all_tasks_bounded(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio's own, but the wait for the cancelled tasks survives the loop stopping early and
    is bounded. A CI run once stopped it at once: the loop ended before a task cancelled at
    teardown had run a single step (a stop left over from the test's own run, as far as we can
    tell), the task was destroyed pending and failed the next test. Stopped early, the wait
    starts the loop again; a task that still has not ended after ``TEARDOWN_WAIT`` s (it
    ignores its cancellation) is named on stderr and kept, so that it cannot fail a later test
    when it is freed. Every other outcome is as asyncio's."""
    to_cancel = asyncio.all_tasks(loop)
    if not to_cancel:
        return
    for task in to_cancel:
        task.cancel()
    ended = asyncio.gather(*to_cancel, return_exceptions=True)
    deadline = time.monotonic() + TEARDOWN_WAIT
    early = 0
    while not ended.done():
        left = deadline - time.monotonic()
        if left <= 0:
            stuck = [t for t in to_cancel if not t.done()]
            sys.stderr.write(f"tasks that ignored cancellation for {TEARDOWN_WAIT} s: {stuck}\n")
            _STUCK.extend(stuck)
            return
        timer = loop.call_later(left, loop.stop)
        try:
            loop.run_until_complete(ended)
        except RuntimeError:  # the loop stopped before they ended (this wait's timer or not)
            early += 1
        finally:
            timer.cancel()
    if early:
        sys.stderr.write(f"the loop stopped {early} time(s) before the cancelled tasks ended\n")
    for task in to_cancel:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during test teardown",
                    "exception": task.exception(),
                    "task": task,
                }
            )


_STUCK: list[asyncio.Task[object]] = []
TEARDOWN_WAIT = 15.0
asyncio.runners._cancel_all_tasks = _cancel_all_tasks_bounded  # type: ignore[attr-defined]


def _qt_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(
    config: object, item: object
) -> Mapping[str, Callable[[], object]]:
    return {"qasync": _qt_loop}


@pytest.fixture(scope="package", autouse=True)
def _collect_on_gui_thread(qapp: QApplication) -> Iterator[None]:
    """As in the app: Python's cyclic GC runs on the GUI thread only (a widget freed on a
    database worker thread crashes Qt later)."""
    collector = GuiThreadCollector(qapp)
    yield
    collector.stop()


@pytest.fixture
def make_ctx(
    qapp: QApplication, new_db: Callable[[], Database]
) -> Iterator[Callable[..., AppContext]]:
    """Builds an AppContext on a fresh database (Thai UI unless ``lang`` says otherwise)."""
    from minichat_desktop.ui import theme

    theme.apply(qapp)
    # Closing a test's only window must not end the event loop the test runs in.
    qapp.setQuitOnLastWindowClosed(False)
    made: list[AppContext] = []

    def make(db: Database | None = None, lang: str = "th") -> AppContext:
        database = db or new_db()
        ctx = build_context(Path(database.path).parent, database)
        i18n.set_language(lang)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.ops.shutdown()
    gc.collect()  # here, on the GUI thread
    i18n.set_language("th")


@pytest.fixture(autouse=True)
def _no_box_left_open() -> Iterator[None]:
    """A test closes the message boxes it opened: one left showing would stand in front of the
    next test's window (and a person's)."""
    yield
    from PySide6.QtWidgets import QApplication, QMessageBox

    left = [
        w.text()
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert left == [], f"message boxes left open: {left}"


@pytest.fixture
def dialogs(qapp: QApplication) -> Iterator[list[tuple[str, str]]]:
    """The warning and crash boxes shown, as (title, text), each closed as a person would;
    questions are answered Yes. (A test module's own ``dialogs`` wins over this one.)"""
    from support.boxes import Boxes

    boxes = Boxes().start()
    yield boxes.shown
    boxes.stop()
