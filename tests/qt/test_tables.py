"""The paged table model the catalog and orders lists share: first page, fetch-more, rows not
shown twice when the list shifts between pages, an overtaken answer dropped, failures reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from PySide6.QtWidgets import QApplication
from support.waiting import until

from minichat_desktop.app.paging import Page
from minichat_desktop.ui.tables import PagedTableModel


class Numbers(PagedTableModel[str, int]):
    """Numbers from a list the test changes, pages of 3; ``hold`` keeps the next answer back
    until it is set."""

    COLUMNS = ("n",)
    PAGE_SIZE = 3

    def __init__(self, source: dict[str, list[int]]) -> None:
        super().__init__("")
        self.source = source
        self.hold: asyncio.Event | None = None
        self.asked: list[tuple[str, int]] = []

    async def read_page(self, request: str, offset: int) -> Page[int]:
        self.asked.append((request, offset))
        hold, self.hold = self.hold, None
        if hold is not None:
            await hold.wait()
        await asyncio.sleep(0)
        rows = self.source[request][offset : offset + self.PAGE_SIZE]
        return Page(rows, offset + len(rows), len(rows) == self.PAGE_SIZE)

    def key(self, row: int) -> Hashable:
        return row

    def data(self, index: Any, role: int = 0) -> Any:
        return self.rows[index.row()] if role == 0 else None


async def test_pages_come_as_asked_and_a_shifted_row_is_not_shown_twice(
    qapp: QApplication,
) -> None:
    """Load shows one page; fetchMore appends the next; a row pushed into the next page by a
    new one at the top is dropped; at the end there is nothing more to fetch."""
    source = {"all": [9, 8, 7, 6, 5, 4, 3]}
    model = Numbers(source)
    generations: list[int] = []
    model.loaded.connect(generations.append)
    assert await model.load("all")
    assert model.rows == [9, 8, 7] and model.has_more and model.canFetchMore()
    source["all"].insert(0, 10)  # a new row at the top shifts 7 into the next page
    model.fetchMore()
    assert not model.canFetchMore()  # one fetch at a time
    await until(lambda: model.rowCount() > 3)
    assert model.rows == [9, 8, 7, 6, 5]
    model.fetchMore()
    await until(lambda: not model.has_more)
    assert model.rows == [9, 8, 7, 6, 5, 4, 3]
    assert not model.canFetchMore()
    assert model.row_of(4) == 5 and model.row_of(10) == -1
    assert generations == [1, 1, 1]


async def test_an_overtaken_load_is_dropped(qapp: QApplication) -> None:
    """Only the latest request is ever shown, whichever answer arrives last."""
    model = Numbers({"old": [1, 2], "new": [7]})
    slow = asyncio.Event()
    model.hold = slow
    first = asyncio.ensure_future(model.load("old"))
    await until(lambda: model.asked == [("old", 0)])
    assert await model.load("new")
    slow.set()
    assert await first is False
    assert model.rows == [7] and model.request == "new" and not model.has_more


async def test_a_failed_page_is_reported_and_can_be_retried(qapp: QApplication) -> None:
    """A failing read emits ``failed`` with the error; the model is not left stuck."""
    model = Numbers({})
    failures: list[object] = []
    model.failed.connect(failures.append)
    assert await model.load("missing") is False
    assert [type(f) for f in failures] == [KeyError]
    model.source["missing"] = [1]
    assert await model.load("missing")
    assert model.rows == [1]
