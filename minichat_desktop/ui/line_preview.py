"""How a message will look in a shopper's LINE chat: the shop's name over a white bubble on
LINE's blue chat background, and the product cards the message carries as a row of cards —
so the owner sees line breaks, emoji and length before sending to hundreds of people."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from minichat_desktop.ui import theme
from minichat_desktop.ui.tables import plain_label

__all__ = ["LinePreview"]

MAX_CARDS_SHOWN = 3


class LinePreview(QFrame):
    """:meth:`show_message` fills it; an empty message shows a muted hint in the bubble."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LinePreview")  # theme draws LINE's page, bubbles and cards
        col = QVBoxLayout(self)
        col.setContentsMargins(12, 10, 12, 12)
        col.setSpacing(4)
        self.name = plain_label(object_name="LineName")
        col.addWidget(self.name)
        row = QHBoxLayout()
        self.avatar = QLabel(objectName="LineAvatar")
        self.avatar.setFixedSize(32, 32)
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bubble = plain_label(object_name="LineBubble")
        self.bubble.setWordWrap(True)
        self.bubble.setContentsMargins(12, 8, 12, 8)
        self.bubble.setMaximumWidth(330)
        row.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.bubble, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        col.addLayout(row)
        self.cards_row = QHBoxLayout()
        self.cards_row.setContentsMargins(38, 4, 0, 0)
        self.cards_row.setSpacing(6)
        self.cards_row.addStretch(1)  # cards go in before it, at the left
        col.addLayout(self.cards_row)
        self.cards: list[QLabel] = []

    def show_message(self, shop: str, text: str, cards: Sequence[str], hint: str) -> None:
        """``cards``: each picked product as "name\\n฿price"; at most three are drawn, the
        rest counted on the last."""
        self.name.setText(shop)
        self.avatar.setText((shop.strip()[:1] or "•").upper())
        self.bubble.setText(text if text.strip() else hint)
        theme.tone(self.bubble, None if text.strip() else "faint")
        for card in self.cards:
            self.cards_row.removeWidget(card)
            card.deleteLater()
        self.cards = []
        for n, card_text in enumerate(cards[:MAX_CARDS_SHOWN]):
            more = len(cards) - MAX_CARDS_SHOWN
            extra = f"\n+{more}" if n == MAX_CARDS_SHOWN - 1 and more > 0 else ""
            card = plain_label(card_text + extra, "LineCard")
            card.setWordWrap(True)
            card.setContentsMargins(10, 8, 10, 8)
            card.setFixedWidth(110)
            self.cards_row.insertWidget(len(self.cards), card)
            self.cards.append(card)
