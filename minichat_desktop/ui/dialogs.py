"""Waiting for a dialog from async code.

A dialog's ``exec()`` runs a nested event loop; inside a coroutine on the qasync loop that
stalls the app's other async work (and hung tests). Screens open dialogs with ``open()``
(window-modal) and await :func:`ask` instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox


async def ask(dialog: QDialog, owner: Any = None) -> int:
    """Show ``dialog`` window-modal and wait until it closes; returns its result (truthy when
    accepted; for a message box, the standard button pressed). While it is open,
    ``owner.dialog`` is the dialog (screens and tests look there); the dialog is deleted
    after."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def settle(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(settle)
    if owner is not None:
        owner.dialog = dialog
    dialog.open()
    try:
        return await future
    finally:
        if owner is not None:
            owner.dialog = None
        dialog.deleteLater()


def inform(parent: Any, title: str, text: str, *, warn: bool = False) -> QMessageBox:
    """A plain-text message box opened without blocking (deleted when closed); kept on
    ``parent.message`` so screens and tests can find it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if warn else QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.finished.connect(box.deleteLater)
    parent.message = box
    box.open()
    return box
