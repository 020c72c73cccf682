"""The side pane a list screen (catalog, orders, customers) shows the picked record in.

:class:`DetailPane` is the shape they share: a centred hint while nothing is picked, else a
scrolling body that starts with a title row and a muted subtitle; each screen adds its own
facts (:class:`FactGrid`), section titles, actions and tables below. Shop data in it is plain
text, never HTML (names come from shoppers).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.ui import theme
from minichat_desktop.ui.tables import plain_label

__all__ = ["DetailPane", "FactGrid", "section_title", "value_label"]


def value_label() -> QLabel:
    """A value of shop data: plain text, wrapped, selectable with the mouse (to copy it)."""
    label = plain_label()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def section_title() -> QLabel:
    """The bold title over a part of a pane ("Items", "Stock history")."""
    return theme.role(QLabel(), "strong")


class FactGrid(QGridLayout):
    """``count`` named values, two a row: a muted name beside its value, or above it with
    ``names_above`` (for values of several lines). Names are set with :meth:`set_names` (when
    the language changes), values with :meth:`set_values`."""

    def __init__(self, count: int, *, names_above: bool = False, spacing: int = 16) -> None:
        super().__init__()
        self.setHorizontalSpacing(spacing)
        self.names: list[QLabel] = []
        self.values: list[QLabel] = []
        for i in range(count):
            name = QLabel()
            name.setObjectName("Muted")
            value = value_label()
            if names_above:
                name.setTextFormat(Qt.TextFormat.PlainText)
                name.setWordWrap(True)
                value.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                row, col = (i // 2) * 2, i % 2
                self.addWidget(name, row, col)
                self.addWidget(value, row + 1, col)
            else:
                self.addWidget(name, i // 2, (i % 2) * 2)
                self.addWidget(value, i // 2, (i % 2) * 2 + 1)
            self.names.append(name)
            self.values.append(value)
        if names_above:
            self.setVerticalSpacing(6)
            self.setColumnStretch(0, 1)
            self.setColumnStretch(1, 1)
        else:
            self.setColumnStretch(1, 1)
            self.setColumnStretch(3, 1)

    def set_names(self, names: Sequence[str]) -> None:
        for label, text in zip(self.names, names, strict=True):
            label.setText(text)

    def set_values(self, values: Sequence[str]) -> None:
        for label, text in zip(self.values, values, strict=True):
            label.setText(text)


class DetailPane(QFrame):
    """One record in a screen's side pane.

    :attr:`empty` (a muted, centred hint: set its text on retranslate) shows while nothing
    is picked; :meth:`show_body` swaps it for the scrolling body. The body starts with
    :attr:`title_row` (the :attr:`title`, stretched; a screen may add a badge after it) and
    :attr:`subtitle`; a screen adds the rest to :attr:`column`. :attr:`body` is the scroll area.
    """

    def __init__(self, *, min_width: int) -> None:
        super().__init__()
        self.setMinimumWidth(min_width)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel()
        self.empty.setObjectName("Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        body = QWidget()
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(12, 4, 12, 8)
        self.title_row = QHBoxLayout()
        self.title = value_label()
        self.title.setObjectName("Title")
        self.title_row.addWidget(self.title, 1)
        self.column.addLayout(self.title_row)
        self.subtitle = value_label()
        self.subtitle.setObjectName("Muted")
        self.column.addWidget(self.subtitle)

        self.body = QScrollArea()
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setWidget(body)
        outer.addWidget(self.empty, 1)
        outer.addWidget(self.body, 1)

    def show_body(self, shown: bool) -> None:
        """The record's body (True) or the hint that nothing is picked (False)."""
        self.empty.setVisible(not shown)
        self.body.setVisible(shown)
