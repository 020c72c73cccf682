"""Two-line list rows: a title with an amount on the right, a muted line of details under it.

Lists an owner picks from — a product to send, the option of a product at the counter, a held
or recent sale, a credit note — read as a title, a figure and facts, not one string joined
with "·". :class:`Row` is a row's data; :func:`fill` puts rows in a ``QListWidget`` drawn by
:class:`RowDelegate` (the item's text stays the title, for keyboard search and screen readers).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from minichat_desktop.ui import theme

__all__ = ["DETAIL", "RIGHT", "WARN", "Row", "RowDelegate", "fill"]

DETAIL = Qt.ItemDataRole.UserRole + 1  # the muted second line
RIGHT = Qt.ItemDataRole.UserRole + 2  # the figure on the right (a price, a total)
WARN = Qt.ItemDataRole.UserRole + 3  # the second line in red (out of stock, refunded)
_PAD_X, _PAD_Y, _GAP = 10, 6, 2


@dataclass(frozen=True, slots=True)
class Row:
    """One row: ``value`` is what choosing it gives back."""

    title: str
    value: object
    detail: str = ""
    right: str = ""
    warn: bool = False


class RowDelegate(QStyledItemDelegate):
    """Paints a :class:`Row`: the title (semi-bold) and the right figure on the first line,
    elided so the figure is never cut; the details on the second, muted (red when warned)."""

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setWeight(QFont.Weight.DemiBold)
        detail = QFont(option.font)
        detail.setPointSizeF(max(7.5, detail.pointSizeF() - 1))
        return title, detail

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        title, detail = self._fonts(option)
        height = _line(title) + 2 * _PAD_Y
        if index.data(DETAIL):
            height += _GAP + _line(detail)
        return QSize(200, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else QApplication.style()
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, option.widget)
        rect: QRect = option.rect.adjusted(_PAD_X, _PAD_Y, -_PAD_X, -_PAD_Y)
        title_font, detail_font = self._fonts(option)
        title_metrics = QFontMetrics(title_font)
        right = str(index.data(RIGHT) or "")
        painter.setFont(title_font)
        painter.setPen(QColor(theme.INK))
        right_width = title_metrics.horizontalAdvance(right) + (12 if right else 0)
        line = QRect(rect.left(), rect.top(), rect.width(), _line(title_font))
        if right:
            painter.drawText(line, int(Qt.AlignmentFlag.AlignRight), right)
        title = title_metrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            Qt.TextElideMode.ElideRight,
            max(0, rect.width() - right_width),
        )
        painter.drawText(line, int(Qt.AlignmentFlag.AlignLeft), title)
        detail = str(index.data(DETAIL) or "")
        if detail:
            painter.setFont(detail_font)
            painter.setPen(QColor(theme.RED if index.data(WARN) else theme.MUTED))
            metrics = QFontMetrics(detail_font)
            below = QRect(rect.left(), line.bottom() + _GAP, rect.width(), _line(detail_font))
            text = metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(below, int(Qt.AlignmentFlag.AlignLeft), text)
        painter.restore()


def _line(font: QFont) -> int:
    """The height a line of Thai needs in ``font``: marks stacked above and below the letters
    reach past the font's own height."""
    metrics = QFontMetrics(font)
    return max(metrics.height(), metrics.boundingRect(theme.THAI_SAMPLE).height())


def fill(view: QListWidget, rows: list[Row]) -> None:
    """Replace the list's items with ``rows`` (each item's ``UserRole`` is its value) and draw
    them as two-line rows."""
    if not isinstance(view.itemDelegate(), RowDelegate):
        view.setItemDelegate(RowDelegate(view))
    view.clear()
    for row in rows:
        item = QListWidgetItem(row.title, view)
        item.setData(Qt.ItemDataRole.UserRole, row.value)
        item.setData(DETAIL, row.detail)
        item.setData(RIGHT, row.right)
        item.setData(WARN, row.warn)
        item.setToolTip("\n".join(x for x in (row.title, row.detail, row.right) if x))
