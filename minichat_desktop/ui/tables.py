"""What the list screens (catalog, orders, customers) share: a read-only row table view, a
table model over a list of rows with translated headers, the same model fed a page at a time
(:class:`PagedTableModel`), a plain-text label for shop data, and the item of a filled
``QTableWidget`` cell."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
)

from minichat_desktop.app.paging import Page
from minichat_desktop.ui.i18n import t

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def plain_label(text: str = "", object_name: str = "") -> QLabel:
    """A label for shop data (names come from shoppers): never interpreted as HTML."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if object_name:
        label.setObjectName(object_name)
    return label


def cell_item(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item of a cell the screen filled itself; raises ``LookupError`` for an empty cell
    (a bug: Qt returns None there)."""
    item = table.item(row, column)
    if item is None:
        raise LookupError(f"table {table.objectName()!r} has no item at ({row}, {column})")
    return item


def list_table(model: Any, *, stretch: int | None = None) -> QTableView:
    """A read-only table of whole rows, one selected at a time, no grid; column ``stretch``
    takes the spare width."""
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(30)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


class ColumnFitter(QObject):
    """Keeps a list without a horizontal scrollbar on a narrow window: while the fixed-width
    columns leave the stretched column less than ``min_stretch`` px, the ``optional``
    columns are hidden, first ones first (and shown again when the list widens). What they
    showed stays in the record's detail pane."""

    def __init__(
        self, view: QTableView, stretch: int, optional: Sequence[int], *, min_stretch: int = 140
    ) -> None:
        super().__init__(view)
        self.view, self.stretch, self.optional = view, stretch, tuple(optional)
        self.min_stretch = min_stretch
        self.widths: dict[int, int] = {}
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        header = self.view.horizontalHeader()
        model = self.view.model()
        for c in range(model.columnCount()):  # a hidden section's size reads 0: remember it
            if not header.isSectionHidden(c):
                self.widths[c] = header.sectionSize(c)
        fixed = [c for c in range(model.columnCount()) if c != self.stretch]
        spare = self.view.viewport().width() - self.min_stretch
        hidden: set[int] = set()
        for column in self.optional:
            if sum(self.widths.get(c, 0) for c in fixed if c not in hidden) <= spare:
                break
            hidden.add(column)
        for column in self.optional:
            header.setSectionHidden(column, column in hidden)


class RowsTableModel(QAbstractTableModel):
    """A table over ``self.rows`` with translated ``COLUMNS`` headers; ``RIGHT_COLUMNS`` are
    right-aligned (numbers)."""

    COLUMNS: tuple[str, ...] = ()
    RIGHT_COLUMNS: tuple[int, ...] = ()
    rows: Sequence[Any]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return t(self.COLUMNS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole and section in self.RIGHT_COLUMNS:
            return RIGHT
        return None

    def retranslate(self) -> None:
        """Headers and cells again, in the language now chosen."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1)
            )


class PagedTableModel[Q, R](RowsTableModel):
    """A row table that never holds more than the pages a person scrolled to.

    :meth:`load` shows the first page for a request ``Q`` (a query, filters) and Qt's
    ``fetchMore`` — called as the view scrolls near the end — appends the next. Each load
    starts a new generation; an answer to an older one is dropped, so only the latest request
    is ever shown. A row already shown (same :meth:`key`) is not added twice, which happens
    when rows are added or removed between two pages. Failures are reported through
    :attr:`failed` (none once the event loop has stopped: the app is closing).

    Subclasses say how to read a page (:meth:`read_page`, off the GUI thread through their
    ops) and what identifies a row (:meth:`key`).
    """

    PAGE_SIZE = 200  # rows read at a time
    MAX_PAGES_PER_READ = 5  # a sparse filter stays responsive: at most this many per answer

    loaded = Signal(int)  # the generation whose rows are now shown
    failed = Signal(object)  # an exception from loading

    def __init__(self, request: Q, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[R] = []
        self.request = request
        self.generation = 0
        self._seen: set[Hashable] = set()
        self._next_offset = 0
        self._more = False
        self._fetching = False
        self._task: asyncio.Future[None] | None = None

    # --- what a subclass says

    async def read_page(self, request: Q, offset: int) -> Page[R]:
        """Rows of ``request`` from ``offset``, at most :attr:`PAGE_SIZE` of them."""
        raise NotImplementedError

    def key(self, row: R) -> Hashable:
        """What identifies ``row`` (its id)."""
        raise NotImplementedError

    # --- loading

    async def load(self, request: Q) -> bool:
        """Show the first page for ``request``; False when it failed or a newer load
        overtook this one (its answer is then dropped)."""
        self.generation += 1
        gen = self.generation
        self._fetching = True
        try:
            rows, next_offset, more = await self._read_pages(request, 0)
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return False
        if gen != self.generation:
            return False
        self.beginResetModel()
        self.request = request
        self.rows = rows
        self._seen = {self.key(r) for r in rows}
        self._next_offset, self._more = next_offset, more
        self._fetching = False
        self.endResetModel()
        self.loaded.emit(gen)
        return True

    async def _read_pages(self, request: Q, offset: int) -> tuple[list[R], int, bool]:
        """Pages from ``offset`` until one gives rows or the list ends (at most
        :attr:`MAX_PAGES_PER_READ`)."""
        rows: list[R] = []
        more = True
        for _ in range(self.MAX_PAGES_PER_READ):
            page = await self.read_page(request, offset)
            rows.extend(page.rows)
            offset, more = page.next_offset, page.more
            if rows or not more:
                break
        return rows, offset, more

    def _report(self, exc: Exception) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # The event loop has stopped (the app is closing) while a page was on its way:
            # nobody is looking, and a dialog now would keep the app from quitting.
            log.info("%s not loaded, the event loop has stopped: %r", type(self).__name__, exc)
            return
        self.failed.emit(exc)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self._task = asyncio.ensure_future(self._fetch_more(self.generation))

    async def _fetch_more(self, gen: int) -> None:
        try:
            rows, next_offset, more = await self._read_pages(self.request, self._next_offset)
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return
        if gen != self.generation:
            return
        fresh = []
        for row in rows:
            k = self.key(row)
            if k not in self._seen:
                self._seen.add(k)
                fresh.append(row)
        self._next_offset, self._more = next_offset, more
        self._fetching = False
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()
        self.loaded.emit(gen)

    @property
    def has_more(self) -> bool:
        """Whether rows beyond those shown may exist (scrolling will ask for them)."""
        return self._more

    def row_of(self, key: Hashable) -> int:
        """The row whose :meth:`key` is ``key``, or -1."""
        for i, row in enumerate(self.rows):
            if self.key(row) == key:
                return i
        return -1
