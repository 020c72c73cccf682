"""What a list shows in its place while it is empty: a title, a line saying what will appear
there (or that nothing matches), and optionally a button to the next step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QFrame):
    """``say(title, text, action)``: ``action`` is the button's text, "" for no button;
    :attr:`acted` when it is pressed."""

    acted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyState")
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 28, 16, 16)
        self.title = QLabel(objectName="Title")
        self.text = QLabel(objectName="Muted")
        self.button = QPushButton()
        self.button.clicked.connect(self.acted.emit)
        for label in (self.title, self.text):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            box.addWidget(label)
        box.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)

    def say(self, title: str, text: str, action: str = "") -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.button.setText(action)
        self.button.setVisible(bool(action))
