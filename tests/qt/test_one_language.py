"""Each screen speaks one language (issue 16 item 4): every screen of the window, filled with the
demo shop and with a record open, shows no English word in Thai outside the shop's own data
and a few names (LINE, VAT, PromptPay…), and no Thai in English outside the shop's data
(``support/language.py``). The stock ledger once said "owner" and "opening stock" on a Thai
screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableView
from support.language import foreign_words, shop_data, visible_texts
from support.waiting import until

from minichat_desktop.app.setup import Step
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.main_window import MainWindow

WITH_PANE = ("orders", "catalog", "customers")


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_every_screen_speaks_one_language(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], lang: str
) -> None:
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang=lang)
    window = MainWindow(ctx)
    window.resize(1366, 728)
    window.show()
    shown: list[tuple[str, str, str]] = []
    try:
        for name in window.SECTIONS:
            window.nav.setCurrentRow(window.SECTIONS.index(name))
            table = getattr(window.section_screen(name), "table", None)
            if name in WITH_PANE and isinstance(table, QTableView):
                await until(lambda t=table: t.model().rowCount() > 0)
                table.selectRow(0)
            if name == "inbox" and window.inbox.list_model.rowCount():
                window.inbox.open_conversation(window.inbox.list_model.rows[0].id)
            await asyncio.sleep(0.3)
            shown += [(name, where, text) for where, text in visible_texts(window)]
            if name == "settings":  # every page of it, and every panel of Set up
                for step in Step:
                    window.open_ref(f"setup:{step.value}")
                    await asyncio.sleep(0.2)
                    page = f"settings · set up · {step.value}"
                    shown += [(page, where, text) for where, text in visible_texts(window)]
                pages = window.section_screen(name).nav
                for row in range(1, pages.count()):
                    pages.setCurrentRow(row)
                    await asyncio.sleep(0.2)
                    page = f"settings · {pages.item(row).text()}"
                    shown += [(page, where, text) for where, text in visible_texts(window)]
    finally:
        window.close()
        window.deleteLater()
    data = shop_data(Path(db.path))  # read last: screens make what they show (built-in flows)
    found = {
        f"{name} · {where} · {text!r}": bad
        for name, where, text in shown
        for _w, _t, bad in foreign_words([(where, text)], data, lang)
    }
    assert found == {}
