"""A text box whose ``{placeholders}`` show as named chips ("ชื่อลูกค้า", "คะแนนรีวิว"):
each chip is one character of the document (an image of a pill named ``chip:<name>``), so
the cursor steps over it and Backspace removes it whole. :meth:`ChipTextEdit.stored` gives
the text back in the flow format (``{customer_name}``), :meth:`ChipTextEdit.set_stored`
reads it. (Images, because Qt takes a custom text object only from C++.)
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextImageFormat,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from minichat_desktop.ui import theme

PREFIX = "chip:"  # a chip is an image named chip:<name>
OBJECT = "\ufffc"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def chip_image(label: str, font: QFont, ratio: float) -> QImage:
    """The pill a chip is drawn as: its label on light green, sized for ``font``."""
    metrics = QFontMetricsF(font)
    width, height = metrics.horizontalAdvance(label) + 16, metrics.height() + 2
    image = QImage(int(width * ratio), int(height * ratio), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    box = QRectF(0.5, 0.5, width - 1, height - 1)
    painter.setPen(QColor(theme.GREEN))
    painter.setBrush(QColor("#E3F4EF"))
    painter.drawRoundedRect(box, box.height() / 2, box.height() / 2)
    painter.setPen(QColor(theme.GREEN_DARK))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return image


class ChipTextEdit(QTextEdit):
    """Plain text with chips; ``edited`` after every change the owner makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.names: dict[str, str] = {}
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
        url = QUrl(PREFIX + name)
        if self.document().resource(QTextDocument.ResourceType.ImageResource, url) is None:
            image = chip_image(self.names.get(name, name), self.font(), self.devicePixelRatioF())
            self.document().addResource(QTextDocument.ResourceType.ImageResource, url, image)
        fmt = QTextImageFormat()
        fmt.setName(url.toString())
        fmt.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignMiddle)
        cursor.insertImage(fmt)

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
                name = fmt.toImageFormat().name() if fmt.isImageFormat() else ""
                if name.startswith(PREFIX):
                    out.append(("{" + name[len(PREFIX) :] + "}") * len(frag.text()))
                else:
                    out.append(frag.text().replace(OBJECT, ""))
                it += 1
            block = block.next()
            if block.isValid():
                out.append("\n")
        return "".join(out)
