"""The till's dialogs: taking payment (cash with change, PromptPay QR, card, split), shifts
(open, cash in/out, X/Z report), picking a variant, held sales, and the buyer's details for a
full tax invoice. Keyboard first: every dialog opens with the cursor where the next key goes.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.domain import promptpay
from minichat_desktop.domain.models import PaymentMethod
from minichat_desktop.domain.sales.pos import HeldView, Sellable, ShiftReport, Tender
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import ThaiFormatError, format_baht, parse_baht
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.i18n import when as when_text
from minichat_desktop.ui.list_rows import Row, fill

METHOD_NAMES = {
    PaymentMethod.CASH: "Cash",
    PaymentMethod.PROMPTPAY: "PromptPay",
    PaymentMethod.CARD: "Card",
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.COD: "Cash on delivery",
    PaymentMethod.OTHER: "Other",
}


def method_name(method: str) -> str:
    try:
        return t(METHOD_NAMES[PaymentMethod(method)])
    except ValueError:
        return method


def read_money(edit: QLineEdit, *, allow_zero: bool = True) -> int | None:
    """The amount typed in ``edit`` in satang, or None (the field is marked) when it is not
    an amount."""
    try:
        value = parse_baht(edit.text())
    except ThaiFormatError:
        value = None
    if value is None or (value == 0 and not allow_zero):
        theme.mark_invalid(edit, True)
        edit.setToolTip(t("Type an amount in baht, e.g. 1,250 or 99.50"))
        edit.setFocus()
        edit.selectAll()
        return None
    theme.mark_invalid(edit, False)
    edit.setToolTip("")
    return value


def _big(text: str = "", role: str = "figure") -> QLabel:
    """A large amount: ``figure`` (the change), ``big`` (what is due)."""
    return theme.role(QLabel(text), role)


# ---------------------------------------------------------------------------- paying


QR_CARD_WIDTH = 300  # px on screen: the Thai QR Payment card beside the amounts
PAY_WIDTH = 520


class PayDialog(QDialog):
    """Take the money for ``total_satang``: the amount field holds what is still due; Enter
    (or F9) takes it as cash, F10 shows the PromptPay QR, F11 takes a card. A part payment
    leaves the rest due for the next method (a split payment)."""

    def __init__(
        self,
        total_satang: int,
        promptpay_id: str,
        parent: QWidget | None = None,
        *,
        shop_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.shop_name = shop_name
        self.setWindowTitle(t("Take payment"))
        self.setMinimumWidth(PAY_WIDTH)
        self.total = total_satang
        self.promptpay_id = promptpay_id
        self.tenders: list[Tender] = []
        self.change_satang = 0

        self.due_label = QLabel(t("To pay"))
        self.due = _big(role="big")
        self.amount = QLineEdit()
        theme.large(self.amount)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.ref = QLineEdit()
        self.ref.setPlaceholderText(t("Reference (card slip, transfer) — optional"))
        self.paid_list = QLabel(objectName="Muted")
        self.change = _big()

        self.cash_button = QPushButton(t("Cash (F9 / Enter)"))
        self.cash_button.setProperty("primary", True)
        self.promptpay_button = QPushButton(t("PromptPay QR (F10)"))
        self.card_button = QPushButton(t("Card (F11)"))
        self.transfer_button = QPushButton(t("Bank transfer"))
        self.cash_button.clicked.connect(self.take_cash)
        self.promptpay_button.clicked.connect(self.show_promptpay)
        self.card_button.clicked.connect(lambda: self.take(PaymentMethod.CARD))
        self.transfer_button.clicked.connect(lambda: self.take(PaymentMethod.BANK_TRANSFER))
        self.promptpay_button.setEnabled(bool(promptpay_id))
        if not promptpay_id:
            self.promptpay_button.setToolTip(t("Set the shop's PromptPay ID in Settings first"))

        quick = QHBoxLayout()
        self.quick_buttons: list[QPushButton] = []
        for _ in range(4):
            b = QPushButton()
            b.clicked.connect(lambda _c=False, b=b: self._quick(b))
            quick.addWidget(b)
            self.quick_buttons.append(b)

        self.qr = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.qr_caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.qr_received = QPushButton(t("Payment received"))
        self.qr_received.setProperty("primary", True)
        self.qr_received.clicked.connect(lambda: self.take(PaymentMethod.PROMPTPAY))
        self.qr_box = QWidget()
        qr_col = QVBoxLayout(self.qr_box)
        qr_col.addWidget(self.qr)
        qr_col.addWidget(self.qr_caption)
        qr_col.addWidget(self.qr_received)
        self.qr_box.hide()

        methods = QGridLayout()
        methods.addWidget(self.cash_button, 0, 0)
        methods.addWidget(self.promptpay_button, 0, 1)
        methods.addWidget(self.card_button, 1, 0)
        methods.addWidget(self.transfer_button, 1, 1)
        cancel = QPushButton(t("Back to the sale (Esc)"))
        cancel.clicked.connect(self.reject)

        # The QR card shows beside the amounts (a laptop has width to spare, not height).
        outer = QHBoxLayout(self)
        layout = QVBoxLayout()
        outer.addLayout(layout, 1)
        outer.addWidget(self.qr_box)
        layout.addWidget(self.due_label)
        layout.addWidget(self.due)
        layout.addWidget(self.paid_list)
        layout.addWidget(QLabel(t("Amount received")))
        layout.addWidget(self.amount)
        layout.addLayout(quick)
        layout.addWidget(self.ref)
        layout.addLayout(methods)
        layout.addWidget(self.change)
        layout.addWidget(cancel)

        QShortcut(QKeySequence("F9"), self, activated=self.take_cash)
        QShortcut(QKeySequence("F10"), self, activated=self.show_promptpay)
        QShortcut(QKeySequence("F11"), self, activated=lambda: self.take(PaymentMethod.CARD))
        self.amount.returnPressed.connect(self.take_cash)
        self.amount.textChanged.connect(lambda _t: self._live())
        self._refresh()

    def _live(self) -> None:
        """While the amount is typed: the change to give back, or what is still short."""
        try:
            received = parse_baht(self.amount.text())
        except ThaiFormatError:
            self.change.setText("")
            return
        due = self.remaining
        if received >= due:
            said, colour = t("Change {amount}"), "ok"
        else:
            said, colour = t("Short {amount}"), "warn"
        self.change.setText(said.format(amount=format_baht(abs(received - due), symbol=True)))
        theme.tone(self.change, colour)

    def _primary(self, button: QPushButton) -> None:
        """One primary action at a time: the QR's "received" while it shows, else cash."""
        for b in (self.cash_button, self.qr_received):
            b.setProperty("primary", b is button)
            b.style().unpolish(b)
            b.style().polish(b)

    @property
    def remaining(self) -> int:
        return self.total - sum(tn.amount_satang for tn in self.tenders)

    def _refresh(self) -> None:
        due = self.remaining
        self.due.setText(format_baht(due, symbol=True))
        self.amount.setText(format_baht(due))
        self.amount.selectAll()
        self.amount.setFocus()
        if self.tenders:
            self.due_label.setText(t("Still to pay"))
            self.paid_list.setText(
                t("Paid so far: {list}").format(
                    list=", ".join(
                        f"{method_name(tn.method)} {format_baht(tn.amount_satang, symbol=True)}"
                        for tn in self.tenders
                    )
                )
            )
        # quick cash: exact, then the next round notes
        options = [due]
        for step in (10000, 50000, 100000):
            nxt = -(-due // step) * step
            if nxt > due and nxt not in options:
                options.append(nxt)
        for step in (200000, 500000):
            if len(options) < 4 and step > options[-1]:
                options.append(step)
        for b, amount in zip(self.quick_buttons, options + [0] * 4, strict=False):
            b.setVisible(amount > 0)
            b.setText(t("Exact") if amount == due else format_baht(amount, symbol=True))
            b.setProperty("amount", amount)

    def _quick(self, button: QPushButton) -> None:
        self.amount.setText(format_baht(int(button.property("amount"))))
        self.take_cash()

    def take_cash(self) -> None:
        received = read_money(self.amount, allow_zero=False)
        if received is None:
            return
        due = self.remaining
        if received >= due:
            self.tenders.append(Tender(PaymentMethod.CASH, due, received))
            self.change_satang = received - due
            self.accept()
            return
        self.tenders.append(Tender(PaymentMethod.CASH, received, received))
        self._refresh()

    def take(self, method: PaymentMethod) -> None:
        amount = read_money(self.amount, allow_zero=False)
        if amount is None:
            return
        if amount > self.remaining:
            amount = self.remaining  # only cash gives change
        self.tenders.append(Tender(method, amount, 0, self.ref.text().strip()))
        self.ref.clear()
        self.qr_box.hide()
        self.setMinimumWidth(PAY_WIDTH)
        self._primary(self.cash_button)
        if self.remaining == 0:
            self.accept()
        else:
            self._refresh()

    def show_promptpay(self) -> None:
        if not self.promptpay_id:
            return
        amount = read_money(self.amount, allow_zero=False)
        if amount is None:
            return
        amount = min(amount, self.remaining)
        self.amount.setText(format_baht(amount))
        payload = promptpay.promptpay_payload(self.promptpay_id, Decimal(amount) / Decimal(100))
        png = promptpay.promptpay_card_png(payload, self.shop_name, amount)
        card = QPixmap.fromImage(QImage.fromData(png, "PNG"))  # type: ignore[arg-type]
        self.qr.setPixmap(
            card.scaledToWidth(QR_CARD_WIDTH, Qt.TransformationMode.SmoothTransformation)
        )
        self.qr_caption.setText(
            t("Scan to pay {amount} by PromptPay").format(amount=format_baht(amount, symbol=True))
        )
        self.qr_box.show()
        self.setMinimumWidth(PAY_WIDTH + QR_CARD_WIDTH + 40)  # the card beside the amounts
        self._primary(self.qr_received)
        self.qr_received.setFocus()


# ---------------------------------------------------------------------------- shifts


class MoneyDialog(QDialog):
    """Ask for an amount (and optionally a reason): the opening float, cash in/out, the
    closing count."""

    def __init__(
        self,
        title: str,
        prompt: str,
        parent: QWidget | None = None,
        *,
        reason: bool = False,
        direction: bool = False,
        info: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.value_satang = 0
        self.amount = QLineEdit("0.00")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        theme.large(self.amount)
        self.reason = QLineEdit()
        self.note_label = QLabel(info, objectName="Muted")
        self.note_label.setWordWrap(True)
        self.out_button: QPushButton | None = None
        form = QFormLayout()
        form.addRow(prompt, self.amount)
        if reason:
            form.addRow(t("Reason"), self.reason)
        self.reason.setVisible(reason)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        if info:
            layout.addWidget(self.note_label)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        if direction:
            in_button = buttons.addButton(t("Cash in"), QDialogButtonBox.ButtonRole.AcceptRole)
            self.out_button = buttons.addButton(
                t("Cash out"), QDialogButtonBox.ButtonRole.AcceptRole
            )
            in_button.clicked.connect(lambda: self._done(1))
            self.out_button.clicked.connect(lambda: self._done(-1))
        else:
            ok = buttons.addButton(t("OK"), QDialogButtonBox.ButtonRole.AcceptRole)
            ok.setProperty("primary", True)
            ok.clicked.connect(lambda: self._done(1))
        cancel = buttons.addButton(t("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.amount.returnPressed.connect(lambda: self._done(1))
        self.amount.selectAll()
        self.amount.setFocus()

    def _done(self, sign: int) -> None:
        value = read_money(self.amount)
        if value is None:
            return
        self.value_satang = sign * value
        self.accept()


def report_html(report: ShiftReport, shop_name: str) -> str:
    """The X/Z report as a small HTML page (shown on screen and printed)."""
    title = (
        t("End-of-day report (Z) no. {n}").format(n=report.z_number)
        if report.z_number
        else t("Shift so far (X report)")
    )

    def when(value: object) -> str:
        return when_text(value) if isinstance(value, dt.datetime) else "—"

    rows = [
        (t("Opened"), f"{when(report.opened_at)} · {html.escape(report.opened_by)}"),
        (t("Closed"), f"{when(report.closed_at)} · {html.escape(report.closed_by)}")
        if report.closed_at
        else None,
        (t("Receipts"), f"{report.first_order} – {report.last_order}")
        if report.first_order
        else None,
        (
            t("Sales"),
            f"{report.sales_count} · {format_baht(report.sales_total_satang, symbol=True)}",
        ),
        (t("Discounts given"), format_baht(report.discounts_satang, symbol=True)),
        (t("VAT in sales"), format_baht(report.vat_satang, symbol=True)),
        (
            t("Refunds"),
            f"{report.refunds_count} · {format_baht(report.refunds_total_satang, symbol=True)}",
        ),
        (t("Net sales"), f"<b>{format_baht(report.net_sales_satang, symbol=True)}</b>"),
    ]
    rows += [(method_name(m), format_baht(v, symbol=True)) for m, v in report.by_method.items()]
    rows += [
        (t("Opening float"), format_baht(report.opening_float_satang, symbol=True)),
        (t("Cash in"), format_baht(report.cash_in_satang, symbol=True)),
        (t("Cash out"), format_baht(report.cash_out_satang, symbol=True)),
        (
            t("Expected cash in drawer"),
            f"<b>{format_baht(report.expected_cash_satang, symbol=True)}</b>",
        ),
    ]
    if report.counted_cash_satang is not None:
        diff = report.difference_satang or 0
        colour = theme.RED if diff < 0 else theme.GREEN
        rows += [
            (t("Counted cash"), format_baht(report.counted_cash_satang, symbol=True)),
            (
                t("Over / short"),
                f"<b style='color:{colour}'>{format_baht(diff, symbol=True, plus=True)}</b>",
            ),
        ]
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td align='right'>{v}</td></tr>"
        for k, v in (r for r in rows if r)
    )
    moves = "".join(
        f"<tr><td>{when(at)} {html.escape(reason)} ({html.escape(actor)})</td>"
        f"<td align='right'>{format_baht(amount, symbol=True)}</td></tr>"
        for at, amount, reason, actor in report.movements
    )
    if moves:
        moves = f"<h4>{html.escape(t('Cash in and out'))}</h4><table width='100%'>{moves}</table>"
    return (
        f"<h3>{html.escape(shop_name)}</h3><h4>{html.escape(title)}</h4>"
        f"<table width='100%' cellpadding='2'>{body}</table>{moves}"
    )


class ReportDialog(QDialog):
    print_requested = Signal()

    def __init__(self, title: str, page: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(460, 600)
        self.view = QTextBrowser()
        self.view.setHtml(page)
        buttons = QDialogButtonBox()
        self.print_button = buttons.addButton(t("Print"), QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(self.print_requested.emit)
        close = buttons.addButton(t("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)


# ---------------------------------------------------------------------------- picking


class PickDialog(QDialog):
    """Choose one row of a list with the arrow keys and Enter (variants, held sales, recent
    sales)."""

    def __init__(self, title: str, rows: list[Row], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(480, 360)
        self.chosen: object = None
        self.list = QListWidget()
        fill(self.list, rows)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(self._choose)
        buttons = QDialogButtonBox()
        ok = buttons.addButton(t("Choose"), QDialogButtonBox.ButtonRole.AcceptRole)
        ok.clicked.connect(lambda: self._choose(self.list.currentItem()))
        cancel = buttons.addButton(t("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.list.setFocus()

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self.chosen = item.data(Qt.ItemDataRole.UserRole)
        self.accept()


def sellable_row(s: Sellable) -> Row:
    """A product option as a row: its name, price, SKU and stock (red when none is left)."""
    out = s.track_inventory and s.stock <= 0
    stock = (
        (t("Out of stock") if out else t("in stock: {n}").format(n=s.stock))
        if s.track_inventory
        else ""
    )
    detail = " · ".join(x for x in (s.sku, stock) if x)
    return Row(s.label, s, detail, format_baht(s.price_satang, symbol=True), warn=out)


def variant_rows(items: list[Sellable]) -> list[Row]:
    return [sellable_row(s) for s in items]


def held_rows(held: list[HeldView]) -> list[Row]:
    return [
        Row(
            h.label or t("(no name)"),
            h.id,
            t("{n} items").format(n=h.item_count)
            + " · "
            + t("held at {time}").format(time=f"{h.created_at.astimezone(BANGKOK):%H:%M}"),
            format_baht(h.total_satang, symbol=True),
        )
        for h in held
    ]


class BuyerDialog(QDialog):
    """The buyer's details for a full tax invoice (name, tax ID, branch), or just a name and
    phone to find the customer later."""

    def __init__(self, current: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Customer"))
        self.setMinimumWidth(480)
        self.fields = {
            "customer_name": QLineEdit(current.get("customer_name", "")),
            "customer_phone": QLineEdit(current.get("customer_phone", "")),
            "customer_tax_id": QLineEdit(current.get("customer_tax_id", "")),
            "customer_branch": QLineEdit(current.get("customer_branch", "")),
        }
        self.fields["customer_tax_id"].setPlaceholderText(t("13 digits, for a full tax invoice"))
        self.fields["customer_branch"].setPlaceholderText(t("Head office or branch number"))
        form = QFormLayout()
        form.addRow(t("Name"), self.fields["customer_name"])
        form.addRow(t("Phone"), self.fields["customer_phone"])
        form.addRow(t("Tax ID"), self.fields["customer_tax_id"])
        form.addRow(t("Branch"), self.fields["customer_branch"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Ok).setProperty("primary", True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        intro = QLabel(
            t("A name and phone find the customer later; a full tax invoice also needs the tax ID.")
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {k: w.text().strip() for k, w in self.fields.items()}
