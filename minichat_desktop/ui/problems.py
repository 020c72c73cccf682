"""Errors nobody caught, and background work that died: logged with the traceback, told to the
owner without stopping them (a notice in the status bar, never a modal box), and the app keeps
running.

- :class:`CrashHooks` sets ``sys.excepthook`` (plain Qt slots, and async slots: qasync hands
  their errors there), ``threading.excepthook`` and the asyncio loop's exception handler.
- :class:`ProblemNotice` is the status bar's notice: what happened and the log folder's path;
  clicking it opens the folder.
- :func:`job_title` names the supervised jobs (``minichat_desktop.sync.supervisor``) for a
  person.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QEvent, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import QToolButton, QWidget

from minichat_desktop.sync.supervisor import Crash
from minichat_desktop.ui import theme
from minichat_desktop.ui.errors import logging_path
from minichat_desktop.ui.i18n import t

log = logging.getLogger(__name__)


def job_title(job: str) -> str:
    """A supervised job's name (English, as logged) for the owner, in the UI's language."""
    titles = {
        "relay link": t("The relay link"),
        "bot flow timers": t("The bot's flow timers"),
        "housekeeping": t("Scheduled broadcasts and customer segments"),
        "analytics purge": t("Clearing old analytics"),
        "thai word list": t("Loading the Thai word list"),
    }
    return titles.get(job, job)


def log_folder(fallback: Path) -> Path:
    """The folder of the app's log file (``fallback`` when no file log is set up)."""
    path = logging_path()
    return Path(path).parent if path else fallback


class ProblemNotice(QToolButton):
    """The status bar's notice of a problem; hidden until there is one. The latest problem
    replaces the one before (a crash loop shows one notice, not a pile). Clicking opens the
    log folder and hides the notice."""

    def __init__(self, fallback_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fallback = fallback_folder
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIcon(QIcon(theme.dot(theme.RED)))
        self.clicked.connect(self.open_log_folder)
        self._seen = False  # a problem to show
        self._crash: Crash | None = None  # which job died; None for an uncaught error
        self.hide()

    @property
    def folder(self) -> Path:
        return log_folder(self._fallback)

    @Slot()
    def show_crash(self) -> None:
        """Something nobody caught went wrong; the app goes on."""
        self._seen, self._crash = True, None
        self._render()

    def show_job_crash(self, crash: Crash) -> None:
        """A supervised job died and starts again in ``crash.restart_in`` seconds."""
        self._seen, self._crash = True, crash
        self._render()

    def _render(self) -> None:
        if not self._seen:
            return
        crash, folder = self._crash, str(self.folder)
        if crash is None:
            text = self.tr(
                "MiniChat hit a problem and kept running. Details are in the log folder: {folder}"
            ).format(folder=folder)
        else:
            text = self.tr(
                "{job} stopped after a problem and starts again in {seconds} s. "
                "Details are in the log folder: {folder}"
            ).format(
                job=job_title(crash.job), seconds=max(1, round(crash.restart_in)), folder=folder
            )
        self.setText(text)
        self.setToolTip(self.tr("Click to open the log folder"))
        self.show()

    @Slot()
    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
        self.hide()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and self.isVisible():
            self._render()
        super().changeEvent(event)


class CrashHooks:
    """Routes what nobody caught to the log (with the traceback) and to ``tell`` (on the event
    loop's thread), and lets the app keep running. :meth:`uninstall` puts back the hooks that
    were there before (tests)."""

    def __init__(self, tell: Callable[[], None]) -> None:
        self._tell = tell
        self._loop: asyncio.AbstractEventLoop | None = None
        self._saved: tuple[Any, Any, Any] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._saved = (sys.excepthook, threading.excepthook, loop.get_exception_handler())
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook
        loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        if self._saved is None or self._loop is None:
            return
        sys.excepthook, threading.excepthook, handler = self._saved
        self._loop.set_exception_handler(handler)
        self._saved = None

    def _excepthook(
        self,
        etype: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(etype, KeyboardInterrupt | SystemExit) and self._saved is not None:
            self._saved[0](etype, value, tb)  # not a bug: the default behaviour
            return
        log.error("uncaught error: %s", etype.__name__, exc_info=(etype, value, tb))
        self._told()

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error(
            "uncaught error in thread %s: %s",
            name,
            args.exc_type.__name__,
            exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        )
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._told)  # widgets only on the GUI thread

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message", "error in the event loop")
        if isinstance(exc, BaseException):
            log.error("event loop: %s", message, exc_info=exc)
            self._told()
        else:  # e.g. an unclosed resource: worth a line, not a notice
            log.error("event loop: %s (%s)", message, sorted(context))

    def _told(self) -> None:
        try:
            self._tell()
        except Exception:
            log.exception("the crash notice could not be shown")
