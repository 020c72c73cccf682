"""The awaitable ways to ask (ui/dialogs.py): each opens without a nested loop, is found on
``owner.dialog`` while open, and gives back what the person chose."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMenu, QMessageBox, QWidget
from support.waiting import until

from minichat_desktop.ui.dialogs import choose_color, choose_folder, confirm, pop_menu


class Owner(QWidget):
    dialog: Any = None


@pytest.fixture
def owner(qtbot: Any) -> Iterator[Owner]:
    w = Owner()
    qtbot.addWidget(w)
    w.show()
    yield w


async def opened(owner: Owner, kind: type) -> Any:
    await until(lambda: isinstance(owner.dialog, kind))
    return owner.dialog


async def test_confirm_is_yes_only_when_yes_is_pressed(owner: Owner) -> None:
    """No is the default; the buttons carry the words given."""
    asking = asyncio.ensure_future(confirm(owner, "Void sale", "Clear this sale?", yes="Clear"))
    box = await opened(owner, QMessageBox)
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Clear"
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).click()
    assert await asking is True
    assert owner.dialog is None
    asking = asyncio.ensure_future(confirm(owner, "Void sale", "Clear this sale?"))
    (await opened(owner, QMessageBox)).reject()
    assert await asking is False


async def test_choose_folder_gives_the_folder_or_nothing(owner: Owner, tmp_path: Path) -> None:
    asking = asyncio.ensure_future(choose_folder(owner, "Backups", str(tmp_path)))
    dialog = await opened(owner, QFileDialog)
    assert dialog.fileMode() == QFileDialog.FileMode.Directory
    dialog.accept()
    assert Path(await asking) == tmp_path
    asking = asyncio.ensure_future(choose_folder(owner, "Backups", str(tmp_path)))
    (await opened(owner, QFileDialog)).reject()
    assert await asking == ""


async def test_choose_color_gives_the_colour_or_none(owner: Owner) -> None:
    asking = asyncio.ensure_future(choose_color(owner, QColor("#06C755"), "Widget colour"))
    dialog = await opened(owner, QColorDialog)
    dialog.setCurrentColor(QColor("#E4572E"))
    dialog.accept()
    chosen = await asking
    assert chosen is not None and chosen.name().upper() == "#E4572E"
    asking = asyncio.ensure_future(choose_color(owner, QColor("#06C755"), "Widget colour"))
    (await opened(owner, QColorDialog)).reject()
    assert await asking is None


async def test_pop_menu_gives_the_action_chosen_or_none(owner: Owner) -> None:
    menu = QMenu(owner)
    menu.addAction("Print")
    save = menu.addAction("Save as PDF")
    asking = asyncio.ensure_future(pop_menu(menu, owner.mapToGlobal(QPoint(10, 10))))
    await until(menu.isVisible)
    save.trigger()
    menu.hide()
    assert await asking is save
    asking = asyncio.ensure_future(pop_menu(menu, owner.mapToGlobal(QPoint(10, 10))))
    await until(menu.isVisible)
    menu.hide()
    assert await asking is None


async def test_ask_opens_a_print_dialog(owner: Owner) -> None:
    """QPrintDialog overloads open(receiver, member): ask still opens it (it once raised in a
    loop callback and left "Print shipping label…" waiting for ever, found by hand)."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from minichat_desktop.ui.dialogs import ask

    printer = QPrinter()
    asking = asyncio.ensure_future(ask(QPrintDialog(printer, owner), owner))
    dialog = await opened(owner, QPrintDialog)
    await until(dialog.isVisible)
    dialog.reject()
    assert await asyncio.wait_for(asking, 5) == 0
    assert owner.dialog is None
