"""The counter (POS): keyboard first, made for a barcode scanner.

The scan field always has the focus. A scanner types the code fast and ends with Enter: the code
is looked up (barcode, then SKU) and the item added — the same item again adds one more. Text
that is not a code searches the catalog; Enter picks the first hit (arrows move). Keys:

- ``+`` / ``-`` one more / one less of the selected line, ``Del`` removes it,
  ``F2`` quantity, ``F3`` line discount, ``F4`` discount on the whole sale,
- ``F5`` hold the sale, ``F6`` resume a held one, ``F7`` customer (for a full tax invoice),
- ``F8`` recent sales (reprint, refund), ``F12`` or ``Ctrl+Enter`` pay, ``Esc`` back to the
  scan field.

Everything here works with the relay unreachable: a sale is a local ``pos`` order.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import sales as app_sales
from minichat_desktop.domain import shop
from minichat_desktop.domain.sales import orders, pos, refunds
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.sales.pos import Sellable
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import ask, confirm
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.list_rows import Row, fill
from minichat_desktop.ui.pos_dialogs import (
    BuyerDialog,
    MoneyDialog,
    PayDialog,
    PickDialog,
    ReportDialog,
    held_rows,
    method_name,
    report_html,
    sellable_row,
    variant_rows,
)
from minichat_desktop.ui.pos_models import CartModel, TillLine
from minichat_desktop.ui.pos_tiles import QuickGrid, QuickTile, picture_loader
from minichat_desktop.ui.theme import push_button

log = logging.getLogger(__name__)


def _code_like(text: str) -> bool:
    """A scanned or typed code: no spaces and at least one digit (``8850001000017``,
    ``TEA-1``)."""
    return bool(text) and " " not in text and any(ch.isdigit() for ch in text)


class PosScreen(QWidget):
    """The till. ``sale_completed`` carries the order id of each sale rung up."""

    sale_completed = Signal(int)
    line_added = Signal(int)  # row (tests and the bench wait on it)
    # The shop's VAT terms the till totals on: read when first needed, again when the shop's
    # settings change and before each payment.
    terms: pos.SaleTerms | None = None

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = 0
        self.order_discount = 0
        self.buyer: dict[str, str] = {}
        self.shift: pos.ShiftView | None = None
        self.last_sale: pos.SaleResult | None = None
        self.dialog: Any = None  # the dialog open now (tests drive it)

        top = self._build_top()
        left = self._build_sale()
        right = self._build_pay_side()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([700, 420])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.search_timer = QTimer(self, singleShot=True, interval=150)
        self.search_timer.timeout.connect(self.search)
        self._search_seq = 0
        self._add_shortcuts()
        ctx.ops.changed.connect(self.on_changed)

        self.retranslate()
        self.shift = ctx.ops.read_now(pos.current_shift)
        self._show_shift()
        self._fill_grid(ctx.ops.read_now(pos.favourites))
        self._held_count(len(ctx.ops.read_now(pos.list_held)))
        self._totals_changed()

    # ------------------------------------------------------------------ building

    def _build_top(self) -> QHBoxLayout:
        """The title, the shift, and what is done to the shift and past sales."""
        self.title = QLabel(objectName="Title")
        self.shift_label = QLabel(objectName="Muted")
        self.shift_button = push_button(self.shift_action)
        self.cash_button = push_button(self.cash_in_out)
        self.x_button = push_button(self.show_x_report)
        self.held_button = push_button(self.resume)
        self.recent_button = push_button(self.recent_sales)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.shift_label, 1)
        for b in (self.recent_button, self.held_button, self.x_button, self.cash_button):
            top.addWidget(b)
        top.addWidget(self.shift_button)
        return top

    def _build_sale(self) -> QWidget:
        """The scan field with its hits, the cart and the totals."""
        self.scan = QLineEdit()
        theme.large(self.scan)
        self.scan.setClearButtonEnabled(True)
        self.scan.returnPressed.connect(self.on_enter)
        self.scan.textEdited.connect(lambda _t: self.search_timer.start())
        self.scan.installEventFilter(self)
        self.hits = QListWidget()
        self.hits.setMaximumHeight(180)
        self.hits.hide()
        self.hits.itemActivated.connect(self._hit_chosen)
        self.notice = QLabel(objectName="Muted")  # one line; a box is kept on .message
        self.notice.setWordWrap(True)
        self.message: QMessageBox | None = None  # the box an error opened, while open
        self._build_cart()

        self.buyer_label = QLabel(objectName="Muted")
        self.sums = QLabel()
        self.sums.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.total_label = QLabel()
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        theme.role(self.total_label, "big")
        self.keys_help = QLabel(objectName="Muted")
        self.keys_help.setWordWrap(True)

        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.scan)
        lcol.addWidget(self.hits)
        lcol.addWidget(self.notice)
        lcol.addWidget(self.table, 1)
        lcol.addWidget(self.buyer_label)
        lcol.addWidget(self.sums)
        lcol.addWidget(self.total_label)
        lcol.addWidget(self.keys_help)
        return left

    def _build_cart(self) -> None:
        self.model = CartModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CartModel.ITEM, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 100), (2, 60), (3, 100), (4, 110)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, width)
        self.model.rowsInserted.connect(lambda *_a: self._totals_changed())
        self.model.rowsRemoved.connect(lambda *_a: self._totals_changed())
        self.model.dataChanged.connect(lambda *_a: self._totals_changed())
        self.model.modelReset.connect(self._totals_changed)

    def _build_pay_side(self) -> QWidget:
        """The quick-item grid (filled by _fill_grid) and the buttons that finish a sale."""
        self.grid_title = QLabel(objectName="Muted")
        self.tiles = QuickGrid(picture_loader(self.ctx.data_dir))
        self.tiles.picked.connect(self.add_item)
        self.pay_button = QPushButton()
        self.pay_button.setProperty("primary", True)
        self.pay_button.setMinimumHeight(64)
        theme.large(self.pay_button)
        self.pay_button.clicked.connect(self.pay)
        self.hold_button = push_button(self.hold)
        self.customer_button = push_button(self.edit_buyer)
        self.discount_button = push_button(self.set_order_discount)
        self.clear_button = push_button(self.void_sale)
        self.receipt_button = push_button(self.print_last_receipt)
        self.receipt_button.setEnabled(False)
        right = QWidget()
        right.setMaximumWidth(500)
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.addWidget(self.grid_title)
        rcol.addWidget(self.tiles, 1)
        row = QHBoxLayout()
        row.addWidget(self.customer_button)
        row.addWidget(self.discount_button)
        rcol.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.hold_button)
        row.addWidget(self.clear_button)
        rcol.addLayout(row)
        rcol.addWidget(self.receipt_button)
        rcol.addWidget(self.pay_button)
        return right

    def _add_shortcuts(self) -> None:
        """The till's function keys, live anywhere in the screen."""
        keys = {
            "F2": self.set_quantity,
            "F3": self.set_line_discount,
            "F4": self.set_order_discount,
            "F5": self.hold,
            "F6": self.resume,
            "F7": self.edit_buyer,
            "F8": self.recent_sales,
            "F12": self.pay,
            "Ctrl+Return": self.pay,
            "Del": self.remove_line,
        }
        self.shortcuts = []
        for key, slot in keys.items():
            sc = QShortcut(QKeySequence(key), self, activated=slot)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.shortcuts.append(sc)

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.title.setText(self.tr("Counter"))
        self.scan.setPlaceholderText(self.tr("Scan a barcode, or type a name or SKU"))
        self.cash_button.setText(self.tr("Cash in/out"))
        self.x_button.setText(self.tr("X report"))
        self.recent_button.setText(self.tr("Recent sales (F8)"))
        self.grid_title.setText(self.tr("Quick items"))
        self.tiles.set_all_label(self.tr("All"))
        self.pay_button.setText(self.tr("Pay (F12)"))
        self.hold_button.setText(self.tr("Hold (F5)"))
        self.customer_button.setText(self.tr("Customer (F7)"))
        self.discount_button.setText(self.tr("Discount (F4)"))
        self.clear_button.setText(self.tr("Void sale"))
        self.receipt_button.setText(self.tr("Print last receipt"))
        self.keys_help.setText(
            self.tr(
                "+/− quantity · Del remove · F2 quantity · F3 line discount · "
                "F6 resume held sale · Esc back to scanning"
            )
        )
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)
        self._show_shift()
        self._totals_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.focus_scan()

    def focus_scan(self) -> None:
        self.scan.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------------ keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scan and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Plus, Qt.Key.Key_Minus) and not self.scan.text():
                self.bump(1 if key == Qt.Key.Key_Plus else -1)
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                if self.hits.isVisible() and self.hits.count():
                    step = 1 if key == Qt.Key.Key_Down else -1
                    row = max(0, min(self.hits.count() - 1, self.hits.currentRow() + step))
                    self.hits.setCurrentRow(row)
                elif self.model.rowCount():
                    self._move_selection(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key == Qt.Key.Key_Escape:
                self.scan.clear()
                self.hits.hide()
                return True
        return super().eventFilter(watched, event)

    def _move_selection(self, step: int) -> None:
        row = max(0, min(self.model.rowCount() - 1, self.selected_row() + step))
        self.table.selectRow(row)

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return self.model.rowCount() - 1

    # ------------------------------------------------------------------ dialogs

    async def _ask_text(self, title: str, label: str) -> str | None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        return dialog.textValue() if await ask(dialog, self) else None

    async def _ask_int(self, title: str, label: str, value: int) -> int | None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(0, 100_000)
        dialog.setIntValue(value)
        return dialog.intValue() if await ask(dialog, self) else None

    # ------------------------------------------------------------------ adding

    @asyncSlot()
    async def on_enter(self) -> None:
        """Enter in the scan field: a chosen search hit, else a code, else a search."""
        text = self.scan.text().strip()
        self.search_timer.stop()
        if self.hits.isVisible() and self.hits.currentItem() is not None:
            await self._add_hit(self.hits.currentItem())
            return
        if not text:
            if self.model.rowCount():
                self.pay()
            return
        self.busy += 1
        try:
            # Any single word may be a code (two indexed lookups): SKUs need not have digits.
            found = await self.ctx.ops.read(pos.lookup_code, text) if " " not in text else None
            if found is None:
                found_list = await self.ctx.ops.read(app_sales.search_sellables, text)
                if not found_list:
                    self._say(self.tr("Nothing matches “{text}”").format(text=text), warn=True)
                    self.scan.selectAll()
                    return
                if _code_like(text) and len(found_list) > 1:
                    self._show_hits(found_list)
                    return
                found = await self._pick_variant(found_list)
                if found is None:
                    return
            self.scan.clear()
            self.hits.hide()
            self.add_item(found)
        except DomainError as exc:
            show_error(self, exc)
        finally:
            self.busy -= 1

    def add_item(self, item: Sellable, quantity: int = 1) -> None:
        row = self.model.add(item, quantity)
        self.table.selectRow(row)
        line = self.model.lines[row]
        if item.track_inventory and line.quantity > item.stock:
            self._say(
                self.tr("Only {n} of {item} in stock").format(n=item.stock, item=item.label),
                warn=True,
            )
        else:
            self._say(f"{item.label} · {format_baht(item.price_satang, symbol=True)}")
        self.line_added.emit(row)

    @asyncSlot()
    async def search(self) -> None:
        text = self.scan.text().strip()
        if len(text) < 2 or (_code_like(text) and text.isdigit()):
            self.hits.hide()
            return
        self._search_seq += 1
        seq = self._search_seq
        self.busy += 1
        try:
            found = await self.ctx.ops.read(app_sales.search_sellables, text)
        except DomainError as exc:
            show_error(self, exc)
            return
        finally:
            self.busy -= 1
        if seq == self._search_seq and self.scan.text().strip() == text:
            self._show_hits(found)

    def _show_hits(self, found: list[Sellable]) -> None:
        fill(self.hits, [sellable_row(item) for item in found])
        self.hits.setVisible(bool(found))
        if found:
            self.hits.setCurrentRow(0)

    @asyncSlot(QListWidgetItem)
    async def _hit_chosen(self, item: QListWidgetItem) -> None:
        await self._add_hit(item)

    async def _add_hit(self, row: QListWidgetItem) -> None:
        item: Sellable = row.data(Qt.ItemDataRole.UserRole)
        self.scan.clear()
        self.hits.hide()
        self.add_item(item)
        self.focus_scan()

    async def _pick_variant(self, found: list[Sellable]) -> Sellable | None:
        """The first product's variant: asked when it has several."""
        first = [s for s in found if s.product_id == found[0].product_id]
        if len(first) == 1:
            return first[0]
        dialog = PickDialog(self.tr("Which one?"), variant_rows(first), self)
        ok = await ask(dialog, self)
        chosen = dialog.chosen if ok else None
        self.focus_scan()
        return chosen if isinstance(chosen, Sellable) else None

    def _fill_grid(self, items: list[Sellable]) -> None:
        # Name, then the variant on its own line: tiles of one shirt in six colours must
        # not all read "เสื้อเชิ้ตลินิน แขนสั้..."
        self.tiles.set_items(items)

    @property
    def quick_buttons(self) -> list[QuickTile]:
        """The quick tiles shown (of the chosen category)."""
        return self.tiles.shown_tiles()

    # ------------------------------------------------------------------ lines

    def bump(self, step: int) -> None:
        if not self.model.rowCount():
            return
        row = self.selected_row()
        self.model.set_quantity(row, self.model.lines[row].quantity + step)
        if self.model.rowCount():
            self.table.selectRow(min(row, self.model.rowCount() - 1))

    @asyncSlot()
    async def set_quantity(self) -> None:
        if not self.model.rowCount():
            return
        row = self.selected_row()
        qty = await self._ask_int(
            self.tr("Quantity"), self.model.lines[row].item.label, self.model.lines[row].quantity
        )
        if qty is not None:
            self.model.set_quantity(row, qty)
        self.focus_scan()

    @asyncSlot()
    async def set_line_discount(self) -> None:
        if not self.model.rowCount():
            return
        row = self.selected_row()
        line = self.model.lines[row]
        dialog = MoneyDialog(
            self.tr("Line discount"),
            self.tr("Discount on {item} (baht)").format(item=line.item.label),
            self,
        )
        if await ask(dialog, self):
            value = dialog.value_satang
            if value > line.unit_price_satang * line.quantity:
                self._say(self.tr("The discount is larger than the line"), warn=True)
            else:
                self.model.set_discount(row, value)
        self.focus_scan()

    @asyncSlot()
    async def set_order_discount(self) -> None:
        if not self.model.rowCount():
            return
        dialog = MoneyDialog(self.tr("Discount on the sale"), self.tr("Discount (baht)"), self)
        dialog.amount.setText(format_baht(self.order_discount))
        dialog.amount.selectAll()
        if await ask(dialog, self):
            value = dialog.value_satang
            subtotal = sum(ln.total_satang for ln in self.model.lines)
            if value > subtotal:
                self._say(self.tr("The discount is larger than the sale"), warn=True)
            else:
                self.order_discount = value
                self._totals_changed()
        self.focus_scan()

    def remove_line(self) -> None:
        if self.model.rowCount():
            self.model.remove(self.selected_row())
        self.focus_scan()

    @asyncSlot()
    async def void_sale(self) -> None:
        if not self.model.rowCount():
            return
        if await confirm(self, self.tr("Void sale"), self.tr("Clear this sale?")):
            self.new_sale()

    def new_sale(self) -> None:
        self.model.clear()
        self.order_discount = 0
        self.buyer = {}
        self._totals_changed()
        self.focus_scan()

    @asyncSlot()
    async def edit_buyer(self) -> None:
        dialog = BuyerDialog(self.buyer, self)
        if await ask(dialog, self):
            self.buyer = {k: v for k, v in dialog.values().items() if v}
            self._totals_changed()
        self.focus_scan()

    # ------------------------------------------------------------------ totals

    def _totals_changed(self) -> None:
        """Show the sale's totals as the domain computes them (:func:`pos.totals_of` on the
        shop's terms, what the payment dialog asks): VAT is a line of its own when the prices
        exclude it."""
        self.pay_button.setEnabled(bool(self.model.lines))
        self._show_buyer()
        try:
            if self.terms is None:
                self.terms = self.ctx.ops.read_now(pos.sale_terms)
            totals = pos.totals_of(self.model.cart_lines(), self.order_discount, self.terms)
        except DomainError as exc:  # paying shows the same error in a dialog
            self.sums.setText(error_text(exc))
            self.total_label.setText("—")
            return
        text = self.tr("{n} items · subtotal {subtotal}").format(
            n=self.model.item_count(), subtotal=format_baht(totals.subtotal, symbol=True)
        )
        if totals.discount:
            text += " · " + self.tr("discount {d}").format(
                d=format_baht(totals.discount, symbol=True)
            )
        if totals.vat and not self.terms.prices_include_vat:
            text += "\n" + self.tr("VAT {rate}% {amount}").format(
                rate=f"{totals.vat_rate_bp / 100:g}", amount=format_baht(totals.vat, symbol=True)
            )
        self.sums.setText(text)
        self.total_label.setText(format_baht(totals.total, symbol=True))

    def _show_buyer(self) -> None:
        if self.buyer:
            self.buyer_label.setText(
                self.tr("Customer: {who}").format(
                    who=" · ".join(v for k, v in self.buyer.items() if k != "customer_branch")
                )
            )
        else:
            self.buyer_label.setText("")

    def _say(self, text: str, *, warn: bool = False) -> None:
        self.notice.setText(text)
        theme.tone(self.notice, "error" if warn else None)

    # ------------------------------------------------------------------ paying

    @asyncSlot()
    async def pay(self) -> None:
        if not self.model.rowCount() or self.dialog is not None:
            return
        if self.shift is None:
            self._say(self.tr("Open a shift before selling"), warn=True)
            await self._open_shift()
            if self.shift is None:
                return
        lines = self.model.cart_lines()
        self.busy += 1
        try:
            # pos.sale_totals in two steps: today's terms also refresh the till's total
            self.terms = await self.ctx.ops.read(pos.sale_terms)
            totals = pos.totals_of(lines, self.order_discount, self.terms)
            profile = await self.ctx.ops.read(shop.get_profile)
        except DomainError as exc:
            show_error(self, exc)
            return
        finally:
            self.busy -= 1
        self._totals_changed()
        dialog = PayDialog(totals.total, profile.promptpay_id, self, shop_name=profile.name)
        accepted = await ask(dialog, self)
        tenders = list(dialog.tenders)
        change = dialog.change_satang
        if not accepted:
            self.focus_scan()
            return
        await self.complete_sale(tenders, change)

    async def complete_sale(self, tenders: list[pos.Tender], change: int) -> bool:
        """Ring the sale up with these tenders; a short stock or a changed price leaves the
        bill on screen to fix."""
        self.busy += 1
        try:
            result = await self.ctx.ops.write(
                pos.ring_up,
                self.model.cart_lines(),
                tenders,
                self.ctx.ops.actor,
                order_discount_satang=self.order_discount,
                **self.buyer,
            )
        except DomainError as exc:
            show_error(self, exc)
            return False
        finally:
            self.busy -= 1
        self.last_sale = result
        self.receipt_button.setEnabled(True)
        self.new_sale()
        parts = [self.tr("Sale {number} done").format(number=result.order.number)]
        if result.change_satang:
            parts.append(
                self.tr("CHANGE {amount}").format(
                    amount=format_baht(result.change_satang, symbol=True)
                )
            )
        self._say(" · ".join(parts))
        if result.change_satang:
            self.total_label.setText(
                self.tr("Change {amount}").format(
                    amount=format_baht(result.change_satang, symbol=True)
                )
            )
        self.sale_completed.emit(result.order.id)
        await self._auto_print(result.order.id)
        return True

    @asyncSlot()
    async def print_last_receipt(self) -> None:
        if self.last_sale is not None:
            await self.print_receipt(self.last_sale.order.id)

    async def print_receipt(self, order_id: int) -> bool:
        """Print through Settings → Printers: the thermal printer, a named printer, or the
        print dialog."""
        from minichat_desktop.ui import printing

        self.busy += 1
        try:
            return await printing.print_receipt(self, self.ctx, order_id)
        finally:
            self.busy -= 1

    async def _auto_print(self, order_id: int) -> None:
        """A receipt printer is set up: every sale prints its receipt at once."""
        settings = await self.ctx.ops.read(documents.get_printer_settings)
        if settings.receipt_kind != documents.ReceiptPrinterKind.NONE:
            await self.print_receipt(order_id)

    # ------------------------------------------------------------------ held sales

    @asyncSlot()
    async def hold(self) -> None:
        if not self.model.rowCount() or self.dialog is not None:
            return
        label = await self._ask_text(
            self.tr("Hold sale"), self.tr("Name to find it again (optional)")
        )
        if label is None:
            self.focus_scan()
            return
        await self.hold_as(label)

    async def hold_as(self, label: str) -> None:
        try:
            await self.ctx.ops.write(
                pos.hold_sale,
                self.model.cart_lines(),
                label or self.buyer.get("customer_name", ""),
                self.ctx.ops.actor,
                self.order_discount,
            )
        except DomainError as exc:
            show_error(self, exc)
            return
        self.new_sale()
        self._say(self.tr("Sale held: press F6 to resume it"))

    @asyncSlot()
    async def resume(self) -> None:
        if self.dialog is not None:
            return
        held = await self.ctx.ops.read(pos.list_held)
        if not held:
            self._say(self.tr("No held sales"))
            return
        if self.model.rowCount():
            self._say(self.tr("Finish or hold the current sale first"), warn=True)
            return
        dialog = PickDialog(self.tr("Resume a held sale"), held_rows(held), self)
        ok = await ask(dialog, self)
        chosen = dialog.chosen
        if not ok or chosen is None:
            self.focus_scan()
            return
        await self.resume_held(int(chosen))  # type: ignore[call-overload]

    async def resume_held(self, held_id: int) -> None:
        try:
            lines, discount = await self.ctx.ops.write(pos.resume_held, held_id)
            items = {
                s.variant_id: s
                for s in await self.ctx.ops.read(pos.sellables, [ln.variant_id for ln in lines])
            }
        except DomainError as exc:
            show_error(self, exc)
            return
        missing = [ln for ln in lines if ln.variant_id not in items]
        self.model.load(
            [
                TillLine(
                    items[ln.variant_id], ln.quantity, ln.unit_price_satang, ln.discount_satang
                )
                for ln in lines
                if ln.variant_id in items
            ]
        )
        self.order_discount = discount
        self._totals_changed()
        if missing:
            self._say(self.tr("Some items are no longer for sale and were left out"), warn=True)
        self.focus_scan()

    def _held_count(self, n: int) -> None:
        self.held_button.setText(
            self.tr("Held sales ({n})").format(n=n) if n else self.tr("Held sales")
        )

    # ------------------------------------------------------------------ recent sales, refunds

    @asyncSlot()
    async def recent_sales(self) -> None:
        if self.dialog is not None:
            return
        sales = await self.ctx.ops.read(app_sales.recent_sales)
        if not sales:
            self._say(self.tr("No counter sales yet"))
            return
        rows = [
            Row(
                o.number,
                o.id,
                f"{i18n.when(o.created_at, short=True)} · {method_name(o.payment_method)}"
                + (f" · {self.tr('refunded')}" if o.status == "refunded" else ""),
                format_baht(o.total_satang, symbol=True),
                warn=o.status == "refunded",
            )
            for o in sales
        ]
        dialog = PickDialog(self.tr("Recent sales"), rows, self)
        ok = await ask(dialog, self)
        chosen = dialog.chosen
        if not ok or chosen is None:
            self.focus_scan()
            return
        await self.sale_actions(int(chosen))  # type: ignore[call-overload]

    async def sale_actions(self, order_id: int) -> None:
        view = await self.ctx.ops.read(orders.get_order, order_id)
        box = QMessageBox(self)
        box.setWindowTitle(view.number)
        box.setText(
            self.tr("Sale {number}: {total}").format(
                number=view.number, total=format_baht(view.total_satang, symbol=True)
            )
        )
        reprint = box.addButton(self.tr("Print receipt"), QMessageBox.ButtonRole.ActionRole)
        credit = box.addButton(self.tr("Print credit note"), QMessageBox.ButtonRole.ActionRole)
        credit.setVisible(bool(view.refunds))  # the newest credit note of a refunded sale
        refund = box.addButton(self.tr("Refund…"), QMessageBox.ButtonRole.DestructiveRole)
        refund.setEnabled(view.payment_status == "paid")
        box.addButton(self.tr("Close"), QMessageBox.ButtonRole.RejectRole)
        await ask(box, self)
        clicked = box.clickedButton()
        if clicked is reprint:
            await self.print_receipt(order_id)
        elif clicked is credit:
            from minichat_desktop.ui import printing

            await printing.print_credit_note(self, self.ctx, order_id)
        elif clicked is refund:
            await self.choose_refund(order_id)
        self.focus_scan()

    async def choose_refund(self, order_id: int) -> bool:
        """The refund dialog (the orders screen's): some units, an amount off a line, or
        everything; then :meth:`refund`."""
        from minichat_desktop.ui.refund_dialog import RefundDialog

        try:
            left = await self.ctx.ops.read(refunds.refundable, order_id)
        except DomainError as exc:
            show_error(self, exc)
            return False
        dialog = RefundDialog(self, left)
        if not await ask(dialog, self):
            return False
        request = dialog.request()
        return await self.refund(order_id, request.reason, request)

    async def refund(
        self, order_id: int, reason: str, request: refunds.RefundRequest | None = None
    ) -> bool:
        """Refund a sale — what ``request`` says, else whole — paying back the way it was
        paid; its credit note names the buyer, asked for when the sale's abbreviated tax
        invoice names nobody (s.86/10)."""
        from minichat_desktop.ui.printing import with_credit_buyer

        before = await self.ctx.ops.read(refunds.refundable, order_id)

        async def run(buyer: documents.Buyer | None) -> Any:
            return await self.ctx.ops.write(
                pos.refund_sale,
                order_id,
                self.ctx.ops.actor,
                reason,
                buyer=buyer,
                request=request,
            )

        try:
            done, view = await with_credit_buyer(self, self.ctx, order_id, run)
        except DomainError as exc:
            show_error(self, exc)
            return False
        if not done or view is None:
            return False
        back = view.refunded_satang - before.refunded_satang
        text = self.tr("Sale {number} refunded: give back {amount}").format(
            number=view.number, amount=format_baht(back, symbol=True)
        )
        note = await self.ctx.ops.read(
            documents.find_document, order_id, documents.DocumentKind.CREDIT_NOTE
        )
        if note is not None:
            text += " · " + self.tr("credit note {number} issued (print it from F8)").format(
                number=note.number
            )
        self._say(text)
        return True

    # ------------------------------------------------------------------ shifts

    def _show_shift(self) -> None:
        s = self.shift
        if s is None:
            self.shift_label.setText(self.tr("No shift open: open one to start selling"))
            self.shift_button.setText(self.tr("Open shift"))
        else:
            self.shift_label.setText(
                self.tr("Shift open since {time} by {who} · float {amount}").format(
                    time=f"{s.opened_at.astimezone(shop.BANGKOK):%H:%M}",
                    who=s.opened_by,
                    amount=format_baht(s.opening_float_satang, symbol=True),
                )
            )
            self.shift_button.setText(self.tr("Close shift (Z)"))
        self.cash_button.setEnabled(s is not None)
        self.x_button.setEnabled(s is not None)
        # With no shift open, opening one is the thing to do: the button says so in green.
        if bool(self.shift_button.property("primary")) != (s is None):
            self.shift_button.setProperty("primary", s is None)
            self.shift_button.style().unpolish(self.shift_button)
            self.shift_button.style().polish(self.shift_button)

    @asyncSlot()
    async def shift_action(self) -> None:
        if self.shift is None:
            await self._open_shift()
        else:
            await self._close_shift()

    async def _open_shift(self) -> None:
        dialog = MoneyDialog(
            self.tr("Open shift"),
            self.tr("Cash in the drawer now (baht)"),
            self,
            info=self.tr("Count the float: the cash you start the day with."),
        )
        ok = await ask(dialog, self)
        value = dialog.value_satang
        if not ok:
            return
        await self.open_shift(value)

    async def open_shift(self, float_satang: int) -> bool:
        try:
            self.shift = await self.ctx.ops.write(pos.open_shift, float_satang, self.ctx.ops.actor)
        except DomainError as exc:
            show_error(self, exc)
            return False
        self._show_shift()
        self._say("")  # "open a shift first" is answered: it goes
        self.focus_scan()
        return True

    @asyncSlot()
    async def cash_in_out(self) -> None:
        if self.shift is None:
            return
        dialog = MoneyDialog(
            self.tr("Cash in or out"), self.tr("Amount (baht)"), self, reason=True, direction=True
        )
        ok = await ask(dialog, self)
        value, reason = dialog.value_satang, dialog.reason.text()
        if ok:
            await self.move_cash(value, reason)
        self.focus_scan()

    async def move_cash(self, amount_satang: int, reason: str) -> bool:
        try:
            await self.ctx.ops.write(pos.cash_movement, amount_satang, reason, self.ctx.ops.actor)
        except DomainError as exc:
            show_error(self, exc)
            return False
        self._say(
            self.tr("{amount} recorded: {reason}").format(
                amount=format_baht(amount_satang, symbol=True), reason=reason
            )
        )
        return True

    @asyncSlot()
    async def show_x_report(self) -> None:
        if self.shift is None:
            return
        report = await self.ctx.ops.read(pos.shift_report)
        await self._show_report(report)

    async def _close_shift(self) -> None:
        if self.model.rowCount():
            self._say(self.tr("Finish or hold the current sale first"), warn=True)
            return
        dialog = MoneyDialog(
            self.tr("Close shift"),
            self.tr("Cash counted in the drawer (baht)"),
            self,
            info=self.tr("Count the cash before looking at the expected amount."),
        )
        ok = await ask(dialog, self)
        counted = dialog.value_satang
        if ok:
            await self.close_shift(counted)

    async def close_shift(self, counted_satang: int) -> pos.ShiftReport | None:
        try:
            z = await self.ctx.ops.write(pos.close_shift, counted_satang, self.ctx.ops.actor)
        except DomainError as exc:
            show_error(self, exc)
            return None
        self.shift = None
        self._show_shift()
        await self._show_report(z)
        return z

    async def _show_report(self, report: pos.ShiftReport) -> None:
        profile = await self.ctx.ops.read(shop.get_profile)
        page = report_html(report, profile.name)
        title = self.tr("Z report") if report.z_number else self.tr("X report")
        self.dialog = ReportDialog(title, page, self)
        self.dialog.print_requested.connect(lambda: self._print_html(title, page))
        self.dialog.show()
        self.dialog.finished.connect(self._report_closed)

    def _report_closed(self, _result: int) -> None:
        self.dialog = None
        self.focus_scan()

    @asyncSlot(str, str)
    async def _print_html(self, title: str, page: str) -> None:
        """Print the X/Z report (short HTML) on the printer the person picks."""
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        dialog = QPrintDialog(printer, self.dialog or self)
        if await ask(dialog):
            doc = QTextDocument()
            doc.setDefaultFont(self.font())
            doc.setHtml(page)
            doc.print_(printer)

    # ------------------------------------------------------------------ changes

    @asyncSlot(set)
    async def on_changed(self, topics: set[str]) -> None:
        if "shop" in topics:  # VAT registration, prices with or without VAT, the rate
            self.terms = None
            self._totals_changed()
        if not topics & {"catalog", "pos", "orders"}:
            return
        self.busy += 1
        try:
            self._fill_grid(await self.ctx.ops.read(pos.favourites))
            self._held_count(len(await self.ctx.ops.read(pos.list_held)))
            self.shift = await self.ctx.ops.read(pos.current_shift)
            self._show_shift()
        finally:
            self.busy -= 1
