"""A text box for messages to shoppers in which placeholders are chips with their names.

The owner sees "สวัสดีค่ะ คุณ [ชื่อลูกค้า]" — a rounded chip — never ``{customer_name}``; the
text read back (:meth:`PlaceholderEdit.template`) is in the stored syntax of
:mod:`minichat_desktop.domain.placeholders` (a name in single braces, a brace itself doubled),
which the flows' texts share. Each chip is one inline image (Qt takes a custom text object
only from C++), so it is deleted, moved and copied whole and typing beside it never runs into
it. Used by the order message templates, the canned replies and the flow editor's messages
(which pass their own names: a flow also names the answers its questions keep).
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QPainter,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextImageFormat,
)
from PySide6.QtWidgets import QPushButton, QTextEdit, QWidget

from minichat_desktop.domain import placeholders
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import current_language
from minichat_desktop.ui.wrap_layout import WrapLayout

__all__ = ["FieldButtons", "PlaceholderEdit"]

_SCHEME = "placeholder:"
_OBJECT = "\ufffc"  # how a QTextDocument holds an inline image in its text


class PlaceholderEdit(QTextEdit):
    """Plain text with placeholder chips. :meth:`set_template` and :meth:`template` speak the
    stored syntax; :meth:`insert_field` puts a chip at the cursor; ``edited`` after each
    change the owner makes (not while a text is being shown)."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self.names: dict[str, str] | None = (
            None  # None: the order facts, named in the UI's language
        )
        self._loading = False
        self.currentCharFormatChanged.connect(self._plain_after_chip)
        self.textChanged.connect(self._changed)

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def label(self, name: str) -> str:
        """How a placeholder is shown: the names given, else the order facts' own."""
        if self.names is not None:
            return self.names.get(name, name)
        return placeholders.field_name(name, current_language())

    def _known(self, name: str) -> bool:
        return name in (self.names if self.names is not None else placeholders.FIELDS)

    def _plain_after_chip(self, fmt: QTextCharFormat) -> None:
        """Text typed just after a chip takes the chip's format; keep it plain text."""
        if fmt.isImageFormat():
            self.setCurrentCharFormat(QTextCharFormat())

    # ------------------------------------------------------------------ chips

    def _chip(self, name: str) -> QTextImageFormat:
        label = self.label(name)
        font = self.font()
        metrics = QFontMetricsF(font)
        ratio = max(1.0, self.devicePixelRatioF())
        width = metrics.horizontalAdvance(label) + 14
        height = metrics.height() + 4
        pixmap = QPixmap(int(width * ratio + 0.5), int(height * ratio + 0.5))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(theme.GREEN))
        painter.setBrush(QColor(theme.GREEN_TINT))
        painter.drawRoundedRect(QRectF(0.5, 0.5, width - 1, height - 1), 6, 6)
        painter.setFont(font)
        painter.setPen(QColor(theme.GREEN_DARK))
        painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
        url = _SCHEME + name
        self.document().addResource(
            QTextDocument.ResourceType.ImageResource, QUrl(url), pixmap.toImage()
        )
        image = QTextImageFormat()
        image.setName(url)
        image.setWidth(width)
        image.setHeight(height)
        image.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignMiddle)
        image.setToolTip(label)
        return image

    def insert_field(self, name: str) -> None:
        """A chip for ``name`` at the cursor (replacing a selection); the focus back here."""
        cursor = self.textCursor()
        cursor.insertImage(self._chip(name))
        cursor.setCharFormat(QTextCharFormat())
        self.setTextCursor(cursor)
        self.setFocus()

    # ------------------------------------------------------------------ text

    def set_template(self, text: str, names: dict[str, str] | None = None) -> None:
        """Show a stored text: its placeholders as chips, ``{{`` as one brace; a name that is
        no placeholder as text (it is kept as text); a text the parser cannot read (not
        saved by this version) as it is, for the owner to correct. ``names``: the
        placeholders and how they are shown, when not the order facts."""
        if names is not None:
            self.names = dict(names)
        self._loading = True
        try:
            self.clear()
            self._fill(QTextCursor(self.document()), text)
        finally:
            self._loading = False
        self.moveCursor(QTextCursor.MoveOperation.End)

    def _fill(self, cursor: QTextCursor, text: str) -> None:
        plain = QTextCharFormat()
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            cursor.insertText(text, plain)
            return
        for literal, name, spec, conversion in parsed:
            if literal:
                cursor.insertText(literal, plain)
            if name is None:
                continue
            if self._known(name) and not spec and not conversion:
                cursor.insertImage(self._chip(name))
            else:
                cursor.insertText("{" + name + "}", plain)

    def chips(self) -> list[str]:
        """The chips' labels, in order: what the owner reads."""
        return [self.label(n) for n in placeholders.names_in(self.template())]

    def template(self) -> str:
        """The text in the stored syntax: chips as ``{name}``, a brace typed as ``{{``."""
        out: list[str] = []
        block = self.document().begin()
        while block.isValid():
            if out:
                out.append("\n")
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                text = fragment.text()
                url = fmt.toImageFormat().name() if fmt.isImageFormat() else ""
                chip = "{" + url[len(_SCHEME) :] + "}" if url.startswith(_SCHEME) else ""
                for ch in text:  # a chip is one object character; typed text stays text
                    if ch == _OBJECT and chip:
                        out.append(chip)
                    elif ch != _OBJECT:
                        out.append(ch.replace("{", "{{").replace("}", "}}"))
                it += 1
            block = block.next()
        return "".join(out)


class FieldButtons(QWidget):
    """A wrapping row of "+ ชื่อลูกค้า" buttons, one per placeholder, each inserting its chip
    into ``editor``; :meth:`retranslate` names them (and the editor's chips) anew."""

    def __init__(
        self, editor: PlaceholderEdit, names: Sequence[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.buttons: dict[str, QPushButton] = {}
        row = WrapLayout(self, spacing=4)
        row.setContentsMargins(0, 0, 0, 0)
        for name in names:
            button = QPushButton()
            button.setObjectName("FieldButton")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, n=name: editor.insert_field(n))
            row.addWidget(button)
            self.buttons[name] = button
        self.retranslate()

    def retranslate(self) -> None:
        lang = current_language()
        for name, button in self.buttons.items():
            button.setText("+ " + placeholders.field_name(name, lang))
        self.editor.set_template(self.editor.template())
