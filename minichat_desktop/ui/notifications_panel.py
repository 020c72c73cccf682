"""The in-app list of notifications (new chats and messages, orders, low stock, payment
slips) as rows with an icon for what each is about, the title (bold with a green dot while
unread), the first lines of the body and the time, in the app's language; clicking one opens
what it is about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.lazy import lazy_module
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext

if TYPE_CHECKING:
    from minichat_desktop.domain.activity import notifications as notes
else:
    notes = lazy_module("minichat_desktop.domain.activity.notifications")


# The icon of what a notification is about (the section it opens).
ICONS = {
    "new_conversation": "inbox",
    "new_message": "inbox",
    "escalated": "inbox",
    "message_failed": "inbox",
    "new_order": "orders",
    "payment_slip": "orders",
    "low_stock": "catalog",
    "line_quota": "line",
    "backup": "settings",
}
ROLE = Qt.ItemDataRole.UserRole + 1  # (kind, title, body, when, unread)


class NotificationDelegate(QStyledItemDelegate):
    """One notification as a row: icon, title (bold and dotted while unread), two lines of
    body, the time at the right, a line under it."""

    HEIGHT = 72

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(200, self.HEIGHT if index.data(ROLE) else 40)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:  # fmt: skip
        data = index.data(ROLE)
        if not data:
            super().paint(painter, option, index)
            return
        kind, title, body, when, unread = data
        r = option.rect
        painter.save()
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.fillRect(r, QColor(theme.PANEL if hovered else theme.WHITE))
        painter.setPen(QColor(theme.LINE_COLOR))
        painter.drawLine(r.bottomLeft(), r.bottomRight())
        theme.icon(ICONS.get(kind, "bell")).paint(
            painter, QRect(r.left() + 12, r.top() + 12, 22, 22)
        )
        base = QFont(option.font)
        fm = QFontMetrics(base)
        when_w = fm.horizontalAdvance(when)
        left, right = r.left() + 46, r.right() - 12
        painter.setFont(base)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(
            QRect(right - when_w, r.top() + 10, when_w, 20), Qt.AlignmentFlag.AlignRight, when
        )
        head = QFont(base)
        head.setBold(unread)
        painter.setFont(head)
        painter.setPen(QColor(theme.INK))
        title_w = right - left - when_w - (22 if unread else 10)
        painter.drawText(
            QRect(left, r.top() + 10, title_w, 20),
            Qt.AlignmentFlag.AlignLeft,
            QFontMetrics(head).elidedText(title, Qt.TextElideMode.ElideRight, title_w),
        )
        if unread:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.GREEN))
            painter.drawEllipse(QRect(right - when_w - 14, r.top() + 16, 8, 8))
        painter.setFont(base)
        painter.setPen(QColor(theme.MUTED))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        text = fm.elidedText(
            body.replace("\n", " "), Qt.TextElideMode.ElideRight, (right - left) * 2 - 40
        )
        painter.drawText(QRect(left, r.top() + 32, right - left, r.height() - 36), flags, text)
        painter.restore()


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
        self.list.setItemDelegate(NotificationDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
        lang = i18n.current_language()
        for n in items:
            when = i18n.when(n.created_at, short=True)
            title, body = n.title_in(lang), n.body_in(lang)
            item = QListWidgetItem(f"{title}\n{body}".strip(), self.list)
            item.setData(Qt.ItemDataRole.UserRole, (n.id, n.ref))
            item.setData(ROLE, (n.kind, title, body, when, not n.read))

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
