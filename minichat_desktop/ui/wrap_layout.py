"""A row of widgets that wraps onto the next line when the space gets narrow.

Action rows (an order's "Mark as paid… / Shipping… / Change status… / More") are wider in Thai
than in English and a side pane is ~430 px on a 1366×768 laptop: a plain :class:`QHBoxLayout`
then forces its pane wider than the window and hides the last button behind a horizontal
scrollbar. :class:`WrapLayout` keeps every widget at its natural size and moves the ones that
do not fit to a new line, so nothing is ever cut and the pane's minimum width is that of its
widest single widget.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget

__all__ = ["WrapLayout"]


class WrapLayout(QLayout):
    """Widgets left to right at their size hints, wrapping to new lines as needed; a line's
    widgets share its height (centred vertically), lines are ``spacing`` apart."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # -- the list of items QLayout asks for
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # -- sizes
    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:
        """One line: every widget side by side."""
        visible = self._visible()
        width = sum(i.sizeHint().width() for i in visible) + self._gap * max(len(visible) - 1, 0)
        height = max((i.sizeHint().height() for i in visible), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest widget (everything else wraps)."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    # -- placing
    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        """Place the widgets inside ``rect`` (or only measure, ``move=False``); the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = 0
        for item in self._visible():
            hint = item.sizeHint().boundedTo(item.maximumSize()).expandedTo(item.minimumSize())
            width = min(hint.width(), area.width()) if area.width() > 0 else hint.width()
            if lines[-1] and x + self._gap + width > area.width():
                lines.append([])
                x = 0
            x += (self._gap if lines[-1] else 0) + width
            lines[-1].append((item, QSize(width, hint.height())))
        y = area.y()
        for line in lines:
            if not line:
                continue
            height = max(size.height() for _i, size in line)
            x = area.x()
            for item, size in line:
                if move:
                    top = y + (height - size.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), size))
                x += size.width() + self._gap
            y += height + self._gap
        used = y - self._gap - area.y() if any(lines) else 0
        return used + m.top() + m.bottom()

    def add_widgets(self, *widgets: QWidget) -> None:
        """Add ``widgets`` in order; each keeps its preferred width."""
        for w in widgets:
            w.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self.addWidget(w)
