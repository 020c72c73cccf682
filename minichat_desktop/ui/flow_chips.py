"""A text box whose ``{placeholders}`` show as named chips ("ชื่อลูกค้า", "คะแนนรีวิว"):
each chip is one character of the document (an object drawn as a pill), so the cursor steps
over it and Backspace removes it whole. :meth:`ChipTextEdit.stored` gives the text back in
the flow format (``{customer_name}``), :meth:`ChipTextEdit.set_stored` reads it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QPainter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextObjectInterface,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from minichat_desktop.ui import theme

CHIP = QTextFormat.ObjectTypes.UserObject + 1
NAME = QTextFormat.Property.UserProperty + 1  # the stored name ("customer_name")
LABEL = QTextFormat.Property.UserProperty + 2  # what the chip says
OBJECT = "\ufffc"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class _ChipPainter(QObject, QTextObjectInterface):
    """Draws a chip: the label on a light green pill."""

    def intrinsicSize(self, doc: QTextDocument, pos: int, fmt: QTextFormat) -> QSizeF:
        metrics = QFontMetricsF(fmt.toCharFormat().font())
        return QSizeF(metrics.horizontalAdvance(str(fmt.property(LABEL))) + 16, metrics.height())

    def drawObject(
        self,
        painter: QPainter,
        rect: QRectF | QRect,
        doc: QTextDocument,
        pos: int,
        fmt: QTextFormat,
    ) -> None:
        painter.save()
        rect = QRectF(rect)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(theme.GREEN))
        painter.setBrush(QColor("#E3F4EF"))
        box = rect.adjusted(1, 1, -1, -1)
        painter.drawRoundedRect(box, box.height() / 2, box.height() / 2)
        painter.setPen(QColor(theme.GREEN_DARK))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, str(fmt.property(LABEL)))
        painter.restore()


class ChipTextEdit(QTextEdit):
    """Plain text with chips; ``edited`` after every change the owner makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.names: dict[str, str] = {}
        self._painter = _ChipPainter(self)
        self.document().documentLayout().registerHandler(CHIP, self._painter)
        self._loading = False
        self.textChanged.connect(self._changed)
        lines = self.fontMetrics().lineSpacing() * 3.6
        self.setMinimumHeight(int(lines) + 12)
        self.setMaximumHeight(int(lines * 1.6) + 12)

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def set_stored(self, text: str, names: dict[str, str]) -> None:
        """Show a stored text; a ``{name}`` in ``names`` becomes a chip, others stay text."""
        self.names = dict(names)
        self._loading = True
        self.clear()
        cursor = self.textCursor()
        at = 0
        for m in _PLACEHOLDER.finditer(text):
            if m.group(1) not in self.names:
                continue
            cursor.insertText(text[at : m.start()], QTextCharFormat())
            self._insert(cursor, m.group(1))
            at = m.end()
        cursor.insertText(text[at:], QTextCharFormat())
        self._loading = False

    def insert_chip(self, name: str) -> None:
        """Put a chip at the cursor (the owner picked it from the menu)."""
        cursor = self.textCursor()
        self._insert(cursor, name)
        cursor.insertText(" ", QTextCharFormat())
        self.setTextCursor(cursor)
        self.setFocus()

    def _insert(self, cursor: QTextCursor, name: str) -> None:
        fmt = QTextCharFormat()
        fmt.setObjectType(CHIP)
        fmt.setProperty(NAME, name)
        fmt.setProperty(LABEL, self.names.get(name, name))
        cursor.insertText(OBJECT, fmt)

    def chips(self) -> list[str]:
        """The chips' labels, in order (what the owner sees)."""
        return [self.names.get(n, n) for n in _PLACEHOLDER.findall(self.stored())]

    def stored(self) -> str:
        """The text in the flow format: each chip as ``{name}``."""
        out: list[str] = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                frag = it.fragment()
                fmt = frag.charFormat()
                if fmt.objectType() == CHIP:
                    out.append(("{" + str(fmt.property(NAME)) + "}") * len(frag.text()))
                else:
                    out.append(frag.text().replace(OBJECT, ""))
                it += 1
            block = block.next()
            if block.isValid():
                out.append("\n")
        return "".join(out)
