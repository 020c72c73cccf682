"""The Orders screen: every order, newest first, filtered by status, payment, channel, date,
customer and total, found by number, phone or name; one order in detail (items, payment and
its slip, shipping, notes, timeline); and what the owner does to orders — confirm a payment,
enter the carrier and tracking number, move the status (one order or many), cancel or refund
(the stock comes back), print or save invoices, receipts and shipping labels.

A change can tell the shopper in the chat the order came from, in the shop's own words (the
message templates, edited here). Everything that touches the database runs off the UI thread
through ``ctx.ops``; the screen refreshes when an operation anywhere reports ``"orders"`` or
``"pos"``. Dialogs are opened with ``open()`` and awaited (never ``exec()`` in a coroutine);
``self.dialog`` is the one open now.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QDate, QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import sales, slip_verify
from minichat_desktop.app import slips as app_slips
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentStatus
from minichat_desktop.domain.sales import order_actions, order_notify, orders, refunds
from minichat_desktop.domain.sales.orders import OrderFilters, OrderView
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import format_baht, format_phone, parse_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.date_edit import DateEdit
from minichat_desktop.ui.detail_pane import DetailPane, FactGrid, section_title, value_label
from minichat_desktop.ui.dialogs import ask, choose_file_to_open, inform
from minichat_desktop.ui.empty_state import EmptyState
from minichat_desktop.ui.errors import error_text, report_error
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.orders_dialogs import (
    PaymentDialog,
    ShippingDialog,
    SlipDialog,
    StatusDialog,
    TemplatesDialog,
    chip_label,
    set_chip,
    slip_chip,
)
from minichat_desktop.ui.orders_models import (
    STATUS_TONES,
    ItemsModel,
    OrderTableModel,
    TimelineModel,
    actor_label,
    bangkok,
    channel_label,
    method_label,
    payment_label,
    status_label,
)
from minichat_desktop.ui.tables import ColumnFitter, list_table
from minichat_desktop.ui.theme import push_button
from minichat_desktop.ui.wrap_layout import WrapLayout

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 200
TOPICS = frozenset({"orders", "pos"})
DATE_RANGES = ("any", "today", "7d", "30d", "month", "custom")


# ---------------------------------------------------------------------------- detail


class OrderDetail(DetailPane):
    """One order: who, what, payment, shipping, notes and what happened when."""

    def __init__(self) -> None:
        super().__init__(min_width=440)
        self.view: OrderView | None = None
        col = self.column
        self.badge = QLabel()
        self.title_row.addWidget(self.badge)

        actions = WrapLayout()  # wraps in a narrow pane instead of widening it
        self.pay_button = QPushButton()
        self.ship_button = QPushButton()
        self.status_button = QPushButton()
        self.status_button.setProperty("primary", True)
        self.more_button = QPushButton()
        self.more_menu = QMenu(self)
        self.cancel_action = self.more_menu.addAction("")
        self.refund_action = self.more_menu.addAction("")
        self.attach_slip_action = self.more_menu.addAction("")  # a slip that came some other way
        self.more_menu.addSeparator()
        self.invoice_action = self.more_menu.addAction("")
        self.replacement_action = self.more_menu.addAction("")  # a lost original: ใบแทน
        self.credit_action = self.more_menu.addAction("")  # refunded orders
        self.receipt_action = self.more_menu.addAction("")
        self.label_action = self.more_menu.addAction("")
        self.more_menu.addSeparator()
        self.save_invoice_action = self.more_menu.addAction("")
        self.save_label_action = self.more_menu.addAction("")
        self.more_button.setMenu(self.more_menu)
        actions.add_widgets(self.pay_button, self.ship_button, self.status_button, self.more_button)
        col.addLayout(actions)

        self.facts = FactGrid(4, names_above=True)
        self.customer, self.ship_to, self.payment, self.shipping = self.facts.values
        col.addLayout(self.facts)
        slip_row = WrapLayout()
        self.slip_button = QPushButton()
        self.slip_chip = chip_label()  # what the slip's check found
        self.customer_button = QPushButton()
        slip_row.add_widgets(self.slip_button, self.slip_chip, self.customer_button)
        col.addLayout(slip_row)

        self.items_title = section_title()
        col.addWidget(self.items_title)
        self.items_model = ItemsModel(self)
        self.items = list_table(self.items_model)
        ih = self.items.horizontalHeader()
        ih.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3, 4):
            ih.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        col.addWidget(self.items)
        self.totals = value_label()
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight)
        col.addWidget(self.totals)

        self.notes_title = section_title()
        col.addWidget(self.notes_title)
        self.notes = value_label()
        col.addWidget(self.notes)
        note_row = QHBoxLayout()
        self.note_edit = QLineEdit()
        self.note_button = QPushButton()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        col.addLayout(note_row)

        self.timeline_title = section_title()
        col.addWidget(self.timeline_title)
        self.timeline_model = TimelineModel(self)
        self.timeline = list_table(self.timeline_model)
        th = self.timeline.horizontalHeader()
        th.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        th.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        th.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.timeline.setMinimumHeight(140)
        col.addWidget(self.timeline, 2)
        self.retranslate()
        self.show_order(None)

    def retranslate(self) -> None:
        self.empty.setText(self.tr("Pick an order to see its items, payment and history."))
        self.pay_button.setText(self.tr("Mark as paid…"))
        self.ship_button.setText(self.tr("Shipping…"))
        self.status_button.setText(self.tr("Change status…"))
        self.more_button.setText(self.tr("More"))
        self.cancel_action.setText(self.tr("Cancel order…"))
        self.refund_action.setText(self.tr("Refund…"))
        self.attach_slip_action.setText(self.tr("Attach a slip…"))
        self.invoice_action.setText(self.tr("Print tax invoice / receipt (A4)…"))
        self.credit_action.setText(self.tr("Print credit note (A4)…"))
        self.replacement_action.setText(self.tr("Print a replacement for a lost original…"))
        self.receipt_action.setText(self.tr("Print short receipt"))
        self.label_action.setText(self.tr("Print shipping label…"))
        self.save_invoice_action.setText(self.tr("Save invoice as PDF…"))
        self.save_label_action.setText(self.tr("Save shipping label as PDF…"))
        self.facts.set_names(
            (self.tr("Customer"), self.tr("Ship to"), self.tr("Payment"), self.tr("Shipping"))
        )
        self.slip_button.setText(self.tr("View payment slip"))
        self.customer_button.setText(self.tr("This customer's orders"))
        self.items_title.setText(self.tr("Items"))
        self.notes_title.setText(self.tr("Notes"))
        self.note_edit.setPlaceholderText(self.tr("Add a note for your team (not sent)"))
        self.note_button.setText(self.tr("Add note"))
        self.timeline_title.setText(self.tr("Timeline"))
        self.items_model.retranslate()
        self.timeline_model.retranslate()
        if self.view is not None:
            self._fill(self.view)

    def show_order(self, view: OrderView | None) -> None:
        self.view = view
        self.show_body(view is not None)
        if view is None:
            self.items_model.set_rows([])
            self.timeline_model.set_rows([])
            return
        self._fill(view)

    def _payment_lines(self, v: OrderView) -> list[str]:
        """How it was paid, when, the reference, cash on delivery, and each refund."""
        pay = [f"{method_label(v.payment_method)} · {payment_label(v.payment_status)}"]
        if v.paid_at is not None:
            pay.append(self.tr("Paid {when}").format(when=bangkok(v.paid_at)))
        if v.payment_ref:
            pay.append(self.tr("Ref. {ref}").format(ref=v.payment_ref))
        if v.cod_satang:
            pay.append(
                self.tr("Collect on delivery {amount}").format(
                    amount=format_baht(v.cod_satang, symbol=True)
                )
            )
        for r in v.refunds:
            pay.append(
                self.tr("Refunded {amount} {when}").format(
                    amount=format_baht(r.amount_satang, symbol=True), when=bangkok(r.at)
                )
            )
        if v.partly_refunded:
            pay.append(
                self.tr("Partly refunded {amount}").format(
                    amount=format_baht(v.refunded_satang, symbol=True)
                )
            )
        return pay

    def _fill(self, v: OrderView) -> None:
        self.title.setText(v.number)
        self.badge.setText(status_label(v.status))
        theme.badge(self.badge, STATUS_TONES.get(v.status, ""))
        self.subtitle.setText(
            " · ".join(
                (bangkok(v.created_at), channel_label(v.channel), self.tr("by {who}").format(
                    who=actor_label(v.created_by)))
            )
        )  # fmt: skip
        self.customer.setText(
            "\n".join(
                x for x in (v.customer_name, format_phone(v.customer_phone), v.customer_email) if x
            )
            or "–"
        )
        address = " ".join(
            x
            for x in (
                v.ship_address, v.ship_subdistrict, v.ship_district, v.ship_province,
                v.ship_postcode,
            )
            if x
        )  # fmt: skip
        self.ship_to.setText(
            "\n".join(
                x for x in (f"{v.ship_name} {format_phone(v.ship_phone)}".strip(), address) if x
            )
            or "–"
        )
        self.payment.setText("\n".join(self._payment_lines(v)))
        ship = [v.shipping_method] if v.shipping_method else []
        if v.carrier or v.tracking_number:
            if v.carrier == v.shipping_method:
                ship.clear()
            ship.append(f"{v.carrier} {v.tracking_number}".strip())
        if v.shipped_at is not None:
            ship.append(self.tr("Shipped {when}").format(when=bangkok(v.shipped_at)))
        if v.delivered_at is not None and v.channel != Channel.POS:
            ship.append(self.tr("Delivered {when}").format(when=bangkok(v.delivered_at)))
        if not ship and v.channel == Channel.POS and v.delivered_at is not None:
            # a counter sale: the goods left with the buyer, nothing is shipped
            ship.append(
                self.tr("Handed over at the counter {when}").format(when=bangkok(v.delivered_at))
            )
        self.shipping.setText("\n".join(ship) or self.tr("Not shipped yet"))
        self.slip_button.setVisible(bool(v.slip_path))
        self.slip_chip.setVisible(bool(v.slip_path))
        if v.slip_path:
            set_chip(self.slip_chip, *slip_chip(v.slip_check))
        self.attach_slip_action.setEnabled(
            v.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        )
        self.credit_action.setVisible(v.status == OrderStatus.REFUNDED or bool(v.refunds))
        self.replacement_action.setEnabled(v.payment_status != PaymentStatus.PENDING)
        self.customer_button.setVisible(v.customer_id is not None)

        lines = [
            self.tr("Subtotal {amount}").format(amount=format_baht(v.subtotal_satang, symbol=True))
        ]
        if v.discount_satang:
            code = f" ({v.discount_code})" if v.discount_code else ""
            lines.append(
                self.tr("Discount{code} −{amount}").format(
                    code=code, amount=format_baht(v.discount_satang, symbol=True)
                )
            )
        if v.shipping_satang:
            lines.append(
                self.tr("Shipping {amount}").format(
                    amount=format_baht(v.shipping_satang, symbol=True)
                )
            )
        if v.vat_satang:
            lines.append(
                self.tr("VAT {rate}% {amount}").format(
                    rate=f"{v.vat_rate_bp / 100:g}", amount=format_baht(v.vat_satang, symbol=True)
                )
            )
        lines.append(
            self.tr("Total {amount}").format(amount=format_baht(v.total_satang, symbol=True))
        )
        self.totals.setText("\n".join(lines))
        self.items_model.set_rows(v.items)
        # As tall as its rows (up to eight), so the totals sit under the last item.
        rows = max(1, min(len(v.items), 8))
        self.items.setFixedHeight(self.items.horizontalHeader().sizeHint().height() + 30 * rows + 4)
        self.notes.setText(
            "\n".join(f"{bangkok(n.created_at)} {actor_label(n.author)}: {n.text}" for n in v.notes)
            or self.tr("No notes")
        )
        self.timeline_model.set_rows(v.timeline)

        allowed = v.allowed_next
        closed = v.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        self.pay_button.setEnabled(v.payment_status != PaymentStatus.PAID and not closed)
        self.ship_button.setEnabled(not closed)
        self.status_button.setEnabled(bool(allowed - {OrderStatus.CANCELLED, OrderStatus.REFUNDED}))
        self.cancel_action.setEnabled(OrderStatus.CANCELLED in allowed)
        self.refund_action.setEnabled(OrderStatus.REFUNDED in allowed)


# ---------------------------------------------------------------------------- the screen


class OrdersScreen(QWidget):
    """Orders: the list with filters and search, the selected order beside it, and what the
    owner does to orders (see the module's docstring)."""

    order_shown = Signal(int)  # the order now in the detail pane
    results_shown = Signal(int)  # generation of the list now shown

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = 0  # async slots still running (tests wait for 0)
        self.current_id: int | None = None
        self.customer_id: int | None = None
        self.customer_name = ""
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        self.filter_problem = ""
        self._detail_seq = 0

        self._build_toolbar()
        self._build_filters()
        self._build_table()
        self._build_bulk()
        self._build_detail()
        self._lay_out()
        self._connect()
        self._fill_combos()
        self.retranslate()
        self.refresh()

    # ------------------------------------------------------------------ building

    def _build_toolbar(self) -> None:
        self.title = QLabel(objectName="Title")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.templates_button = push_button(self.edit_templates)

    def _build_filters(self) -> None:
        self.status = QComboBox()
        self.payment = QComboBox()
        self.channel = QComboBox()
        self.dates = QComboBox()
        today = QDate.currentDate()
        self.date_from = DateEdit(today.addDays(-30))
        self.date_to = DateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setVisible(False)
        self.min_total = QLineEdit()
        self.max_total = QLineEdit()
        for e in (self.min_total, self.max_total):
            e.setFixedWidth(90)
            e.setClearButtonEnabled(True)
        self.customer_chip = QPushButton()
        self.customer_chip.setIcon(theme.icon("close"))  # pressing it drops the filter
        self.customer_chip.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.customer_chip.setVisible(False)
        self.customer_chip.clicked.connect(lambda: self.show_customer(None))

    def _build_table(self) -> None:
        self.model = OrderTableModel(self.ctx.ops, self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._report)
        self.table = list_table(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(OrderTableModel.CUSTOMER, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        for c, width in (
            (OrderTableModel.NUMBER, 130), (OrderTableModel.DATE, 105),
            (OrderTableModel.CHANNEL, 95), (OrderTableModel.STATUS, 95),
            (OrderTableModel.PAYMENT, 85), (OrderTableModel.TOTAL, 85),
        ):  # fmt: skip
            header.resizeSection(c, width)
        # On a narrow window the channel, then the payment state, then the date give way
        # to the customer's name (the detail pane shows them).
        self.column_fitter = ColumnFitter(
            self.table,
            OrderTableModel.CUSTOMER,
            (OrderTableModel.CHANNEL, OrderTableModel.PAYMENT, OrderTableModel.DATE),
        )
        self.table.selectionModel().selectionChanged.connect(lambda _a, _b: self._selected())
        self.count_label = QLabel(objectName="Muted")

    def _build_bulk(self) -> None:
        """What is done to every selected order at once."""
        self.selected_label = QLabel(objectName="Muted")
        self.bulk_status_button = push_button(self.bulk_change_status)
        self.bulk_labels_button = push_button(self.print_selected_labels)
        self.bulk_more = QPushButton()
        self.bulk_menu = QMenu(self)
        self.bulk_save_labels = self.bulk_menu.addAction("", lambda: self.save_selected("labels"))
        self.bulk_save_invoices = self.bulk_menu.addAction(
            "", lambda: self.save_selected("invoice")
        )
        self.bulk_more.setMenu(self.bulk_menu)

    def _build_detail(self) -> None:
        self.detail = OrderDetail()
        d = self.detail
        d.pay_button.clicked.connect(self.mark_paid)
        d.ship_button.clicked.connect(self.edit_shipping)
        d.status_button.clicked.connect(lambda: self.change_status())
        d.cancel_action.triggered.connect(lambda: self.change_status(OrderStatus.CANCELLED))
        d.refund_action.triggered.connect(lambda: self.refund())
        d.slip_button.clicked.connect(self.view_slip)
        d.attach_slip_action.triggered.connect(self.attach_slip)
        d.customer_button.clicked.connect(self._customer_orders)
        d.note_button.clicked.connect(self.add_note)
        d.note_edit.returnPressed.connect(self.add_note)
        d.invoice_action.triggered.connect(lambda: self._print("invoice"))
        d.credit_action.triggered.connect(lambda: self._print("credit_note"))
        d.replacement_action.triggered.connect(lambda: self._print("replacement"))
        d.receipt_action.triggered.connect(lambda: self._print("receipt"))
        d.label_action.triggered.connect(lambda: self._print("label"))
        d.save_invoice_action.triggered.connect(lambda: self._print("save_invoice"))
        d.save_label_action.triggered.connect(lambda: self._print("save_label"))

    def _lay_out(self) -> None:
        """The search bar and the filters above the list (with the bulk bar) and the order
        beside it."""
        bar = self._toolbar_row()
        filters = self._filter_row()
        bulk = self._bulk_row()
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.table, 1)
        self.empty = EmptyState()  # in the table's place while the shop has no orders
        self.empty.setVisible(False)
        lcol.addWidget(self.empty, 1)
        lcol.addLayout(bulk)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([880, 440])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)

    def _toolbar_row(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addSpacing(12)
        bar.addWidget(self.search, 1)
        # "Orders of one customer" sits by the search it narrows (the filter row is full at
        # the window's minimum width)
        bar.addWidget(self.customer_chip)
        bar.addWidget(self.templates_button)
        return bar

    def _filter_row(self) -> QHBoxLayout:
        filters = QHBoxLayout()
        filters.setSpacing(6)
        for w in (self.status, self.payment, self.channel, self.dates, self.date_from):
            filters.addWidget(w)
        self.dash = QLabel("–")
        self.dash.setVisible(False)
        filters.addWidget(self.dash)
        filters.addWidget(self.date_to)
        self.total_label = QLabel()
        filters.addSpacing(8)
        filters.addWidget(self.total_label)
        filters.addWidget(self.min_total)
        filters.addWidget(QLabel("–"))
        filters.addWidget(self.max_total)
        filters.addStretch(1)
        return filters

    def _bulk_row(self) -> QHBoxLayout:
        bulk = QHBoxLayout()
        bulk.addWidget(self.count_label)
        bulk.addStretch(1)
        bulk.addWidget(self.selected_label)
        bulk.addWidget(self.bulk_status_button)
        bulk.addWidget(self.bulk_labels_button)
        bulk.addWidget(self.bulk_more)
        return bulk

    def _connect(self) -> None:
        """A new search or filter reloads the list (typing waits for a pause), so does a
        change to orders anywhere; Ctrl+F goes to the search."""
        self.timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self.refresh)
        for e in (self.min_total, self.max_total):
            e.textChanged.connect(lambda _t: self.timer.start())
        for combo in (self.status, self.payment, self.channel):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.dates.currentIndexChanged.connect(lambda _i: self._dates_changed())
        self.date_from.dateChanged.connect(lambda _d: self.refresh())
        self.date_to.dateChanged.connect(lambda _d: self.refresh())
        self.ctx.ops.changed.connect(self.on_changed)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_search)

    # ------------------------------------------------------------------ language

    def _fill_combos(self) -> None:
        self.status.addItem("", "")
        self.status.addItem("", "open")
        for s in OrderStatus:
            self.status.addItem("", str(s))
        self.payment.addItem("", "")
        for p in PaymentStatus:
            self.payment.addItem("", str(p))
        self.channel.addItem("", "")
        for c in Channel:
            self.channel.addItem("", str(c))
        for key in DATE_RANGES:
            self.dates.addItem("", key)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Orders"))
        self.search.setPlaceholderText(self.tr("Search order number, phone or name (Ctrl+F)"))
        self.templates_button.setText(self.tr("Messages to customers…"))
        self.status.setItemText(0, self.tr("All statuses"))
        self.status.setItemText(1, self.tr("Open (not delivered or closed)"))
        for i in range(2, self.status.count()):
            self.status.setItemText(i, status_label(str(self.status.itemData(i))))
        self.payment.setItemText(0, self.tr("Any payment"))
        for i in range(1, self.payment.count()):
            self.payment.setItemText(i, _payment_filter_label(str(self.payment.itemData(i))))
        self.channel.setItemText(0, self.tr("All channels"))
        for i in range(1, self.channel.count()):
            self.channel.setItemText(i, channel_label(str(self.channel.itemData(i))))
        for i, text in enumerate(
            (
                self.tr("Any date"),
                self.tr("Today"),
                self.tr("Last 7 days"),
                self.tr("Last 30 days"),
                self.tr("This month"),
                self.tr("Choose dates…"),
            )
        ):
            self.dates.setItemText(i, text)
        self.total_label.setText(self.tr("Total ฿"))
        self.min_total.setPlaceholderText(self.tr("from"))
        self.max_total.setPlaceholderText(self.tr("to"))
        self._show_customer_chip()
        self.bulk_status_button.setText(self.tr("Change status…"))
        self.bulk_labels_button.setText(self.tr("Print labels"))
        self.bulk_more.setText(self.tr("More"))
        self.bulk_save_labels.setText(self.tr("Save labels as PDF…"))
        self.bulk_save_invoices.setText(self.tr("Save invoices as PDF…"))
        self.model.retranslate()
        self._show_count()
        self._show_selected()
        self.detail.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ list

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _dates_changed(self) -> None:
        custom = self.dates.currentData() == "custom"
        for w in (self.date_from, self.dash, self.date_to):
            w.setVisible(custom)
        self.refresh()

    def _date_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        key = str(self.dates.currentData() or "any")
        today = dt.datetime.now(BANGKOK).date()

        def start(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), BANGKOK)

        tomorrow = start(today + dt.timedelta(days=1))
        if key == "today":
            return start(today), tomorrow
        if key == "7d":
            return start(today - dt.timedelta(days=6)), tomorrow
        if key == "30d":
            return start(today - dt.timedelta(days=29)), tomorrow
        if key == "month":
            return start(today.replace(day=1)), tomorrow
        if key == "custom":
            first = cast(dt.date, self.date_from.date().toPython())  # the stubs say object
            last = cast(dt.date, self.date_to.date().toPython())
            if last < first:
                first, last = last, first
            return start(first), start(last + dt.timedelta(days=1))
        return None, None

    def _baht(self, edit: QLineEdit) -> int | None:
        text = edit.text().strip()
        if not text:
            theme.mark_invalid(edit, False)
            return None
        try:
            value = parse_baht(text)
        except ValueError:
            theme.mark_invalid(edit, True)
            self.filter_problem = self.tr("“{text}” is not an amount in baht").format(text=text)
            return None
        theme.mark_invalid(edit, False)
        return value

    def filters(self) -> OrderFilters:
        """The filters as set on screen (a total that is not an amount is left out and
        named in the count line)."""
        self.filter_problem = ""
        status = str(self.status.currentData() or "")
        if status == "open":
            status = "pending,confirmed,processing,shipped"
        created_from, created_to = self._date_range()
        return OrderFilters(
            status=status or None,
            channel=str(self.channel.currentData() or "") or None,
            payment_status=str(self.payment.currentData() or "") or None,
            customer_id=self.customer_id,
            created_from=created_from,
            created_to=created_to,
            min_total_satang=self._baht(self.min_total),
            max_total_satang=self._baht(self.max_total),
            search=self.search.text(),
        )

    def show_customer(self, customer_id: int | None, name: str = "") -> None:
        """Show only this customer's orders (None: everyone's)."""
        self.customer_id = customer_id
        self.customer_name = name
        self._show_customer_chip()
        self.refresh()

    def _customer_orders(self) -> None:
        view = self.detail.view
        if view is not None and view.customer_id is not None:
            self.show_customer(view.customer_id, view.customer_name)

    def _show_customer_chip(self) -> None:
        self.customer_chip.setVisible(self.customer_id is not None)
        self.customer_chip.setText(
            self.tr("Customer: {name}").format(name=self.customer_name or self.customer_id)
        )

    @asyncSlot()
    async def refresh(self) -> None:
        """Show the list for the filters now set; a newer refresh overtakes an older one."""
        self.timer.stop()
        self.busy += 1
        try:
            await self.model.reload(self.filters())
        finally:
            self.busy -= 1

    def _loaded(self, generation: int) -> None:
        self._show_count()
        if self.current_id is not None:
            row = self.model.row_of(self.current_id)
            selected = {i.row() for i in self.table.selectionModel().selectedRows()}
            if row >= 0 and row not in selected:
                self.table.selectionModel().blockSignals(True)
                self.table.selectRow(row)
                self.table.selectionModel().blockSignals(False)
        self._show_selected()
        self.results_shown.emit(generation)

    def _show_count(self) -> None:
        n = self.model.rowCount()
        none_at_all = n == 0 and not self.model.has_more and self.filters() == OrderFilters()
        self.table.setVisible(not none_at_all)
        self.empty.setVisible(none_at_all)
        if none_at_all:
            self.empty.say(
                self.tr("No orders yet"),
                self.tr(
                    "Orders appear here as they are placed: by shoppers in the chat (the bot "
                    "or you take them), and at the counter (POS)."
                ),
            )
        if n == 0:
            text = self.tr("No orders yet") if none_at_all else self.tr("No orders match")
        elif self.model.has_more:
            text = self.tr("{n} shown, more as you scroll").format(n=f"{n:,}")
        else:
            text = self.tr("{n} orders").format(n=f"{n:,}")
        if self.filter_problem:
            text = f"{text} · {self.filter_problem}"
        self.count_label.setText(text)

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.rows[r].id for r in rows if r < len(self.model.rows)]

    def _show_selected(self) -> None:
        n = len(self.selected_ids())
        self.selected_label.setText(self.tr("{n} selected").format(n=n) if n > 1 else "")
        for w in (self.bulk_status_button, self.bulk_labels_button, self.bulk_more):
            w.setEnabled(n > 0)

    def _selected(self) -> None:
        self._show_selected()
        index = self.table.currentIndex()
        ids = self.selected_ids()
        if index.isValid() and index.row() < len(self.model.rows):
            oid = self.model.rows[index.row()].id
            if oid in ids and oid != self.current_id:
                self.open_order(oid)
        elif len(ids) == 1 and ids[0] != self.current_id:
            self.open_order(ids[0])

    @asyncSlot(int)
    async def open_order(self, order_id: int) -> None:
        """Show an order in the detail pane (for notifications and the inbox too)."""
        self.current_id = order_id
        self._detail_seq += 1
        seq = self._detail_seq
        self.busy += 1
        try:
            view = await self.ctx.ops.read(orders.get_order, order_id)
        except DomainError as exc:
            if seq == self._detail_seq:
                self.current_id = None
                self.detail.show_order(None)
                log.info("order %s not shown: %s", order_id, exc.message)
            return
        finally:
            self.busy -= 1
        if seq != self._detail_seq:
            return
        self.detail.show_order(view)
        row = self.model.row_of(order_id)
        if row >= 0 and row not in {i.row() for i in self.table.selectionModel().selectedRows()}:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)
            self._show_selected()
        self.order_shown.emit(order_id)

    @asyncSlot(set)
    async def on_changed(self, topics: set[str]) -> None:
        if not TOPICS & set(topics):
            return
        self.busy += 1
        try:
            await self.model.reload(self.filters())
            if self.current_id is not None:
                await self.open_order(self.current_id)
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ dialogs and errors

    def _inform(self, title: str, text: str, *, warn: bool = False) -> QMessageBox:
        return inform(self, title, text, warn=warn)

    def _report(self, exc: BaseException) -> None:
        """Say what went wrong the usual way, without a modal loop; a refused change names
        the order and why (:func:`why`)."""
        report_error(self, exc, explain=lambda e: why(e, named=True))

    async def _write(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a change; report a failure (None is returned then). What it changed — a
        message queued for the shopper included — is told by the unit of work."""
        self.busy += 1
        try:
            result = await self.ctx.ops.write(fn, *args, **kwargs)
        except Exception as exc:
            self._report(exc)
            return None
        finally:
            self.busy -= 1
        return result

    async def _current(self) -> OrderView | None:
        if self.current_id is None:
            return None
        try:
            return await self.ctx.ops.read(orders.get_order, self.current_id)
        except DomainError as exc:
            self._report(exc)
            return None

    # ------------------------------------------------------------------ actions

    @asyncSlot()
    async def change_status(self, to: OrderStatus | None = None) -> order_actions.Changed | None:
        """Move the order shown (``to``: cancel or refund straight away)."""
        self.busy += 1
        try:
            view = await self._current()
            if view is None:
                return None
            allowed = view.allowed_next
            if to is not None:
                choices = [to] if to in allowed else []
            else:
                choices = [
                    s
                    for s in OrderStatus
                    if s in allowed and s not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
                ]
            dialog = StatusDialog(
                self, [view.number], choices, has_chat=bool(view.conversation_ref), chosen=to
            )
            if to is OrderStatus.CANCELLED:
                dialog.setWindowTitle(self.tr("Cancel order"))
            elif to is OrderStatus.REFUNDED:
                dialog.setWindowTitle(self.tr("Refund order"))
            if not await ask(dialog, self):
                return None
            return await self._move(
                view.id, dialog.chosen(), dialog.note.text(), tell=dialog.tell.isChecked()
            )
        finally:
            self.busy -= 1

    @asyncSlot()
    async def refund(self) -> order_actions.Refunded | None:
        """Refund part or all of the order shown through the refund dialog; its credit note
        names the buyer, asked for when the sale's tax invoice names nobody (s.86/10)."""
        from minichat_desktop.ui.printing import with_credit_buyer
        from minichat_desktop.ui.refund_dialog import RefundDialog

        self.busy += 1
        try:
            view = await self._current()
            if view is None:
                return None
            try:
                left = await self.ctx.ops.read(refunds.refundable, view.id)
            except DomainError as exc:
                self._report(exc)
                return None
            dialog = RefundDialog(self, left, has_chat=bool(view.conversation_ref))
            if not await ask(dialog, self):
                return None
            request, tell = dialog.request(), dialog.tell.isChecked()

            async def run(buyer: Buyer | None) -> order_actions.Refunded:
                result: order_actions.Refunded = await self.ctx.ops.write(
                    order_actions.refund,
                    view.id,
                    request,
                    self.ctx.ops.actor,
                    tell=tell,
                    buyer=buyer,
                )
                return result

            try:
                _done, refunded = await with_credit_buyer(self, self.ctx, view.id, run)
            except Exception as exc:
                self._report(exc)
                return None
            if refunded is not None:
                self._said_refund(refunded.refund)
            return refunded
        finally:
            self.busy -= 1

    def _said_refund(self, done: refunds.RefundView) -> None:
        text = self.tr("Refunded {amount} on {number}").format(
            amount=format_baht(done.amount_satang, symbol=True), number=done.order_number
        )
        if done.credit_note:
            text += " · " + self.tr("credit note {number}").format(number=done.credit_note)
        self._inform(self.tr("Refund"), text)

    async def _move(
        self, order_id: int, to: OrderStatus, note: str, *, tell: bool
    ) -> order_actions.Changed | None:
        """Change the status; a refund whose credit note must name a buyer the sale's
        abbreviated tax invoice lacks asks for the name and address, then tries again."""
        from minichat_desktop.ui.printing import with_credit_buyer

        async def run(buyer: Buyer | None) -> order_actions.Changed:
            result: order_actions.Changed = await self.ctx.ops.write(
                order_actions.change_status,
                order_id,
                to,
                self.ctx.ops.actor,
                note=note,
                tell=tell,
                buyer=buyer,
            )
            return result

        try:
            _done, changed = await with_credit_buyer(self, self.ctx, order_id, run)
        except Exception as exc:
            self._report(exc)
            return None
        return changed

    @asyncSlot()
    async def bulk_change_status(self) -> tuple[list[Any], list[tuple[str, Any]]] | None:
        """Move every selected order; those that cannot move are listed with the reason."""
        ids = self.selected_ids()
        if not ids:
            return None
        self.busy += 1
        try:
            numbers = [r.number for r in self.model.rows if r.id in set(ids)]
            chats = await self.ctx.ops.read(sales.any_from_chat, ids)
            choices: list[OrderStatus] = [s for s in OrderStatus if s != OrderStatus.PENDING]
            dialog = StatusDialog(self, numbers, choices, has_chat=chats)
            if not await ask(dialog, self):
                return None
            to = dialog.chosen()
            result = await self._write(
                order_actions.bulk_change_status,
                ids,
                to,
                self.ctx.ops.actor,
                tell=dialog.tell.isChecked(),
            )
            if result is None:
                return None
            done, failed = result
            if failed:
                lines = [
                    self.tr("{done} of {total} orders are now “{status}”.").format(
                        done=len(done), total=len(ids), status=status_label(to)
                    ),
                    self.tr("These could not change:"),
                ]
                lines += [f"• {number}: {why(exc)}" for number, exc in failed]
                self._inform(self.tr("Change order status"), "\n".join(lines), warn=True)
            return done, failed
        finally:
            self.busy -= 1

    @asyncSlot()
    async def mark_paid(self) -> order_actions.Changed | None:
        self.busy += 1
        try:
            view = await self._current()
            if view is None:
                return None
            dialog = PaymentDialog(
                self,
                view.number,
                format_baht(view.total_satang),
                view.payment_method,
                has_chat=bool(view.conversation_ref),
            )
            if not await ask(dialog, self):
                return None
            result: order_actions.Changed | None = await self._write(
                order_actions.mark_paid,
                view.id,
                self.ctx.ops.actor,
                method=dialog.chosen_method(),
                reference=dialog.reference.text(),
                tell=dialog.tell.isChecked(),
            )
            return result
        finally:
            self.busy -= 1

    @asyncSlot()
    async def edit_shipping(self) -> order_actions.Changed | None:
        self.busy += 1
        try:
            view = await self._current()
            if view is None:
                return None
            dialog = ShippingDialog(
                self,
                view.number,
                view.carrier or view.shipping_method,
                view.tracking_number,
                can_ship=OrderStatus.SHIPPED in view.allowed_next,
                has_chat=bool(view.conversation_ref),
            )
            if not await ask(dialog, self):
                return None
            result: order_actions.Changed | None = await self._write(
                order_actions.ship,
                view.id,
                self.ctx.ops.actor,
                carrier=dialog.carrier.currentText(),
                tracking=dialog.tracking.text(),
                mark_shipped=dialog.mark_shipped.isChecked(),
                tell=dialog.tell.isChecked(),
            )
            return result
        finally:
            self.busy -= 1

    @asyncSlot()
    async def add_note(self) -> OrderView | None:
        text = self.detail.note_edit.text().strip()
        if self.current_id is None or not text:
            return None
        result: OrderView | None = await self._write(
            order_actions.add_note, self.current_id, text, self.ctx.ops.actor
        )
        if result is not None:
            self.detail.note_edit.clear()
            self.detail.show_order(result)
        return result

    def slip_file(self, view: OrderView) -> Path | None:
        """The slip's picture on disk (paths are kept relative to the data folder), or None
        when it is only at a web address."""
        stored = view.slip_path
        if not stored or stored.startswith(("http://", "https://")):
            return None
        path = Path(stored)
        return path if path.is_absolute() else self.ctx.data_dir / path

    @asyncSlot()
    async def view_slip(self) -> SlipDialog | None:
        """The slip beside its check and the amount due; its one button records the payment
        (by transfer, the slip's reference as the payment's). A slip from before slips were
        checked is checked first."""
        view = self.detail.view
        if view is None or not view.slip_path:
            return None
        path = self.slip_file(view)
        if path is None and view.slip_check is None:
            QDesktopServices.openUrl(QUrl(view.slip_path))
            return None
        self.busy += 1
        try:
            if view.slip_check is None:
                view = await self.ctx.ops.run(
                    app_slips.check_attached_slip, self.ctx.data_dir, view.id
                )
            view = await self._check_online(view)
            dialog = self._slip_dialog(view, path)
            await ask(dialog, self)
            confirmed, tell = dialog.confirmed, dialog.tell.isChecked()
            if confirmed:
                await self._confirm_payment(view, tell)
            return dialog
        except Exception as exc:
            self._report(exc)
            return None
        finally:
            self.busy -= 1

    async def _check_online(self, view: OrderView) -> OrderView:
        """The owner's online slip check for a slip not yet checked online (none set up, or
        nothing to ask: the order as it is). With "confirm automatically" on, a passing check
        records the payment as the chat path does."""
        check = view.slip_check
        if check is None or check.verify_status:
            return view
        found = await self.ctx.ops.read(slip_verify.job_for_slip, self.ctx.secrets, check.id)
        if found is None:
            return view
        result = await slip_verify.run_check(found.job, found.key)  # the network, no database
        await self._write(slip_verify.record_check, found.slip_id, result)
        current: OrderView = await self.ctx.ops.read(orders.get_order, view.id)
        return current

    def _slip_dialog(self, view: OrderView, path: Path | None) -> SlipDialog:
        payable = view.payment_status == PaymentStatus.PENDING and view.status not in (
            OrderStatus.CANCELLED,
            OrderStatus.REFUNDED,
        )
        paid = ""
        if view.paid_at is not None:
            paid = self.tr("Paid {when}").format(when=bangkok(view.paid_at))
        return SlipDialog(
            self,
            path,
            view.number,
            total_satang=view.total_satang,
            check=view.slip_check,
            payable=payable,
            paid_note=paid,
            has_chat=bool(view.conversation_ref),
        )

    async def _confirm_payment(self, view: OrderView, tell: bool) -> None:
        """The owner confirmed the slip shown: paid, with the slip's reference."""
        check = view.slip_check
        await self._write(
            app_slips.confirm_slip_payment,
            view.id,
            check.id if check is not None else None,
            self.ctx.ops.actor,
            tell=tell,
        )

    @asyncSlot()
    async def attach_slip(self) -> OrderView | None:
        """A slip picture from a file (the shopper sent it some other way): copied into the
        data folder, checked as a chat slip is, then shown beside the amount due."""
        order_id = self.current_id
        if order_id is None:
            return None
        self.busy += 1
        try:
            name = await choose_file_to_open(
                self,
                self.tr("Choose the payment slip picture"),
                "",
                self.tr("Pictures (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff)"),
            )
            if not name:
                return None
            try:
                result: OrderView = await self.ctx.ops.run(
                    app_slips.attach_slip_file,
                    self.ctx.data_dir,
                    order_id,
                    Path(name),
                    self.ctx.ops.actor,
                )
            except Exception as exc:
                self._report(exc)
                return None
            if self.current_id == order_id:
                self.detail.show_order(result)
                await self.view_slip()
            return result
        finally:
            self.busy -= 1

    @asyncSlot()
    async def edit_templates(self) -> dict[str, str] | None:
        """Edit the messages sent to shoppers when their orders move."""
        self.busy += 1
        try:
            try:
                templates = await self.ctx.ops.read(order_notify.get_templates)
            except DomainError as exc:
                self._report(exc)
                return None
            dialog = TemplatesDialog(self, templates)
            if not await ask(dialog, self):
                return None
            saved: dict[str, str] | None = await self._write(
                order_notify.save_templates, dialog.templates
            )
            return saved
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ printing

    @asyncSlot()
    async def _print(self, what: str) -> None:
        if self.current_id is None:
            return
        from minichat_desktop.ui import printing

        oid = self.current_id
        jobs: dict[str, Callable[[], Awaitable[Any]]] = {
            "invoice": lambda: printing.print_invoice(self, self.ctx, oid),
            "credit_note": lambda: printing.print_credit_note(self, self.ctx, oid),
            "replacement": lambda: printing.print_replacement(self, self.ctx, oid),
            "receipt": lambda: printing.print_receipt(self, self.ctx, oid),
            "label": lambda: printing.print_labels(self, self.ctx, [oid]),
            "save_invoice": lambda: printing.save_document(self, self.ctx, "invoice", [oid]),
            "save_label": lambda: printing.save_document(self, self.ctx, "labels", [oid]),
        }
        await self._printing(jobs[what])

    @asyncSlot()
    async def print_selected_labels(self) -> None:
        """Shipping labels of every selected order, one print job."""
        ids = self.selected_ids()
        if ids:
            from minichat_desktop.ui import printing

            await self._printing(lambda: printing.print_labels(self, self.ctx, ids))

    @asyncSlot()
    async def save_selected(self, what: str) -> None:
        """``"labels"`` or ``"invoice"`` of every selected order, as one PDF file."""
        ids = self.selected_ids()
        if ids:
            from minichat_desktop.ui import printing

            await self._printing(lambda: printing.save_document(self, self.ctx, what, ids))

    async def _printing(self, job: Callable[[], Awaitable[Any]]) -> None:
        """Run a print or save job; what goes wrong is shown, not raised."""
        self.busy += 1
        try:
            await job()
        except Exception as exc:
            self._report(exc)
        finally:
            self.busy -= 1


def why(exc: UserError, *, named: bool = False) -> str:
    """Why an order could not change, in the UI's language. A refused status move names both
    statuses as the owner reads them (and what to do instead); ``named`` puts the order
    number first (a list of failures names it already)."""
    if exc.code != "order.bad_transition":
        return error_text(exc)
    current, to = str(exc.params.get("current", "")), str(exc.params.get("to", ""))
    text = t("it is “{current}” and cannot become “{to}”").format(
        current=status_label(current), to=status_label(to)
    )
    # Those statuses may be cancelled unless paid: the refusal means it is paid.
    if to == OrderStatus.CANCELLED and current in ("pending", "confirmed", "processing"):
        text += t("; a paid order is refunded instead")
    elif to == OrderStatus.REFUNDED and current not in ("cancelled", "refunded"):
        text += t("; only a paid order can be refunded")
    return f"{exc.params.get('order', '')}: {text}" if named else text


def _payment_filter_label(status: str) -> str:
    return payment_label(status) if status != "refunded" else t("Payment refunded")


__all__ = ["OrderDetail", "OrdersScreen"]
