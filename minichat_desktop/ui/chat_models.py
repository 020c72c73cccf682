"""Qt models and delegates of the inbox: the conversation list and the message list.

Both are model/view with lazy loading (conversations in pages, older messages on scroll up),
so an inbox of thousands of conversations and hundreds of thousands of messages stays quick.
Everything a shopper wrote is painted as plain text with ``QPainter.drawText`` — never parsed
as rich text — so ``<img src=x>`` shows literally.
"""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from minichat_desktop.domain import glossary
from minichat_desktop.domain.conversations.window import META_CHANNELS, messaging_window
from minichat_desktop.domain.inbox_reads import ConversationView, MessageView
from minichat_desktop.domain.thai import format_baht, format_phone
from minichat_desktop.ui import avatars, i18n, theme
from minichat_desktop.ui.i18n import current_language, t

ROLE_ITEM = Qt.ItemDataRole.UserRole + 1
ROLE_AVATAR = Qt.ItemDataRole.UserRole + 2  # the shopper's round avatar (a QPixmap)
AVATAR = 36  # pixels across, in the conversation list
Index = QModelIndex | QPersistentModelIndex


def bangkok_time(when: dt.datetime | None, *, with_date: bool = False) -> str:
    """A chat time: ``14:05`` today, ``5 ธ.ค. 14:05`` earlier this year, with the year
    before that (``with_date``: never the time alone)."""
    if when is None:
        return ""
    return i18n.when(when, short=not with_date)


# ---------------------------------------------------------------------------- conversations


def conversation_title(conv: ConversationView) -> str:
    """The name to show: the customer's, else "Web visitor #a1b2" / "LINE user #a1b2"."""
    if conv.customer_name or conv.title:
        return conv.customer_name or conv.title
    who = {
        "line": t("LINE user"),
        "messenger": t("Messenger user"),
        "instagram": t("Instagram user"),
    }.get(conv.channel, t("Web visitor"))
    return f"{who} #{conv.ref[-4:]}"


class Answering(enum.StrEnum):
    """Who answers the shopper now, from the conversation's real state (one answer for the
    list's chip and the open chat's header)."""

    BOT = "bot"  # the bot answers (everything, or questions only)
    NEEDS_YOU = "needs_you"  # the shopper asked for a person, or the bot is off: nobody answers
    YOU = "you"  # taken over: a person answers and the bot is silent


def answering(conv: ConversationView, now: dt.datetime | None = None) -> Answering:
    """Taken over wins (a person answers, even in a chat escalated before); then an escalated
    chat, a bot switched off, or a Messenger/Instagram chat past Meta's 24 hours (the bot may
    not send there) waits for the owner; else the bot answers."""
    if conv.mode == "human":
        return Answering.YOU
    if conv.status == "escalated" or conv.bot_mode == "off" or past_bot_window(conv, now):
        return Answering.NEEDS_YOU
    return Answering.BOT


def past_bot_window(conv: ConversationView, now: dt.datetime | None = None) -> bool:
    """Whether Meta's messaging window keeps the bot out of this chat now."""
    if conv.channel not in META_CHANNELS:
        return False
    at = now or dt.datetime.now(dt.UTC)
    return not messaging_window(conv.channel, conv.last_inbound_at, at).bot_may_send


def answering_chip(state: Answering) -> str:
    """The chip's word: บอท / รอคุณ / คนตอบ (domain.glossary)."""
    return glossary.name_of(glossary.CHAT_STATE, state.value, current_language())


class ConversationListModel(QAbstractListModel):
    """Conversations, newest activity first. ``fetcher(offset, limit)`` loads a page.
    ``data_dir`` is where the customers' pictures are kept (None: initials only)."""

    PAGE = 100

    def __init__(self, data_dir: Path | None = None) -> None:
        super().__init__()
        self.rows: list[ConversationView] = []
        self.more = False
        self.data_dir = data_dir

    def reset(self, rows: list[ConversationView], more: bool) -> None:
        self.beginResetModel()
        self.rows = rows
        self.more = more
        self.endResetModel()

    def append(self, rows: list[ConversationView], more: bool) -> None:
        known = {r.id for r in self.rows}
        rows = [r for r in rows if r.id not in known]
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.more = more

    def replace(self, view: ConversationView) -> None:
        for i, row in enumerate(self.rows):
            if row.id == view.id:
                self.rows[i] = view
                idx = self.index(i)
                self.dataChanged.emit(idx, idx)
                return

    def row_of(self, conversation_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == conversation_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == ROLE_ITEM:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return conversation_title(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            channel = glossary.name_of(glossary.CHANNEL, row.channel, current_language())
            return f"{conversation_title(row)}\n{channel} · {row.ref}"
        if role == ROLE_AVATAR:
            path = avatars.picture_path(self.data_dir, row.customer_picture)
            return avatars.avatar(path, conversation_title(row), row.ref, AVATAR)
        return None


class ConversationDelegate(QStyledItemDelegate):
    HEIGHT = 64
    MIN_WIDTH = 200

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icons = {c: theme.channel_icon(c) for c in theme.CHANNEL_ICONS}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # Only the height: a list in ListMode gives each row the viewport's width (a width
        # taken from option.rect was that of the first layout and pushed the time and the
        # badges behind a horizontal scrollbar once the list got narrower).
        return QSize(self.MIN_WIDTH, self.HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        conv: ConversationView = index.data(ROLE_ITEM)
        painter.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(rect, QColor(theme.GREEN_TINT) if selected else QColor(theme.WHITE))
        painter.setPen(QColor(theme.LINE_COLOR))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        self._avatar(painter, index, conv, rect, selected)
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(conv.unread > 0)
        bold.setPointSizeF(base.pointSizeF() + 0.5)
        left = rect.left() + 20 + AVATAR
        right = rect.right() - 10
        when = bangkok_time(conv.last_message_at)
        painter.setFont(base)
        fm = QFontMetrics(base)
        painter.setPen(QColor(theme.MUTED))
        time_w = fm.horizontalAdvance(when)
        painter.drawText(
            QRect(right - time_w, rect.top() + 8, time_w, 20), Qt.AlignmentFlag.AlignRight, when
        )
        painter.setFont(bold)
        painter.setPen(QColor(theme.INK))
        name_rect = QRect(left, rect.top() + 8, right - left - time_w - 8, 22)
        name = QFontMetrics(bold).elidedText(
            conversation_title(conv), Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine, name)
        # Badges: who answers now, and the unread count.
        x = right
        if conv.unread:
            text = str(conv.unread) if conv.unread < 100 else "99+"
            w = max(20, fm.horizontalAdvance(text) + 10)
            x -= w
            self._pill(painter, QRect(x, rect.top() + 34, w, 18), theme.RED, text, base)
            x -= 6
        state = answering(conv)
        colour = {Answering.BOT: theme.GREEN, Answering.NEEDS_YOU: theme.AMBER}.get(
            state, theme.BLUE
        )
        chip = answering_chip(state)
        w = fm.horizontalAdvance(chip) + 12
        x -= w
        self._pill(painter, QRect(x, rect.top() + 34, w, 18), colour, chip, base)
        x -= 6
        painter.setFont(base)
        painter.setPen(QColor(theme.MUTED))
        preview_rect = QRect(left, rect.top() + 33, x - left, 20)
        preview = fm.elidedText(
            conv.last_preview, Qt.TextElideMode.ElideRight, preview_rect.width()
        )
        painter.drawText(
            preview_rect, Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine, preview
        )
        painter.restore()

    def _avatar(
        self, painter: QPainter, index: Index, conv: ConversationView, rect: QRect, selected: bool
    ) -> None:
        """The shopper's round avatar, their channel's mark on its lower right corner (on a
        ring of the row's colour, so it stands apart from the picture)."""
        top = rect.top() + (rect.height() - AVATAR) // 2
        box = QRect(rect.left() + 10, top, AVATAR, AVATAR)
        pm = index.data(ROLE_AVATAR)
        if isinstance(pm, QPixmap) and not pm.isNull():
            painter.drawPixmap(box, pm)
        mark = 16
        corner = QRect(box.right() - mark + 4, box.bottom() - mark + 4, mark, mark)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.GREEN_TINT if selected else theme.WHITE))
        painter.drawEllipse(corner.adjusted(-2, -2, 2, 2))
        painter.restore()
        self.icons.get(conv.channel, self.icons["widget"]).paint(painter, corner)

    @staticmethod
    def _pill(painter: QPainter, rect: QRect, color: str, text: str, font: QFont) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(rect, 9, 9)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.setPen(QColor(theme.WHITE))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


# ---------------------------------------------------------------------------- messages


class MessageListModel(QAbstractListModel):
    """The open conversation's messages, oldest at the top; older ones are prepended."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[MessageView] = []
        self.has_older = False
        self.images: dict[str, QPixmap] = {}
        self.unavailable: set[str] = set()  # pictures that could not be fetched or read

    def reset(self, rows: list[MessageView], has_older: bool) -> None:
        self.beginResetModel()
        self.rows = rows
        self.has_older = has_older
        self.endResetModel()

    def prepend(self, rows: list[MessageView], has_older: bool) -> None:
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self.rows[0:0] = rows
            self.endInsertRows()
        self.has_older = has_older

    def merge_new(self, rows: list[MessageView]) -> None:
        """Add messages not shown yet and refresh changed ones (states, receipts)."""
        by_id = {m.id: i for i, m in enumerate(self.rows)}
        fresh = []
        for m in rows:
            if m.id in by_id:
                i = by_id[m.id]
                if self.rows[i] != m:
                    self.rows[i] = m
                    idx = self.index(i)
                    self.dataChanged.emit(idx, idx)
            elif not self.rows or m.id > self.rows[-1].id:
                fresh.append(m)
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()

    def set_image(self, uid: str, pixmap: QPixmap) -> None:
        self.images[uid] = pixmap
        for i, m in enumerate(self.rows):
            if m.uid == uid:
                idx = self.index(i)
                self.dataChanged.emit(idx, idx)

    def set_unavailable(self, uid: str) -> None:
        """The picture will not come (gone from the relay, not a picture): the bubble says so
        instead of "loading" for ever."""
        self.unavailable.add(uid)
        for i, m in enumerate(self.rows):
            if m.uid == uid:
                idx = self.index(i)
                self.dataChanged.emit(idx, idx)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        m = self.rows[index.row()]
        if role == ROLE_ITEM:
            return m
        if role == Qt.ItemDataRole.DisplayRole:
            return message_lines(m)[0] if message_lines(m) else ""
        if role == Qt.ItemDataRole.ToolTipRole and m.state == "failed":
            return t("Not sent: the relay refused this message. Notifications (the bell) say why.")
        return None


def note_text(m: MessageView) -> str:
    """A note in the chat for the owner (the bot kept quiet, and why), in the screen's
    language, with its time."""
    said = m.body.get("text_en") if current_language() == "en" else None
    return f"— {said or m.text} · {bangkok_time(m.created_at)} —"


def message_lines(m: MessageView) -> list[str]:
    """The text lines a message shows (plain text; never markup)."""
    b = m.body
    kind = m.kind
    if kind == "text":
        return [str(b.get("text", ""))]
    if kind == "image":
        caption = str(b.get("caption") or "")
        return [caption] if caption else []
    if kind == "product_card":
        c = b.get("card") or {}
        return _card_lines(c)
    if kind == "carousel":
        lines = [str(b["text"])] if b.get("text") else []
        for c in b.get("cards", []):
            price = format_baht(int(c.get("price_satang", 0)), symbol=True)
            lines.append(f"• {c.get('title', '')} — {price}")
        return lines
    if kind == "buttons":
        return [str(b.get("text", ""))] + [f"[{x.get('label', '')}]" for x in b.get("buttons", [])]
    if kind == "cart":
        lines = [t("Cart")]
        for it in b.get("items", []):
            variant = f" ({it['variant']})" if it.get("variant") else ""
            lines.append(
                f"{it.get('name', '')}{variant} × {it.get('quantity', 0)} = "
                f"{format_baht(int(it.get('line_total_satang', 0)), symbol=True)}"
            )
        lines.append(f"{t('Total')} {format_baht(int(b.get('total_satang', 0)), symbol=True)}")
        return lines
    if kind == "order_status":
        lines = [
            f"{t('Order')} {b.get('order_no', '')}: {b.get('status_label') or b.get('status')}",
            f"{t('Total')} {format_baht(int(b.get('total_satang', 0)), symbol=True)}",
        ]
        if b.get("tracking_no"):
            lines.append(f"{b.get('carrier') or ''} {b['tracking_no']}".strip())
        return lines
    if kind == "contact":
        return contact_lines(b)
    return [m.text]


def contact_lines(b: dict[str, Any]) -> list[str]:
    """The widget's away form: the number to call back, the name and the note the shopper
    typed (each only when given)."""
    lines = [f"{t('Call-back request')}: {format_phone(str(b.get('phone', '')))}"]
    if b.get("name"):
        lines.append(f"{t('Name')}: {b['name']}")
    if b.get("note"):
        lines.append(f"{t('Note')}: {b['note']}")
    return lines


def _card_lines(c: dict[str, Any]) -> list[str]:
    lines = [str(c.get("title", ""))]
    if c.get("subtitle"):
        lines.append(str(c["subtitle"]))
    price = format_baht(int(c.get("price_satang", 0)), symbol=True)
    if c.get("compare_at_satang"):
        price += f"  ({t('was')} {format_baht(int(c['compare_at_satang']), symbol=True)})"
    lines.append(price)
    if not c.get("in_stock", True):
        lines.append(t("out of stock"))
    return lines


# A sent message's state as one of our icons after its time (queued, sent, delivered, read,
# failed), in the meta line's colour; read in the brand green.
STATE_ICONS = {
    "queued": "clock",
    "sent": "check",
    "delivered": "check-double",
    "read": "check-double",
    "failed": "alert",
}


class MessageDelegate(QStyledItemDelegate):
    """Chat bubbles: the shopper's on the left, the shop's on the right, notices centred."""

    PAD = 10
    MAX_FRACTION = 0.68
    IMAGE_MAX = 220

    def __init__(self, model: MessageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        # Laying out wrapped Thai text is the costly part of painting a long chat: remember
        # each message's layout per width (a message's text never changes; a picture that
        # arrives later drops its entry).
        self._layouts: dict[tuple[int, int, bool], tuple[int, int, list[str]]] = {}
        model.modelReset.connect(self._layouts.clear)

    def _layout(self, m: MessageView, width: int, font: QFont) -> tuple[int, int, list[str]]:
        key = (m.id, width, m.uid in self.model.images)
        cached = self._layouts.get(key)
        if cached is None:
            cached = self._layouts[key] = self._measure(m, width, font)
        return cached

    def _measure(self, m: MessageView, width: int, font: QFont) -> tuple[int, int, list[str]]:
        lines = message_lines(m)
        text = "\n".join(lines)
        max_w = max(120, int(width * self.MAX_FRACTION))
        fm = QFontMetrics(font)
        flags = int(Qt.TextFlag.TextWordWrap)
        box = (
            fm.boundingRect(QRect(0, 0, max_w - 2 * self.PAD, 100_000), flags, text)
            if text
            else QRect(0, 0, 0, 0)
        )
        w = box.width() + 2 * self.PAD
        h = box.height() + 2 * self.PAD
        if m.kind == "image":
            pm = self.model.images.get(m.uid)
            iw, ih = (pm.width(), pm.height()) if pm else (160, 100)
            scale = min(1.0, self.IMAGE_MAX / max(iw, ih))
            w = max(w, int(iw * scale) + 2 * self.PAD)
            h += int(ih * scale)
        meta = fm.height() + 2
        return max(w, 90), h + meta, lines

    def _image_size(self, pm: QPixmap) -> QSize:
        scale = min(1.0, self.IMAGE_MAX / max(pm.width(), pm.height(), 1))
        return QSize(int(pm.width() * scale), int(pm.height() * scale))

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        m: MessageView = index.data(ROLE_ITEM)
        width = option.rect.width() or 600
        if m.kind == "takeover":
            return QSize(width, QFontMetrics(option.font).height() + 20)
        if m.kind == "note":
            box = QFontMetrics(option.font).boundingRect(
                QRect(0, 0, max(80, width - 48), 100000),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                note_text(m),
            )
            return QSize(width, box.height() + 20)
        _, h, _ = self._layout(m, width, option.font)
        return QSize(width, h + 12)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        m: MessageView = index.data(ROLE_ITEM)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        font = QFont(option.font)
        fm = QFontMetrics(font)
        painter.setFont(font)
        if m.kind == "takeover":
            painter.setPen(QColor(theme.MUTED))
            small = QFont(font)
            small.setItalic(True)
            painter.setFont(small)
            painter.drawText(
                rect, Qt.AlignmentFlag.AlignCenter, f"— {m.text} · {bangkok_time(m.created_at)} —"
            )
            painter.restore()
            return
        if m.kind == "note":  # for the owner only (never sent): why the bot kept quiet
            painter.setPen(QColor(theme.MUTED))
            small = QFont(font)
            small.setItalic(True)
            painter.setFont(small)
            painter.drawText(
                rect.adjusted(24, 10, -24, -10),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                note_text(m),
            )
            painter.restore()
            return
        w, h, lines = self._layout(m, rect.width(), font)
        incoming = m.direction == "in"
        x = rect.left() + 12 if incoming else rect.right() - 12 - w
        bubble = QRect(x, rect.top() + 6, w, h - fm.height() - 2)
        path = QPainterPath()
        path.addRoundedRect(bubble.toRectF(), 12, 12)
        fill = (
            QColor(theme.WHITE)
            if incoming
            else (QColor(theme.AMBER_TINT) if m.author == "bot" else QColor(theme.SELECTION))
        )
        painter.fillPath(path, fill)
        painter.setPen(QPen(QColor(theme.LINE_COLOR)))
        painter.drawPath(path)
        inner = bubble.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        if m.kind == "image":
            pm = self.model.images.get(m.uid)
            if pm is not None:
                scaled = pm.scaled(
                    self._image_size(pm),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                painter.drawPixmap(inner.left(), inner.top(), scaled)
                inner.setTop(inner.top() + scaled.height())
            else:
                painter.setPen(QColor(theme.MUTED))
                gone = m.uid in self.model.unavailable
                painter.drawText(
                    QRect(inner.left(), inner.top(), inner.width(), 100),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    t("[picture not available]") if gone else t("[picture loading…]"),
                )
                inner.setTop(inner.top() + 100)
        painter.setPen(QColor(theme.INK))
        if lines:
            painter.drawText(inner, int(Qt.TextFlag.TextWordWrap), "\n".join(lines))
        # Meta line: time, who, delivery state.
        meta = bangkok_time(m.created_at)
        colour = theme.RED if m.state == "failed" else theme.MUTED
        meta_rect = QRect(bubble.left(), bubble.bottom() + 2, bubble.width(), fm.height())
        if not incoming:
            who = glossary.actor_name(m.author, current_language())  # บอท, เจ้าของร้าน, a name
            meta = f"{who} · {meta}"
            mark = STATE_ICONS.get(m.state)
            if mark is not None:
                size = 14
                tint = theme.GREEN if m.state == "read" else colour
                top = meta_rect.top() + (meta_rect.height() - size) // 2
                painter.drawPixmap(
                    meta_rect.right() - size, top, theme.icon_pixmap(mark, tint, size)
                )
                meta_rect.setRight(meta_rect.right() - size - 3)
        painter.setPen(QColor(colour))
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.drawText(
            meta_rect,
            (Qt.AlignmentFlag.AlignLeft if incoming else Qt.AlignmentFlag.AlignRight),
            meta,
        )
        painter.restore()
