"""What the list screens (catalog, orders, customers) share: a read-only row table view, a
table model over a list of rows with translated headers, a plain-text label for shop data,
and the item of a filled ``QTableWidget`` cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
)

from minichat_desktop.ui.i18n import t

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
