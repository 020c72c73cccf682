"""The live selling screen ("ไลฟ์สด"): start a live with the products shown and their codes,
watch comments stream in with what each did (reserved, sold out, not understood…), the stock
left per code, each commenter's cart and where it stands (checking out in their chat, ordered,
paid…) and the totals, and end the live with how long unpaid carts are held.

Comments arrive through :func:`minichat_desktop.app.live.record_comment` on the relay link's
thread; the screen hears of them from the database's change subscription (whoever wrote) and
redraws at most every :data:`REDRAW_MS`, appending only the comments it has not shown yet.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import live
from minichat_desktop.domain.live import board as board_mod
from minichat_desktop.domain.live.board import Board, CartRow, CartState, CommentRow, Pickable
from minichat_desktop.domain.live.selling import MAX_RELEASE_MINUTES, PickedProduct
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.errors import show_error
from minichat_desktop.ui.i18n import current_language, t, when
from minichat_desktop.ui.theme import push_button

REDRAW_MS = 150
SHOWN_COMMENTS = 200
# Tables whose change may change what this screen shows.
_WATCHED = ("live_", "product_variants", "orders", "carts")  # carts: a checkout's progress
# A comment's platform: its name (a brand, never translated) and the channel colour it wears
# (its chats continue in Messenger or Instagram).
PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram"}
PLATFORM_COLOURS = {"facebook": "messenger", "instagram": "instagram"}


class _Changes(QObject):
    """Carries "a live table changed" from the writing thread to the UI thread."""

    live_changed = Signal()


def result_label(result: str, code: str = "", quantity: int = 0) -> str:
    if result == "reserved":
        return t("Reserved {code} × {n}").format(code=code, n=quantity)
    return {
        "sold_out": t("Sold out"),
        "unknown_code": t("Unknown code"),
        "question": t("Asked about it"),
        "late": t("After the live"),
    }.get(result, t("Not understood"))


def cart_state_label(row: CartRow) -> str:
    """Where a commenter's cart stands, for the carts table."""
    app = "Instagram" if row.platform == "instagram" else "Messenger"
    if row.state == CartState.CHECKOUT:
        step = {
            "name": t("recipient's name"),
            "phone": t("phone number"),
            "address": t("address"),
            "postcode": t("address"),
            "shipping": t("shipping method"),
            "payment": t("payment method"),
            "confirm": t("summary to confirm"),
        }.get(row.step, row.step)
        return t("Checking out in {app}: {step}").format(app=app, step=step)
    order = {
        CartState.AWAITING_PAYMENT: t("Order {number} · awaiting payment"),
        CartState.COD: t("Order {number} · cash on delivery"),
        CartState.PAID: t("Order {number} · paid"),
        CartState.CANCELLED: t("Order {number} · cancelled"),
    }.get(row.state)
    if order is not None:
        return order.format(number=row.order_number)
    if row.state == CartState.RELEASED:
        return t("Released: back in stock")
    return t("Reserved, not checked out yet")


def result_chip(result: str) -> str:
    return {"reserved": "ok", "sold_out": "danger", "unknown_code": "warn", "question": "warn"}.get(
        result, "count"
    )


def platform_dot(platform: str, size: int = 10) -> QPixmap:
    """A dot in the colour of the platform a comment was written on."""
    colour = theme.CHANNEL_COLORS[PLATFORM_COLOURS.get(platform, "messenger")]
    ratio = 2
    dot = QPixmap(size * ratio, size * ratio)
    dot.setDevicePixelRatio(ratio)
    dot.fill(Qt.GlobalColor.transparent)
    painter = QPainter(dot)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    return dot


def reply_problem_text(problem: str) -> str:
    """Why a comment's private reply was not sent, in the UI's language (the relay and Meta
    write "Thai / English")."""
    thai, _, english = problem.partition(" / ")
    said = english if current_language() == "en" and english else thai
    return t("Private reply not sent: {reason}").format(reason=said)


class _CommentView(QWidget):
    """One comment: who (on which platform) and when, what they wrote, what it did, and why
    its private reply was not sent when it was not."""

    def __init__(self, row: CommentRow) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        words = QVBoxLayout()
        words.setSpacing(0)
        head = QHBoxLayout()
        head.setSpacing(6)
        who = QLabel(f"<b>{_escape(row.commenter_name)}</b>")
        dot = QLabel()
        dot.setPixmap(platform_dot(row.platform))
        name = PLATFORM_NAMES.get(row.platform, row.platform)
        self.platform = theme.tone(QLabel(f"{name} · {when(row.at, short=True)}"), "muted")
        for part in (who, dot, self.platform):
            head.addWidget(part)
        head.addStretch(1)
        text = QLabel(row.text)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        self.problem = theme.tone(QLabel(), "error")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        words.addLayout(head)
        words.addWidget(text)
        words.addWidget(self.problem)
        words.addStretch(1)  # a wrapped line's height is a guess: spare room goes below
        lay.addLayout(words, 1)
        self.chip = QLabel(result_label(row.result, row.code, row.quantity))
        self.chip.setProperty("chip", result_chip(row.result))
        lay.addWidget(self.chip, 0, Qt.AlignmentFlag.AlignVCenter)
        self.shown_problem = ""
        self.show_problem(row.reply_problem)

    def show_problem(self, problem: str) -> None:
        self.shown_problem = problem
        self.problem.setText(reply_problem_text(problem) if problem else "")
        self.problem.setVisible(bool(problem))


def _readonly(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
    return item


def _table(columns: int, stretch: int, editable: bool = False) -> QTableWidget:
    """A table sized to its contents but for the ``stretch`` column, which takes the rest."""
    table = QTableWidget(0, columns)
    table.verticalHeader().hide()
    if not editable:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    head = table.horizontalHeader()
    head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    head.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LiveScreen(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.board: Board | None = None
        self.pickable: list[Pickable] = []
        self._shown_upto = 0
        self._shown_live = 0
        self._views: dict[int, tuple[QListWidgetItem, _CommentView]] = {}
        self.stack = QStackedWidget()
        self.stack.addWidget(self._start_page())
        self.stack.addWidget(self._run_page())
        root = QVBoxLayout(self)
        root.setContentsMargins(16, 12, 16, 12)
        root.addWidget(self.stack)
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self.refresh)
        self._changes = _Changes(self)
        self._changes.live_changed.connect(self._redraw.start)
        self._unsubscribe = ctx.ops.db.subscribe(self._db_changed)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.retranslate()
        self.refresh_now()

    # ------------------------------------------------------------------ pages

    def _start_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        self.start_title = QLabel(objectName="Title")
        self.start_help = QLabel(objectName="Muted")
        self.start_help.setWordWrap(True)
        row = QHBoxLayout()
        self.name_label = QLabel()
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(200)
        self.hold_label = QLabel()
        self.hold_spin = self._minutes_spin()
        row.addWidget(self.name_label)
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.hold_label)
        row.addWidget(self.hold_spin)
        self.picker = _table(5, stretch=0, editable=True)
        self.picker.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.start_button = push_button(self.start_live, primary=True)
        buttons = QHBoxLayout()
        self.picked_label = QLabel(objectName="Muted")
        buttons.addWidget(self.picked_label, 1)
        buttons.addWidget(self.start_button)
        self.picker.itemChanged.connect(lambda _item: self._count_picked())
        lay.addWidget(self.start_title)
        lay.addWidget(self.start_help)
        lay.addLayout(row)
        lay.addWidget(self.picker, 1)
        lay.addLayout(buttons)
        return page

    def _minutes_spin(self) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, MAX_RELEASE_MINUTES)
        spin.setSingleStep(15)
        spin.setValue(60)
        return spin

    def _run_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.live_title = QLabel(objectName="Title")
        self.live_state = QLabel()
        self.end_hold_label = QLabel()
        self.end_spin = self._minutes_spin()
        self.end_button = push_button(self.end_live)
        self.end_button.setProperty("danger", True)
        top.addWidget(self.live_title)
        top.addWidget(self.live_state)
        top.addStretch(1)
        top.addWidget(self.end_hold_label)
        top.addWidget(self.end_spin)
        top.addWidget(self.end_button)
        totals = QHBoxLayout()
        self.total_labels = {k: QLabel() for k in ("reserved", "ordered", "paid", "carts")}
        for label in self.total_labels.values():
            label.setProperty("chip", "count")
            totals.addWidget(label)
        totals.addStretch(1)
        self.products = _table(4, stretch=1)
        self.carts = _table(3, stretch=2)
        self.comments = QListWidget()
        self.comments.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.products)
        left.addWidget(self.carts)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.comments)
        split.setStretchFactor(0, 1)  # the carts' states need the room as much as comments
        split.setStretchFactor(1, 1)
        lay.addLayout(top)
        lay.addLayout(totals)
        lay.addWidget(split, 1)
        return page

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.start_title.setText(t("Live selling"))
        self.start_help.setText(
            t(
                "Pick the products you will show in your Facebook or Instagram live, each with a"
                " short code."
                " A comment like “CF A12” reserves it for the commenter at once — first come,"
                " first served — and they get a private reply with their cart."
            )
        )
        self.name_label.setText(t("Live title"))
        self.name_edit.setPlaceholderText(t("e.g. Tonight's new arrivals"))
        self.hold_label.setText(t("Hold unpaid carts after the live"))
        self.end_hold_label.setText(t("Hold unpaid carts"))
        for spin in (self.hold_spin, self.end_spin):
            spin.setSuffix(t(" min"))
        self.start_button.setText(t("Start live selling"))
        self.end_button.setText(t("End live"))
        self.picker.setHorizontalHeaderLabels(
            [t("Product"), t("SKU"), t("Price"), t("In stock"), t("Live code")]
        )
        self.products.setHorizontalHeaderLabels(
            [t("Live code"), t("Product"), t("Left"), t("Reserved")]
        )
        self.carts.setHorizontalHeaderLabels([t("Commenter"), t("Amount"), t("Cart")])
        self._count_picked()
        if self.board is not None:
            self._show_board(self.board, redraw_comments=True)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ data

    def _db_changed(self, tables: frozenset[str]) -> None:
        """On the writing thread: only hand a signal over (queued to the UI thread)."""
        if any(table.startswith(_WATCHED) for table in tables):
            self._changes.live_changed.emit()

    def refresh_now(self) -> None:
        """Read synchronously (the first paint)."""
        board = self.ctx.ops.read_now(board_mod.current)
        if board is None:
            self._fill_picker(self.ctx.ops.read_now(board_mod.pickable))
        self._show(board)

    @asyncSlot()
    async def refresh(self) -> None:
        try:
            board = await self.ctx.ops.read(board_mod.current)
            if board is None and self.board is not None:
                self._fill_picker(await self.ctx.ops.read(board_mod.pickable))
        except DomainError as exc:
            show_error(self, exc)
            return
        self._show(board)

    def _show(self, board: Board | None) -> None:
        self.board = board
        self.stack.setCurrentIndex(0 if board is None else 1)
        if board is not None:
            self._show_board(board, redraw_comments=board.live_id != self._shown_live)

    def _fill_picker(self, rows: list[Pickable]) -> None:
        self.pickable = rows
        self.picker.blockSignals(True)
        self.picker.setRowCount(len(rows))
        for r, item in enumerate(rows):
            name = QTableWidgetItem(item.name)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Unchecked)
            self.picker.setItem(r, 0, name)
            self.picker.setItem(r, 1, _readonly(item.sku))
            self.picker.setItem(r, 2, _readonly(format_baht(item.price_satang)))
            self.picker.setItem(r, 3, _readonly(str(item.stock)))
            code = QTableWidgetItem(item.code)
            code.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsEditable)
            self.picker.setItem(r, 4, code)
        self.picker.blockSignals(False)
        self._count_picked()

    def picked(self) -> list[PickedProduct]:
        out: list[PickedProduct] = []
        for r, item in enumerate(self.pickable):
            name, code = self.picker.item(r, 0), self.picker.item(r, 4)
            if name is not None and name.checkState() == Qt.CheckState.Checked:
                out.append(PickedProduct(code.text() if code else item.code, item.variant_id))
        return out

    def _count_picked(self) -> None:
        n = len(self.picked())
        self.picked_label.setText(t("{n} products picked").format(n=n))
        self.start_button.setEnabled(n > 0)

    def _show_board(self, board: Board, *, redraw_comments: bool) -> None:
        self.live_title.setText(board.title or t("Live selling"))
        if board.status == "live":
            self.live_state.setText(t("Live now"))
            self.live_state.setProperty("chip", "ok")
        else:
            at = when(board.release_at) if board.release_at else ""
            self.live_state.setText(t("Ended · unpaid carts go back {at}").format(at=at))
            self.live_state.setProperty("chip", "warn")
        self.live_state.style().polish(self.live_state)
        for w in (self.end_hold_label, self.end_spin, self.end_button):
            w.setVisible(board.status == "live")
        money = {
            "reserved": (t("Reserved {amount}"), board.reserved_satang),
            "ordered": (t("Ordered {amount}"), board.ordered_satang),
            "paid": (t("Paid {amount}"), board.paid_satang),
        }
        for key, (text, satang) in money.items():
            self.total_labels[key].setText(text.format(amount=format_baht(satang, symbol=True)))
        self.total_labels["carts"].setText(t("{n} carts").format(n=board.carts))
        self.products.setRowCount(len(board.products))
        for r, prod in enumerate(board.products):
            for c, value in enumerate(
                (prod.code, prod.name, str(prod.stock_left), str(prod.reserved))
            ):
                self.products.setItem(r, c, _readonly(value))
        self._show_carts(board.cart_rows)
        self._show_comments(board, redraw_comments)

    def _show_carts(self, rows: list[CartRow]) -> None:
        self.carts.setRowCount(len(rows))
        for r, row in enumerate(rows):
            who = _readonly(row.commenter_name)
            who.setIcon(platform_dot(row.platform))
            self.carts.setItem(r, 0, who)
            self.carts.setItem(r, 1, _readonly(format_baht(row.total_satang, symbol=True)))
            state = _readonly(cart_state_label(row))
            state.setToolTip(state.text())  # a narrow window cuts it
            self.carts.setItem(r, 2, state)

    def _show_comments(self, board: Board, redraw: bool) -> None:
        if redraw:
            self.comments.clear()
            self._views.clear()
            self._shown_upto = 0
            self._shown_live = board.live_id
        at_end = self.comments.verticalScrollBar().value() >= (
            self.comments.verticalScrollBar().maximum() - 4
        )
        for row in board.comments:
            if row.id <= self._shown_upto:
                self._update_problem(row)
                continue
            item = QListWidgetItem(self.comments)
            view = _CommentView(row)
            item.setSizeHint(view.sizeHint())
            self.comments.setItemWidget(item, view)
            self._views[row.id] = (item, view)
            self._shown_upto = row.id
        while self.comments.count() > SHOWN_COMMENTS:
            gone = self.comments.takeItem(0)
            self._views = {k: v for k, v in self._views.items() if v[0] is not gone}
        if at_end:
            self.comments.scrollToBottom()

    def _update_problem(self, row: CommentRow) -> None:
        """A reply refused after its comment was shown (the relay answers later)."""
        shown = self._views.get(row.id)
        if shown is None or shown[1].shown_problem == row.reply_problem:
            return
        item, view = shown
        view.show_problem(row.reply_problem)
        item.setSizeHint(view.sizeHint())

    # ------------------------------------------------------------------ actions

    @asyncSlot()
    async def start_live(self) -> None:
        picked = self.picked()
        try:
            await self.ctx.ops.run(
                live.start_live,
                self.name_edit.text(),
                picked,
                self.hold_spin.value(),
                self.ctx.ops.actor,
            )
            board = await self.ctx.ops.read(board_mod.current)
        except DomainError as exc:
            show_error(self, exc)
            return
        self._show(board)

    @asyncSlot()
    async def end_live(self) -> None:
        if self.board is None:
            return
        try:
            await self.ctx.ops.run(live.end_live, self.board.live_id, self.end_spin.value())
            board = await self.ctx.ops.read(board_mod.current)
            if board is None:
                self._fill_picker(await self.ctx.ops.read(board_mod.pickable))
        except DomainError as exc:
            show_error(self, exc)
            return
        self._show(board)
