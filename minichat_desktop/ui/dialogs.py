"""Asking the person from async code, without a nested event loop.

A dialog's ``exec()`` (and Qt's static ``QMessageBox.warning``, ``QFileDialog.getSaveFileName``,
``QColorDialog.getColor``… which call it, and ``QMenu.exec``) runs a nested event loop. Inside a
coroutine on the qasync loop that loop steps other tasks while the coroutine's own step is
still running; asyncio refuses (``RuntimeError: Cannot enter into task … while another task …
is being executed``) and every other task — the relay link, the bot, housekeeping — stops for
good. So the app has one way to ask: open the dialog without blocking (``open()``/``popup()``)
and await a future its signal settles. :func:`ask` is that way; the helpers below build the
usual questions on it. ``tests/unit/test_no_nested_loops.py`` keeps ``exec`` out of coroutines.

While a dialog is open, ``owner.dialog`` is the dialog (screens and tests look there); a box
that only tells (:func:`inform`) is kept on ``parent.message``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QColorDialog, QDialog, QFileDialog, QMenu, QMessageBox, QWidget

from minichat_desktop.ui import theme

# Boxes with no parent widget: Python must keep them alive until they are closed.
_unowned: set[QMessageBox] = set()


async def ask(dialog: QDialog, owner: Any = None) -> int:
    """Show ``dialog`` window-modal and wait until it closes; returns its result (truthy when
    accepted; for a message box, the standard button pressed). While it is open,
    ``owner.dialog`` is the dialog (screens and tests look there); the dialog is deleted
    after (read what it holds before awaiting anything else)."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def settle(result: int) -> None:
        if not future.done():
            future.set_result(result)

    def show() -> None:
        # Opened from a plain callback, not from this coroutine's step: where open() itself
        # blocks (Windows' native print dialog runs PrintDlgEx modally inside it), the loop it
        # nests then stops no task.
        if future.done() or not shiboken6.isValid(dialog):
            return
        try:
            # QDialog's own open(): QPrintDialog, QFileDialog… overload open(receiver, member)
            # and PySide6 then refuses a call without arguments.
            QDialog.open(dialog)
        except Exception as exc:  # the awaiting coroutine gets it, never a silent hang
            future.set_exception(exc)

    dialog.finished.connect(settle)
    if owner is not None:
        owner.dialog = dialog
    asyncio.get_running_loop().call_soon(show)
    try:
        return await future
    finally:
        if owner is not None:
            owner.dialog = None
        dialog.deleteLater()


def inform(parent: Any, title: str, text: str, *, warn: bool = False) -> QMessageBox:
    """A plain-text message box opened without blocking (deleted when closed); kept on
    ``parent.message`` while it is open, so screens and tests can find it."""
    box = QMessageBox(parent)
    theme.message_icon(box, "warn" if warn else "info")
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.finished.connect(box.deleteLater)
    if parent is not None:
        parent.message = box

        def forget(_result: int) -> None:
            if shiboken6.isValid(parent) and getattr(parent, "message", None) is box:
                parent.message = None

        box.finished.connect(forget)
    else:
        _unowned.add(box)
        box.finished.connect(lambda _result: _unowned.discard(box))
    box.open()
    return box


async def confirm(
    parent: QWidget | None, title: str, text: str, *, yes: str = "", no: str = ""
) -> bool:
    """Ask a yes/no question (No is the default) and wait for the answer; ``yes``/``no``
    rename the buttons (e.g. "Close shift")."""
    box = QMessageBox(parent)
    theme.message_icon(box, "question")
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    if yes:
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
    if no:
        box.button(QMessageBox.StandardButton.No).setText(no)
    return await ask(box, parent) == QMessageBox.StandardButton.Yes.value


async def choose_file_to_open(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> str:
    """The existing file the person picks, or ``""`` when they cancel."""
    files, _ = await _choose(
        parent, caption, directory, filter, QFileDialog.FileMode.ExistingFile, save=False
    )
    return files[0] if files else ""


async def choose_files_to_open(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> list[str]:
    """The existing files the person picks (empty when they cancel)."""
    files, _ = await _choose(
        parent, caption, directory, filter, QFileDialog.FileMode.ExistingFiles, save=False
    )
    return files


async def choose_file_to_save(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> tuple[str, str]:
    """Where to save (``directory`` may name the suggested file) and the file type chosen,
    or ``("", "")`` when they cancel. The path is as typed: callers add the suffix."""
    files, chosen = await _choose(
        parent, caption, directory, filter, QFileDialog.FileMode.AnyFile, save=True
    )
    return (files[0], chosen) if files else ("", "")


async def choose_folder(parent: QWidget | None, caption: str, directory: str = "") -> str:
    """The folder the person picks, or ``""`` when they cancel."""
    files, _ = await _choose(
        parent, caption, directory, "", QFileDialog.FileMode.Directory, save=False
    )
    return files[0] if files else ""


async def _choose(
    parent: QWidget | None,
    caption: str,
    directory: str,
    filter: str,
    mode: QFileDialog.FileMode,
    *,
    save: bool,
) -> tuple[list[str], str]:
    dialog = QFileDialog(parent, caption, directory, filter)
    dialog.setFileMode(mode)
    if mode == QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    if not await ask(dialog, parent):
        return [], ""
    return dialog.selectedFiles(), dialog.selectedNameFilter()


async def choose_color(parent: QWidget | None, start: QColor, caption: str) -> QColor | None:
    """The colour the person picks, or None when they cancel."""
    dialog = QColorDialog(start, parent)
    dialog.setWindowTitle(caption)
    if not await ask(dialog, parent):
        return None
    return dialog.selectedColor()


async def pop_menu(menu: QMenu, pos: QPoint) -> QAction | None:
    """Pop ``menu`` up at ``pos`` (global) and wait until it closes; returns the action
    triggered, or None. Unlike ``QMenu.exec`` no event loop is nested."""
    future: asyncio.Future[QAction | None] = asyncio.get_running_loop().create_future()

    def chosen(action: QAction) -> None:
        if not future.done():
            future.set_result(action)

    def nothing() -> None:
        if not future.done():
            future.set_result(None)

    def hidden() -> None:
        # aboutToHide comes before triggered: let a pending trigger settle first.
        asyncio.get_running_loop().call_soon(nothing)

    menu.triggered.connect(chosen)
    menu.aboutToHide.connect(hidden)
    menu.popup(pos)
    try:
        return await future
    finally:
        menu.triggered.disconnect(chosen)
        menu.aboutToHide.disconnect(hidden)
