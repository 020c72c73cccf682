"""The in-app list of notifications (new chats and messages, orders, low stock, payment
slips), unread ones in bold; clicking one opens what it is about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.lazy import lazy_module
from minichat_desktop.ui import i18n
from minichat_desktop.ui.context import AppContext

if TYPE_CHECKING:
    from minichat_desktop.domain.activity import notifications as notes
else:
    notes = lazy_module("minichat_desktop.domain.activity.notifications")


class NotificationsPanel(QFrame):
    open_requested = Signal(str)
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.ctx = ctx
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(380, 420)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel(objectName="Title")
        self.mark_all = QPushButton()
        self.mark_all.clicked.connect(self.on_mark_all)
        head.addWidget(self.title, 1)
        head.addWidget(self.mark_all)
        layout.addLayout(head)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self.on_open)
        self.list.itemClicked.connect(self.on_open)
        layout.addWidget(self.list, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Notifications"))
        self.mark_all.setText(self.tr("Mark all read"))

    def refresh(self) -> None:
        self.retranslate()
        self.list.clear()
        items = self.ctx.ops.read_now(notes.list_notifications, limit=100)
        if not items:
            QListWidgetItem(self.tr("No notifications"), self.list).setFlags(
                Qt.ItemFlag.NoItemFlags
            )
            return
        for n in items:
            when = i18n.when(n.created_at, short=True)
            text = f"{n.title}\n{n.body}\n{when}" if n.body else f"{n.title}\n{when}"
            item = QListWidgetItem(text, self.list)
            item.setData(Qt.ItemDataRole.UserRole, (n.id, n.ref))
            if not n.read:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)

    def popup_at(self, corner: QPoint) -> None:
        self.adjustSize()
        self.move(corner - QPoint(self.width(), self.height()))
        self.show()

    def on_open(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if not data:
            return
        nid, ref = data
        self._mark([nid])
        self.hide()
        if ref:
            self.open_requested.emit(ref)

    def on_mark_all(self) -> None:
        self._mark(None)
        self.refresh()

    def _mark(self, ids: list[int] | None) -> None:
        self.ctx.ops.write_now(notes.mark_read, ids)
        self.changed.emit()
