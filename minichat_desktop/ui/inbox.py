"""The inbox: every conversation from the web widget and LINE, the chat, the composer, takeover
and bot modes, and the customer beside it.

Take over → the bot falls silent at once and the shopper is told a person is answering.
Hand back to the bot → the bot answers again, in passive mode (questions only), and the shopper
is told. The bot mode of a conversation (active / passive / off) can be changed here; the
shop's default is in Settings. The header and the list's chips say who answers now
(:func:`chat_models.answering`): บอท, รอคุณ (asked for a person, or the bot is off) or คุณตอบอยู่.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain import glossary, inbox_reads
from minichat_desktop.domain.conversations.window import META_CHANNELS, as_utc
from minichat_desktop.domain.enums import BotMode, ConversationStatus, PipelineStatus
from minichat_desktop.domain.thai import format_baht, format_phone
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.lazy import lazy_module
from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.ui import avatars, theme
from minichat_desktop.ui.chat_models import (
    ROLE_ITEM,
    Answering,
    ConversationDelegate,
    ConversationListModel,
    MessageDelegate,
    MessageListModel,
    answering,
    conversation_title,
    past_bot_window,
)
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import ask, choose_file_to_open
from minichat_desktop.ui.empty_state import EmptyState
from minichat_desktop.ui.errors import show_error
from minichat_desktop.ui.i18n import current_language
from minichat_desktop.ui.list_rows import Row, fill
from minichat_desktop.ui.pictures import read_picture as read_picture
from minichat_desktop.ui.settings_common import alive
from minichat_desktop.ui.window_line import WindowLine

if TYPE_CHECKING:
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.conversations import conversations as convs
    from minichat_desktop.domain.customers import customers
    from minichat_desktop.domain.sales import order_notify, orders
    from minichat_desktop.sync import media
    from minichat_desktop.ui import orders_models as order_words
    from relay import protocol as p
else:  # loaded after the window's first paint (see minichat_desktop/lazy.py)
    order_words = lazy_module("minichat_desktop.ui.orders_models")
    catalog = lazy_module("minichat_desktop.domain.catalog.products")
    customers = lazy_module("minichat_desktop.domain.customers.customers")
    orders = lazy_module("minichat_desktop.domain.sales.orders")
    order_notify = lazy_module("minichat_desktop.domain.sales.order_notify")
    convs = lazy_module("minichat_desktop.domain.conversations.conversations")
    media = lazy_module("minichat_desktop.sync.media")
    p = lazy_module("relay.protocol")

from minichat_desktop.ui.theme import push_button
from minichat_desktop.ui.wrap_layout import WrapLayout

log = logging.getLogger(__name__)


class ElidedLabel(QLabel):
    """One line of plain text cut with "…" to the width it is given (a long customer name
    never pushes the chat's buttons off the page); the whole text is the tooltip."""

    WIDEST = 260  # a longer text asks for no more room than this; it is cut with "…"

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._full = ""
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        wanted = self.fontMetrics().horizontalAdvance(self._full) + 4
        return QSize(min(wanted, self.WIDEST), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(self.width(), 40)
        )
        super().setText(shown)


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter makes a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ProductPicker(QDialog):
    """Search the catalog and pick a product to send as a card."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Send a product"))
        self.resize(460, 420)
        layout = QVBoxLayout(self)
        self.search = QLineEdit(placeholderText=self.tr("Search products (Thai, English, SKU)"))
        self.list = QListWidget()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.timer = QTimer(self, singleShot=True, interval=150)
        self.timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self._seq = 0
        self.run_search()

    @asyncSlot()
    async def run_search(self) -> None:
        self._seq += 1
        seq = self._seq
        hits = await self.ctx.ops.read(catalog.search_products, self.search.text(), limit=40)
        if seq != self._seq:
            return  # a newer query is on its way
        rows = []
        for h in hits:
            out = h.track_inventory and h.stock <= 0
            stock = self.tr("Out of stock") if out else self.tr("in stock: {n}").format(n=h.stock)
            detail = f"{h.sku} · {stock}" if h.track_inventory else h.sku
            price = format_baht(h.price_satang, symbol=True)
            rows.append(Row(h.name_th, h.product_id, detail, price, warn=out))
        fill(self.list, rows)
        if self.list.count():
            self.list.setCurrentRow(0)

    def chosen(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))


def product_card(view: catalog.ProductView) -> p.ProductCard:
    """A card made from catalog facts only (price and stock come from the database)."""
    in_stock = (not view.track_inventory) or view.stock > 0
    return p.ProductCard(
        p.Card(
            product_id=view.sku[:64],
            title=view.name_th[:80],
            price_satang=view.price_satang,
            subtitle=(view.name_en or view.category)[:80] or None,
            compare_at_satang=view.compare_at_satang,
            in_stock=in_stock,
            buttons=(
                p.Button("สนใจสินค้านี้", p.ButtonAction.POSTBACK, data=f"product:{view.sku}"[:300]),
            ),
        )
    )


def order_line(o: orders.OrderSummary) -> str:
    """An order in the customer panel, in the Orders screen's words, on two lines:
    ``MC-2026-000209`` then ``รอดำเนินการ · ยังไม่ชำระ · ฿1,040.00``."""
    parts = [order_words.status_label(o.status)]
    if o.status not in ("cancelled", "refunded"):
        parts.append(order_words.payment_label(o.payment_status))
    parts.append(format_baht(o.total_satang, symbol=True))
    return f"{o.number}\n{' · '.join(parts)}"


class CustomerPanel(QFrame):
    """The customer of the open conversation: editable details, pipeline, orders; and the
    conversation's own tags and notes."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.customer_id: int | None = None
        self.conversation_id: int | None = None
        self.setMinimumWidth(260)
        layout = QVBoxLayout(self)
        self.title = QLabel(objectName="Title")
        layout.addWidget(self.title)
        layout.addLayout(self._build_who())
        form = QFormLayout()
        self.name = QLineEdit()
        self.phone = QLineEdit()
        self.tags = QLineEdit()
        self.status = QComboBox()
        for s in PipelineStatus:
            self.status.addItem(s.value, s.value)
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(80)
        self.name_label, self.phone_label = QLabel(), QLabel()
        self.tags_label, self.status_label, self.notes_label = QLabel(), QLabel(), QLabel()
        form.addRow(self.name_label, self.name)
        form.addRow(self.phone_label, self.phone)
        form.addRow(self.tags_label, self.tags)
        form.addRow(self.status_label, self.status)
        form.addRow(self.notes_label, self.notes)
        layout.addLayout(form)
        self.save = QPushButton()
        self.save.setProperty("primary", True)
        self.save.clicked.connect(self.on_save)
        layout.addWidget(self.save)
        self.orders_title = QLabel(objectName="Muted")
        self.orders = QListWidget()
        self.orders.setMaximumHeight(140)
        self.orders.setWordWrap(True)  # an order is two lines: never a sideways scrollbar
        self.orders.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.orders_title)
        layout.addWidget(self.orders)
        self.conv_title = QLabel(objectName="Muted")
        self.conv_tags = QLineEdit()
        self.conv_notes = QPlainTextEdit()
        self.conv_notes.setMaximumHeight(70)
        self.conv_save = QPushButton()
        self.conv_save.clicked.connect(self.on_save_conversation)
        layout.addWidget(self.conv_title)
        layout.addWidget(self.conv_tags)
        layout.addWidget(self.conv_notes)
        layout.addWidget(self.conv_save)
        layout.addStretch(1)
        self.retranslate()
        self.setEnabled(False)

    PICTURE = 48  # the customer's avatar, pixels across

    def _build_who(self) -> QHBoxLayout:
        """The customer's picture (or initials) beside their name and their chat's channel."""
        row = QHBoxLayout()
        self.picture = QLabel()
        self.picture.setFixedSize(self.PICTURE, self.PICTURE)
        self.who = ElidedLabel()
        theme.role(self.who, "strong")
        self.channel = QLabel()
        theme.tone(self.channel, "muted")
        words = QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.who)
        words.addWidget(self.channel)
        row.addWidget(self.picture)
        row.addLayout(words, 1)
        self._conv: inbox_reads.ConversationView | None = None
        return row

    def _show_who(self, name: str, picture: str) -> None:
        conv = self._conv
        if conv is None:
            return
        shown = name or conversation_title(conv)
        path = avatars.picture_path(self.ctx.data_dir, picture)
        self.picture.setPixmap(avatars.avatar(path, shown, conv.ref, self.PICTURE))
        self.who.setText(shown)
        lang = current_language()
        self.channel.setText(glossary.name_of(glossary.CHANNEL, conv.channel, lang))

    def retranslate(self) -> None:
        self.title.setText(self.tr("Customer"))
        self.name_label.setText(self.tr("Name"))
        self.phone_label.setText(self.tr("Phone"))
        self.tags_label.setText(self.tr("Tags"))
        self.status_label.setText(self.tr("Pipeline"))
        self.notes_label.setText(self.tr("Notes"))
        self.save.setText(self.tr("Save customer"))
        self.orders_title.setText(self.tr("Orders"))
        self.conv_title.setText(self.tr("This chat: tags and notes"))
        self.conv_tags.setPlaceholderText(self.tr("tags, comma separated"))
        self.conv_save.setText(self.tr("Save chat notes"))
        lang = current_language()
        for i in range(self.status.count()):
            stage = str(self.status.itemData(i))
            self.status.setItemText(i, glossary.name_of(glossary.PIPELINE, stage, lang))
        if self._conv is not None:
            self.channel.setText(glossary.name_of(glossary.CHANNEL, self._conv.channel, lang))

    def show_for(self, conv: inbox_reads.ConversationView) -> None:
        """Fill the panel for the chat just opened (read now: it paints with the chat)."""
        self.conversation_id = conv.id
        self.customer_id = conv.customer_id
        self._conv = conv
        self._show_who(conv.customer_name, conv.customer_picture)
        self.conv_tags.setText(", ".join(conv.tags))
        self.conv_notes.setPlainText(conv.notes)
        self.setEnabled(True)
        if conv.customer_id is None:
            return
        c = self.ctx.ops.read_now(customers.get_customer, conv.customer_id)
        rows = self.ctx.ops.read_now(
            orders.list_orders, orders.OrderFilters(customer_id=c.id), limit=20
        )
        self._fill(c, rows, keep_typing=False)

    async def refresh(self) -> None:
        """Read the customer and their orders again (an order paid on the Orders screen, a
        name left through the widget's contact form). What the owner is typing here is kept."""
        customer_id = self.customer_id
        if customer_id is None:
            return
        c = await self.ctx.ops.read(customers.get_customer, customer_id)
        rows = await self.ctx.ops.read(
            orders.list_orders, orders.OrderFilters(customer_id=customer_id), limit=20
        )
        if alive(self) and self.customer_id == customer_id:  # (closed while it read: quitting)
            self._fill(c, rows, keep_typing=True)

    def _fill(
        self, c: customers.CustomerView, rows: list[orders.OrderSummary], *, keep_typing: bool
    ) -> None:
        self.customer_id = c.id
        self._show_who(c.name, c.picture)
        edited = keep_typing and (
            self.name.isModified()
            or self.phone.isModified()
            or self.tags.isModified()
            or self.notes.document().isModified()
        )
        if not edited:
            self.name.setText(c.name)
            self.phone.setText(c.phone)
            self.tags.setText(", ".join(c.tags))
            self.status.setCurrentIndex(max(0, self.status.findData(c.status)))
            self.notes.setPlainText(c.notes)
            self.notes.document().setModified(False)
        self.orders.clear()
        for o in rows:
            item = QListWidgetItem(order_line(o), self.orders)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
        if not rows:
            QListWidgetItem(self.tr("No orders yet"), self.orders)

    @asyncSlot()
    async def on_save(self) -> None:
        if self.customer_id is None:
            return
        try:
            await self.ctx.ops.write(
                customers.update_customer,
                self.customer_id,
                self.ctx.ops.actor,
                name=self.name.text(),
                phone=self.phone.text(),
                tags=[x for x in self.tags.text().split(",")],
                status=self.status.currentData(),
                notes=self.notes.toPlainText(),
            )
        except DomainError as exc:
            show_error(self, exc)
            return
        for field in (self.name, self.phone, self.tags):
            field.setModified(False)
        self.notes.document().setModified(False)

    @asyncSlot()
    async def on_save_conversation(self) -> None:
        if self.conversation_id is None:
            return
        await self.ctx.ops.write(
            convs.update_details,
            self.conversation_id,
            tags=self.conv_tags.text().split(","),
            notes=self.conv_notes.toPlainText(),
        )


class InboxScreen(QWidget):
    PAGE = 100
    MESSAGES = 60
    settings_wanted = Signal()  # "set up the widget and LINE" from the empty inbox

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.current: inbox_reads.ConversationView | None = None
        self._list_seq = 0
        self._last_typing = 0.0
        self._loading_older = False

        left = self._build_list()
        centre = QStackedWidget()
        self.pick_hint = self._build_pick_hint()
        self.chat = self._build_chat()
        centre.addWidget(self.pick_hint)
        centre.addWidget(self.chat)
        self.centre = centre
        self.customer = CustomerPanel(ctx)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(centre)
        split.addWidget(self.customer)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        split.setSizes([320, 640, 280])
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

        ctx.signals.messages_stored_sig.connect(self.on_messages_stored)
        ctx.signals.conversations_changed_sig.connect(self.on_conversations_changed)
        ctx.ops.changed.connect(self.on_data_changed)
        self.retranslate()
        self._set_enabled(False)
        self._initial_load()

    # ------------------------------------------------------------------ building

    def _build_list(self) -> QWidget:
        """Left: the status filter, the search and the conversation list (or what will
        appear there)."""
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(8, 8, 0, 8)
        self.filter = QComboBox()
        self.filter_values = [
            "",
            ConversationStatus.ACTIVE,
            ConversationStatus.PENDING,
            ConversationStatus.RESOLVED,
            ConversationStatus.ESCALATED,
        ]
        for _ in self.filter_values:
            self.filter.addItem("")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.list_model = ConversationListModel(self.ctx.data_dir)
        self.list = QListView()
        self.list.setModel(self.list_model)
        self.list.setItemDelegate(ConversationDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.clicked.connect(self.on_pick)
        self.list.activated.connect(self.on_pick)
        self.list.verticalScrollBar().valueChanged.connect(self.on_list_scrolled)
        lv.addWidget(self.filter)
        lv.addWidget(self.search)
        lv.addWidget(self.list, 1)
        # In the list's place while it is empty: what will appear here, or that nothing
        # matches the search.
        self.empty = EmptyState()
        self.empty.acted.connect(self.settings_wanted.emit)
        lv.addWidget(self.empty, 1)
        for sig in (
            self.list_model.modelReset,
            self.list_model.rowsInserted,
            self.list_model.rowsRemoved,
        ):
            sig.connect(self._show_empty)
        self.search_timer = QTimer(self, singleShot=True, interval=200)
        self.search_timer.timeout.connect(self.refresh_list)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh_list())
        return left

    def _build_pick_hint(self) -> QWidget:
        """Centre, before a chat is chosen: what to do, in the middle of the page (no empty
        chat, composer or customer form)."""
        page = QWidget()
        self.pick_empty = EmptyState()
        self.pick_empty.setMaximumWidth(460)
        for label in (self.pick_empty.title, self.pick_empty.text):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.pick_empty, 4)
        row.addStretch(1)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addLayout(row, 2)
        box.addStretch(1)
        return page

    def _build_chat(self) -> QWidget:
        """Centre: who the conversation is with and who answers it, the messages, and the
        composer with its tools."""
        centre = QWidget()
        cv = QVBoxLayout(centre)
        cv.setContentsMargins(8, 8, 8, 8)
        cv.addLayout(self._build_chat_head())
        self._build_messages()
        cv.addWidget(self.messages, 1)
        cv.addLayout(self._build_tools())
        # Messenger/Instagram: how long Meta still lets the shop answer (hidden elsewhere).
        self.window_line = WindowLine()
        self.window_line.closed_changed.connect(lambda _closed: self._composer_allowed())
        cv.addWidget(self.window_line)
        row = QHBoxLayout()
        self.composer = Composer()
        self.composer.setMaximumHeight(90)
        self.composer.submitted.connect(self.on_send)
        self.composer.textChanged.connect(self.on_typing)
        self.send = push_button(self.on_send, primary=True)
        row.addWidget(self.composer, 1)
        row.addWidget(self.send)
        cv.addLayout(row)
        return centre

    def _build_chat_head(self) -> QVBoxLayout:
        """The name and the chat's actions on one row; under them who answers now (บอท /
        รอคุณ / คุณตอบอยู่, from the chat's state) and where the chat comes from."""
        self.who = ElidedLabel(objectName="Title")
        self.takeover = push_button(self.on_takeover, primary=True)
        self.bot_mode = QComboBox()
        for mode in BotMode:
            self.bot_mode.addItem("", mode.value)
        self.bot_mode.activated.connect(self.on_bot_mode)
        self.resolve = push_button(self.on_resolve)
        # The buttons go under the name when the chat is narrow (the minimum window) rather
        # than cutting the name to a few letters.
        top = WrapLayout()
        for w in (self.who, self.bot_mode, self.takeover, self.resolve):
            top.addWidget(w)
        self.answer_chip = QLabel()
        self.answer_chip.setTextFormat(Qt.TextFormat.PlainText)
        self.where = QLabel(objectName="Muted")
        self.where.setTextFormat(Qt.TextFormat.PlainText)
        self.where.setWordWrap(True)
        state = QHBoxLayout()
        state.addWidget(self.answer_chip, 0, Qt.AlignmentFlag.AlignTop)
        state.addWidget(self.where, 1)
        head = QVBoxLayout()
        head.setSpacing(4)
        head.addLayout(top)
        head.addLayout(state)
        return head

    def _build_messages(self) -> None:
        self.msg_model = MessageListModel()
        self.messages = QListView()
        self.messages.setModel(self.msg_model)
        self.messages.setItemDelegate(MessageDelegate(self.msg_model, self.messages))
        self.messages.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.messages.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.messages.setWordWrap(True)
        self.messages.setResizeMode(QListView.ResizeMode.Adjust)
        self.messages.setLayoutMode(QListView.LayoutMode.Batched)
        self.messages.setBatchSize(60)
        self.messages.setObjectName("Messages")  # theme: the conversation on a grey page
        self.messages.verticalScrollBar().valueChanged.connect(self.on_messages_scrolled)

    def _build_tools(self) -> QHBoxLayout:
        """Canned responses, a product card and a picture, above the composer."""
        tools = QHBoxLayout()
        self.canned = QToolButton()
        self.canned.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.canned_menu = QMenu(self.canned)
        self.canned_menu.aboutToShow.connect(self.fill_canned)
        self.canned.setMenu(self.canned_menu)
        self.send_product = push_button(self.on_send_product)
        self.send_image = push_button(self.on_send_image)
        tools.addWidget(self.canned)
        tools.addWidget(self.send_product)
        tools.addWidget(self.send_image)
        tools.addStretch(1)
        return tools

    # ------------------------------------------------------------------ text

    def retranslate(self) -> None:
        labels = [
            self.tr("All chats"),
            self.tr("Active"),
            self.tr("Waiting for reply"),
            self.tr("Resolved"),
            self.tr("Escalated"),
        ]
        for i, label in enumerate(labels):
            self.filter.setItemText(i, label)
        self.search.setPlaceholderText(self.tr("Search name, phone or message"))
        modes = {
            "active": self.tr("Bot: answers all"),
            "passive": self.tr("Bot: questions only"),
            "off": self.tr("Bot: off"),
        }
        for i in range(self.bot_mode.count()):
            self.bot_mode.setItemText(i, modes[self.bot_mode.itemData(i)])
        self.canned.setText(self.tr("Canned replies"))
        self.send_product.setText(self.tr("Send product"))
        self.send_image.setText(self.tr("Send picture"))
        self.send.setText(self.tr("Send"))
        self.composer.setPlaceholderText(
            self.tr("Type a reply… (Enter sends, Shift+Enter for a new line)")
        )
        self.pick_empty.say(
            self.tr("Choose a chat on the left"),
            self.tr("Read it and answer here; the customer's details and orders show beside it."),
        )
        self.customer.retranslate()
        self._show_header()
        self._show_empty()

    def _show_empty(self) -> None:
        empty = self.list_model.rowCount() == 0
        self.list.setVisible(not empty)
        self.empty.setVisible(empty)
        if not empty:
            return
        if self.search.text().strip() or self.filter.currentIndex() > 0:
            self.empty.say(
                self.tr("No chats match"), self.tr("Try another name, phone number or word.")
            )
        else:
            self.empty.say(
                self.tr("No chats yet"),
                self.tr(
                    "When shoppers write to you from the chat on your website or your LINE "
                    "Official Account, their chats appear here at once."
                ),
                self.tr("Set up the website chat and LINE"),
            )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    @property
    def current_id(self) -> int | None:
        return self.current.id if self.current else None

    # ------------------------------------------------------------------ list

    def _filters(self) -> dict[str, Any]:
        status = self.filter_values[self.filter.currentIndex()]
        return {"status": str(status) or None, "search": self.search.text()}

    def _initial_load(self) -> None:
        rows = self.ctx.ops.peek(inbox_reads.conversation_page, limit=self.PAGE, **self._filters())
        self.list_model.reset(rows, len(rows) == self.PAGE)

    @asyncSlot()
    async def refresh_list(self) -> None:
        self._list_seq += 1
        seq = self._list_seq
        shown = max(self.PAGE, self.list_model.rowCount())
        rows = await self.ctx.ops.read(convs.list_conversations, limit=shown, **self._filters())
        if seq != self._list_seq or not alive(self):
            return
        self.list_model.reset(rows, len(rows) == shown)
        if self.current is not None:
            row = self.list_model.row_of(self.current.id)
            if row >= 0:
                self.list.setCurrentIndex(self.list_model.index(row))
                self.current = self.list_model.rows[row]
                self._show_header()

    @asyncSlot(int)
    async def on_list_scrolled(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        if value < bar.maximum() - 40 or not self.list_model.more:
            return
        self.list_model.more = False  # one page at a time
        offset = self.list_model.rowCount()
        rows = await self.ctx.ops.read(
            convs.list_conversations, limit=self.PAGE, offset=offset, **self._filters()
        )
        self.list_model.append(rows, len(rows) == self.PAGE)

    def on_pick(self, index: QModelIndex) -> None:
        conv = index.data(ROLE_ITEM)
        if conv is not None:
            self.open_conversation(conv.id)

    # ------------------------------------------------------------------ conversation

    def open_conversation(self, conversation_id: int) -> None:
        """Show a conversation (its newest messages first paint synchronously: fast)."""
        conv = self.ctx.ops.read_now(convs.get_conversation, conversation_id)
        rows = self.ctx.ops.read_now(convs.messages, conversation_id, limit=self.MESSAGES)
        self.current = conv
        self.msg_model.reset(rows, len(rows) == self.MESSAGES)
        self.messages.scrollToBottom()
        row = self.list_model.row_of(conv.id)
        if row >= 0:
            self.list.setCurrentIndex(self.list_model.index(row))
        self._show_header()
        self._show_window(rows)
        self._set_enabled(True)
        self.customer.show_for(conv)
        self.composer.setFocus()
        self._fetch_images(rows, retry=True)
        if conv.unread:
            self._mark_read(conv.id)

    @asyncSlot()
    async def _mark_read(self, conversation_id: int) -> None:
        up_to = await self.ctx.ops.write(convs.mark_read, conversation_id)
        if up_to and self.current is not None and self.ctx.relay is not None:
            await self.ctx.relay.send_live(p.Read(self.current.ref, up_to))
        view = await self.ctx.ops.read(convs.get_conversation, conversation_id)
        self.list_model.replace(view)

    def _set_enabled(self, on: bool) -> None:
        for w in (
            self.takeover,
            self.bot_mode,
            self.resolve,
            self.canned,
            self.send_product,
            self.send_image,
            self.send,
            self.composer,
        ):
            w.setEnabled(on)
        self._composer_allowed()

    def _composer_allowed(self) -> None:
        """Past Meta's 7 days nothing can be sent to a Messenger/Instagram chat: the box and
        its tools are disabled (the line above says why)."""
        if self.current is None:
            return
        on = not self.window_line.closed
        for w in (self.canned, self.send_product, self.send_image, self.send, self.composer):
            w.setEnabled(on)

    def _show_window(self, rows: list[inbox_reads.MessageView]) -> None:
        """The window line for the open chat, from the newest shopper message among ``rows``
        (the newest messages), else asked of the database."""
        conv = self.current
        if conv is None:
            self.window_line.clear()
            return
        if str(conv.channel) not in META_CHANNELS:
            self.window_line.show_for(str(conv.channel), None)
            return
        shopper = [m.created_at for m in rows if m.direction == "in"]
        last = max(shopper) if shopper else None
        if last is None:
            last = self.ctx.ops.read_now(convs.last_shopper_messages, [conv.id]).get(conv.id)
        self.window_line.show_for(str(conv.channel), None if last is None else as_utc(last))

    def _show_header(self) -> None:
        conv = self.current
        for w in (self.takeover, self.bot_mode, self.resolve):
            w.setVisible(conv is not None)  # no blank buttons before a chat is chosen
        self.customer.setEnabled(conv is not None)
        self.customer.setVisible(conv is not None)
        self.centre.setCurrentWidget(self.chat if conv is not None else self.pick_hint)
        if conv is None:
            self.who.setText(self.tr("Choose a chat"))
            self.where.setText(self.tr("Messages from the web widget and LINE appear here"))
            return
        channel = glossary.name_of(glossary.CHANNEL, conv.channel, current_language())
        phone = f" · {format_phone(conv.customer_phone)}" if conv.customer_phone else ""
        state = answering(conv)
        self.who.setText(conversation_title(conv))
        self.answer_chip.setText(self._answer_chip_text(state))
        theme.chip(self.answer_chip, "warn" if state is Answering.NEEDS_YOU else "ok")
        self.where.setText(f"{channel}{phone} · {self._answer_detail(conv, state)}")
        human = state is Answering.YOU
        self.takeover.setText(self.tr("Hand back to the bot") if human else self.tr("Take over"))
        self.takeover.setToolTip(
            self.tr(
                "The bot answers this chat again (questions only) and the shopper is told "
                "that the bot is back"
            )
            if human
            else self.tr("Answer yourself: the bot stops at once and the shopper is told")
        )
        # The bot's mode means nothing while a person answers: not shown then.
        self.bot_mode.setCurrentIndex(max(0, self.bot_mode.findData(conv.bot_mode)))
        self.bot_mode.setVisible(not human)
        self.resolve.setText(
            self.tr("Reopen") if conv.status == "resolved" else self.tr("Mark resolved")
        )

    def _answer_chip_text(self, state: Answering) -> str:
        return {
            Answering.BOT: self.tr("Bot"),
            Answering.NEEDS_YOU: self.tr("Needs you"),
            Answering.YOU: self.tr("You are answering"),
        }[state]

    def _answer_detail(self, conv: inbox_reads.ConversationView, state: Answering) -> str:
        """What the chip means for this chat, in a few words."""
        if state is Answering.YOU:
            return self.tr("Taken over by {name}; the bot is silent").format(
                name=order_words.actor_label(conv.taken_over_by or "owner")
            )
        if state is Answering.NEEDS_YOU:
            if conv.status == "escalated":
                return self.tr("The shopper asked for a person")
            if conv.bot_mode != "off" and past_bot_window(conv):
                return self.tr("Over 24 hours since the shopper wrote: the bot may not answer")
            return self.tr("The bot is off: nobody answers until you do")
        if conv.bot_mode == "passive":
            return self.tr("The bot answers questions only")
        return self.tr("The bot answers every message")

    async def _reload_current(self) -> None:
        if self.current is None:
            return
        cid = self.current.id
        conv = await self.ctx.ops.read(convs.get_conversation, cid)
        rows = await self.ctx.ops.read(convs.messages, cid, limit=self.MESSAGES)
        if self.current is None or self.current.id != cid or not alive(self):
            return
        self.current = conv
        at_bottom = self._at_bottom()
        self.msg_model.merge_new(rows)
        if at_bottom:
            self.messages.scrollToBottom()
        self._show_header()
        self._show_window(rows)
        self.list_model.replace(conv)
        self._fetch_images(rows)
        await self.customer.refresh()  # e.g. the name and note of the widget's contact form

    def _at_bottom(self) -> bool:
        bar = self.messages.verticalScrollBar()
        return bar.value() >= bar.maximum() - 30

    @asyncSlot(int)
    async def on_messages_scrolled(self, value: int) -> None:
        if (
            value > 20
            or not self.msg_model.has_older
            or self._loading_older
            or not self.msg_model.rows
            or self.current is None
        ):
            return
        self._loading_older = True
        try:
            first = self.msg_model.rows[0].id
            bar = self.messages.verticalScrollBar()
            before_max = bar.maximum()
            rows = await self.ctx.ops.read(
                convs.messages, self.current.id, before_id=first, limit=self.MESSAGES
            )
            self.msg_model.prepend(rows, len(rows) == self.MESSAGES)
            QTimer.singleShot(0, lambda: bar.setValue(bar.value() + bar.maximum() - before_max))
            self._fetch_images(rows)
        finally:
            self._loading_older = False

    # ------------------------------------------------------------------ incoming

    @asyncSlot(list)
    async def on_messages_stored(self, stored: list[inbox_reads.Inbound]) -> None:
        await self.refresh_list()
        if self.current is not None and any(s.conversation.id == self.current.id for s in stored):
            await self._reload_current()
            if alive(self) and self.isVisible() and self.window().isActiveWindow():
                self._mark_read(self.current.id)

    @asyncSlot(list)
    async def on_conversations_changed(self, ids: list[int]) -> None:
        """Receipts, a shopper's name and picture: the rows shown follow, and the open chat."""
        shown = [i for i in ids if self.list_model.row_of(i) >= 0]
        for cid in shown[:50]:  # more than a screenful changed: the rows are read again
            try:
                conv = await self.ctx.ops.read(convs.get_conversation, cid)
            except DomainError:
                continue  # gone meanwhile (the next refresh drops its row)
            if not alive(self):
                return
            self.list_model.replace(conv)
        if len(shown) > 50:
            await self.refresh_list()
        if self.current is not None and self.current.id in ids:
            await self._reload_current()

    @asyncSlot(set)
    async def on_data_changed(self, topics: set[str]) -> None:
        """Whoever changed it (the Orders screen marking an order paid and thanking the
        shopper, the Customers screen renaming someone): the list, the open chat and its
        customer panel follow."""
        if "customers" in topics or "conversations" in topics:
            await self.refresh_list()
        if "conversations" in topics:
            await self._reload_current()
        if self.current is not None and topics & {"orders", "customers"}:
            await self.customer.refresh()

    # ------------------------------------------------------------------ sending

    async def _queue(self, fn: Any, *args: Any) -> bool:
        """Store something for the shopper (it goes to the outbox: the relay link wakes by
        itself). Returns whether it was stored; the chat view then refreshes."""
        try:
            await self.ctx.ops.write(fn, *args)
        except DomainError as exc:
            show_error(self, exc)
            return False
        self._after_queue = asyncio.ensure_future(self._show_queued())
        return True

    async def _show_queued(self) -> None:
        await self._reload_current()
        if alive(self):
            self.messages.scrollToBottom()

    @asyncSlot()
    async def on_send(self) -> None:
        if self.current is None:
            return
        text = self.composer.toPlainText()
        if not text.strip():
            return
        if await self._queue(convs.send_text, self.current.id, text, self.ctx.ops.actor):
            self.composer.clear()  # only once it is safely stored: nothing typed is lost

    @asyncSlot()
    async def on_typing(self) -> None:
        now = time.monotonic()
        if self.current is None or self.ctx.relay is None or now - self._last_typing < 3:
            return
        self._last_typing = now
        await self.ctx.relay.send_live(p.Typing(self.current.ref, True))

    @asyncSlot()
    async def on_takeover(self) -> None:
        if self.current is None:
            return
        # The notices to the shopper are the shop's Thai texts (shoppers read Thai first),
        # whatever language the owner's screen is in.
        if self.current.mode == "human":
            await self._queue(convs.end_session, self.current.id, self.ctx.ops.actor)
        else:
            await self._queue(convs.take_over, self.current.id, self.ctx.ops.actor)

    @asyncSlot(int)
    async def on_bot_mode(self, index: int) -> None:
        if self.current is None:
            return
        mode = BotMode(self.bot_mode.itemData(index))
        self.current = await self.ctx.ops.write(convs.set_bot_mode, self.current.id, mode)
        self._show_header()

    @asyncSlot()
    async def on_resolve(self) -> None:
        if self.current is None:
            return
        status = (
            ConversationStatus.ACTIVE
            if self.current.status == "resolved"
            else ConversationStatus.RESOLVED
        )
        self.current = await self.ctx.ops.write(convs.set_status, self.current.id, status)
        self._show_header()

    def fill_canned(self) -> None:
        self.canned_menu.clear()
        items = self.ctx.ops.read_now(convs.list_canned)
        if not items:
            self.canned_menu.addAction(
                self.tr("No canned replies yet (add them in Settings)")
            ).setEnabled(False)
        for c in items:
            action = self.canned_menu.addAction(c.title)
            action.setToolTip(c.text)
            action.triggered.connect(lambda _=False, text=c.text: self.use_canned(text))

    def use_canned(self, text: str) -> None:
        if self.current is None:
            return
        filled = self.ctx.ops.read_now(order_notify.render_canned, text, self.current.id)
        self.composer.insertPlainText(filled)
        self.composer.setFocus()

    @asyncSlot()
    async def on_send_product(self) -> None:
        if self.current is None:
            return
        picker = ProductPicker(self.ctx, self)
        accepted = await ask(picker, self)
        product_id = picker.chosen()
        if not accepted or product_id is None or self.current is None:
            return
        view = await self.ctx.ops.read(catalog.get_product, product_id)
        await self._queue(
            convs.queue_outgoing, self.current.id, product_card(view), self.ctx.ops.actor
        )

    @asyncSlot()
    async def on_send_image(self) -> None:
        if self.current is None:
            return
        path = await choose_file_to_open(
            self, self.tr("Send a picture"), "", self.tr("Pictures (*.png *.jpg *.jpeg *.webp)")
        )
        if path:
            await self.send_picture(Path(path))

    async def send_picture(self, path: Path) -> None:
        """Upload a picture to the relay and send it into the open conversation."""
        if self.current is None:
            return
        try:
            data = path.read_bytes()
            media.check(data)
            token = self.ctx.secrets.get(RELAY_TOKEN)
            if self.ctx.relay is None or not self.ctx.relay.online or not token:
                raise UserError(
                    "image.offline", self.tr("Pictures can be sent when the relay is online")
                )
            uploaded = await media.upload(self.ctx.relay.url, token, data)
        except DomainError as exc:
            show_error(self, exc)
            return
        except media.MediaError as exc:
            show_error(self, UserError(f"image.{exc.problem.value}", self._picture_problem(exc)))
            return
        except OSError as exc:
            show_error(self, UserError("image.io", str(exc)))
            return
        await self._queue(
            convs.queue_outgoing, self.current.id, uploaded.image(), self.ctx.ops.actor
        )

    def _picture_problem(self, exc: media.MediaError) -> str:
        match exc.problem:
            case media.Problem.NOT_AN_IMAGE:
                return self.tr("Only PNG, JPEG, WebP or GIF pictures can be sent")
            case media.Problem.TOO_LARGE:
                return self.tr("The picture is larger than 10 MB")
            case media.Problem.REFUSED:
                return self.tr("The relay refused the picture: {reason}").format(reason=exc.detail)
            case _:
                return self.tr(
                    "The picture did not reach the relay ({reason}). "
                    "Check the connection and try again."
                ).format(reason=exc.detail)

    # ------------------------------------------------------------------ pictures

    def _fetch_images(self, rows: list[inbox_reads.MessageView], *, retry: bool = False) -> None:
        """Fetch the pictures of ``rows`` not shown yet (``retry``: also those that failed
        before, e.g. while the relay was down: opening the chat again tries again)."""
        model = self.msg_model
        wanted = [
            m
            for m in rows
            if m.kind == "image"
            and m.uid not in model.images
            and (retry or m.uid not in model.unavailable)
        ]
        for m in wanted:
            model.unavailable.discard(m.uid)
        if wanted:
            task = asyncio.ensure_future(self._download(wanted))
            self._downloads = task

    def _picture_urls(self, body: dict[str, Any]) -> list[str]:
        """Where a picture may be fetched: the URL it was sent with, then the relay the app
        is linked to now (the demo's relay may have moved to another port since)."""
        urls = [str(body["url"])] if body.get("url") else []
        media_id = body.get("media_id")
        if media_id and self.ctx.relay is not None and self.ctx.relay.url:
            here = f"{self.ctx.relay.url.rstrip('/')}/media/{media_id}"
            if here not in urls:
                urls.append(here)
        return urls

    async def _download(self, rows: list[inbox_reads.MessageView]) -> None:
        cache = self.ctx.data_dir / "media" / "chat"
        for m in rows:
            pm = QPixmap()
            for url in self._picture_urls(m.body):
                if "://" not in url:  # a picture kept in the data folder (the demo's slip)
                    media_dir = (self.ctx.data_dir / "media").resolve()
                    local = (self.ctx.data_dir / url).resolve()
                    if local.is_relative_to(media_dir):  # never a file outside media/
                        pm = read_picture(local)
                    if not pm.isNull():
                        break
                    continue
                try:
                    target = await media.cached(url, cache)
                except (media.MediaError, OSError) as exc:
                    log.info("picture %s not fetched from %s: %s", m.uid, url, exc)
                    continue
                pm = read_picture(target)
                if not pm.isNull():
                    break
                log.warning("picture %s from %s is not a picture Qt can read", m.uid, url)
                with contextlib.suppress(OSError):
                    target.unlink()  # fetched again next time, not read from the cache
            if pm.isNull():
                self.msg_model.set_unavailable(m.uid)
            else:
                self.msg_model.set_image(m.uid, pm)
