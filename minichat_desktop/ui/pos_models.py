"""The till's cart as a Qt table model: lines of variants with quantity, price and discount.

Plain data in, plain data out: :meth:`CartModel.cart_lines` gives the domain's
:class:`~minichat_desktop.domain.sales.pos.CartLine` list that :func:`pos.ring_up` sells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from minichat_desktop.domain.sales.pos import CartLine, Sellable
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t

Index = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class TillLine:
    item: Sellable
    quantity: int
    unit_price_satang: int
    discount_satang: int = 0

    @property
    def total_satang(self) -> int:
        return self.unit_price_satang * self.quantity - self.discount_satang


class CartModel(QAbstractTableModel):
    ITEM, PRICE, QTY, DISCOUNT, TOTAL = range(5)
    HEADERS = ("Item", "Price", "Qty", "Discount", "Total")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.lines: list[TillLine] = []

    # -------------------------------------------------------------- Qt

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return t(self.HEADERS[section])
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.ITEM:
                return line.item.label
            if col == self.PRICE:
                return format_baht(line.unit_price_satang)
            if col == self.QTY:
                return str(line.quantity)
            if col == self.DISCOUNT:
                return format_baht(line.discount_satang) if line.discount_satang else ""
            return format_baht(line.total_satang)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.ITEM:
            tip = f"{line.item.sku}"
            if line.item.track_inventory:
                tip += " · " + t("in stock: {n}").format(n=line.item.stock)
            return tip
        if role == Qt.ItemDataRole.TextAlignmentRole and col != self.ITEM:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and col == self.QTY
            and line.item.track_inventory
            and line.quantity > line.item.stock
        ):
            return QColor(theme.RED)
        return None

    # -------------------------------------------------------------- editing

    def add(self, item: Sellable, quantity: int = 1) -> int:
        """Add an item (one more of it when it is already on the bill, as tills do); returns
        its row."""
        for row, line in enumerate(self.lines):
            if line.item.variant_id == item.variant_id and line.discount_satang == 0:
                line.quantity += quantity
                self._row_changed(row)
                return row
        row = len(self.lines)
        self.beginInsertRows(QModelIndex(), row, row)
        self.lines.append(TillLine(item, quantity, item.price_satang))
        self.endInsertRows()
        return row

    def set_quantity(self, row: int, quantity: int) -> None:
        if quantity <= 0:
            self.remove(row)
            return
        line = self.lines[row]
        line.quantity = quantity
        line.discount_satang = min(line.discount_satang, line.unit_price_satang * quantity)
        self._row_changed(row)

    def set_discount(self, row: int, discount_satang: int) -> None:
        self.lines[row].discount_satang = discount_satang
        self._row_changed(row)

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.lines[row]
        self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.lines = []
        self.endResetModel()

    def load(self, lines: list[TillLine]) -> None:
        self.beginResetModel()
        self.lines = lines
        self.endResetModel()

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    # -------------------------------------------------------------- out

    def cart_lines(self) -> list[CartLine]:
        return [
            CartLine(ln.item.variant_id, ln.quantity, ln.unit_price_satang, ln.discount_satang)
            for ln in self.lines
        ]

    def item_count(self) -> int:
        return sum(ln.quantity for ln in self.lines)
