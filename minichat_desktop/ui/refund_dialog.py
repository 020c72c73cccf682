"""The refund dialog, for the orders screen and the counter: each line with what it may still
give back, the units returned or an amount taken off it (a price reduction), the shipping,
the reason, whether the goods came back into stock, and the refund's total and VAT worked out
live by the domain's own arithmetic (``refunds.plan_refund``). An over-refund is said under
the table and the refund button stays off until it is fixed.

It only collects the :class:`RefundRequest`; the caller runs it (``ui.ops``), asking for the
credit note's buyer when the sale's tax invoice names nobody (``printing.with_credit_buyer``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.domain.sales.refunds import Refundable, RefundPlan, RefundRequest, plan_refund
from minichat_desktop.domain.thai import ThaiFormatError, format_baht, parse_baht
from minichat_desktop.errors import UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.errors import error_text

_ITEM, _ORDERED, _LEFT_QTY, _LEFT_MONEY, _BACK, _OFF = range(6)


class RefundDialog(QDialog):
    """Choose what to refund on one paid order (``left``: what it may still give back)."""

    def __init__(self, parent: QWidget | None, left: Refundable, *, has_chat: bool = False) -> None:
        super().__init__(parent)
        self.left = left
        self.setWindowTitle(self.tr("Refund {number}").format(number=left.order_number))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(640)
        intro = QLabel(
            self.tr(
                "Give back units of a line, or take an amount off a line (a price reduction: "
                "nothing comes back). A sale with a tax invoice gets a credit note for exactly "
                "this refund."
            )
        )
        intro.setWordWrap(True)
        self.table = self._table()
        self.shipping = QCheckBox(
            self.tr("Refund the shipping ({amount})").format(
                amount=format_baht(left.shipping_left, symbol=True)
            )
        )
        self.shipping.setVisible(left.shipping_left > 0)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(
            self.tr("e.g. damaged in transit; printed on the credit note")
        )
        self.restock = QCheckBox(self.tr("The goods came back: return the units to stock"))
        self.restock.setChecked(True)
        self.tell = QCheckBox(self.tr("Tell the customer in chat"))
        self.tell.setChecked(has_chat)
        self.tell.setVisible(has_chat)
        self.summary = QLabel(objectName="RefundSummary")
        theme.role(self.summary, "strong")
        self.summary.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        theme.tone(self.problem, "error")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setProperty("primary", True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        everything = self.buttons.addButton(
            self.tr("Refund everything"), QDialogButtonBox.ButtonRole.ResetRole
        )
        everything.clicked.connect(self.choose_everything)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.shipping)
        layout.addLayout(form)
        layout.addWidget(self.restock)
        layout.addWidget(self.tell)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.shipping.toggled.connect(lambda _on: self.update_totals())
        self.reason.textChanged.connect(lambda _t: self.update_totals())
        self.update_totals()

    def _table(self) -> QTableWidget:
        table = QTableWidget(len(self.left.lines), 6)
        table.setHorizontalHeaderLabels(
            [
                self.tr("Item"),
                self.tr("Ordered"),
                self.tr("Can return"),
                self.tr("Can refund"),
                self.tr("Units back"),
                self.tr("Or amount off (฿)"),
            ]
        )
        table.verticalHeader().setVisible(False)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the spin boxes and amounts take focus
        header = table.horizontalHeader()
        header.setSectionResizeMode(_ITEM, QHeaderView.ResizeMode.Stretch)
        for col in (_ORDERED, _LEFT_QTY, _LEFT_MONEY, _BACK, _OFF):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.units: list[QSpinBox] = []
        self.amounts: list[QLineEdit] = []
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, ln in enumerate(self.left.lines):
            name = QTableWidgetItem(f"{ln.name}\n{ln.sku}")
            table.setItem(row, _ITEM, name)
            for col, text in (
                (_ORDERED, f"{ln.quantity:,}"),
                (_LEFT_QTY, f"{ln.quantity_left:,}"),
                (_LEFT_MONEY, format_baht(ln.satang_left, symbol=True)),
            ):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(right)
                table.setItem(row, col, cell)
            spin = QSpinBox()
            spin.setRange(0, ln.quantity_left)
            spin.setEnabled(ln.quantity_left > 0)
            spin.valueChanged.connect(lambda _v: self.update_totals())
            amount = QLineEdit()
            amount.setPlaceholderText("0.00")
            amount.setAlignment(right)
            amount.setEnabled(ln.satang_left > 0)
            amount.textChanged.connect(lambda _t: self.update_totals())
            table.setCellWidget(row, _BACK, spin)
            table.setCellWidget(row, _OFF, amount)
            self.units.append(spin)
            self.amounts.append(amount)
        table.resizeRowsToContents()
        return table

    # ------------------------------------------------------------------ what was chosen

    def request(self) -> RefundRequest:
        """The refund chosen. Raises :class:`UserError` ``refund.bad_amount`` naming an amount
        that is not baht."""
        quantities: dict[int, int] = {}
        amounts: dict[int, int] = {}
        for ln, spin, field in zip(self.left.lines, self.units, self.amounts, strict=True):
            if spin.value():
                quantities[ln.item_id] = spin.value()
            text = field.text().strip()
            if text:
                try:
                    satang = parse_baht(text)
                except ThaiFormatError as exc:
                    raise UserError(
                        "refund.bad_amount",
                        f"{ln.sku}: {text!r} is not an amount in baht (e.g. 50 or 49.50)",
                        sku=ln.sku,
                        text=text,
                    ) from exc
                if satang:
                    amounts[ln.item_id] = satang
        return RefundRequest(
            quantities=quantities,
            amounts=amounts,
            shipping=self.left.shipping_left > 0 and self.shipping.isChecked(),
            reason=self.reason.text().strip(),
            restock=self.restock.isChecked() and bool(quantities),
        )

    def plan(self) -> RefundPlan:
        """The refund's money as it would be made. Raises :class:`UserError`."""
        return plan_refund(self.left, self.request())

    def choose_everything(self) -> None:
        """Every unit and the shipping still refundable."""
        for spin, field in zip(self.units, self.amounts, strict=True):
            field.clear()
            spin.setValue(spin.maximum())
        self.shipping.setChecked(True)
        self.update_totals()

    def update_totals(self) -> None:
        """Say what the refund gives back and the VAT its credit note credits, or what is
        wrong; the refund button is on only for a refund that can be made."""
        try:
            plan = self.plan()
        except UserError as exc:
            nothing = exc.code == "refund.empty"
            self.summary.setText(self.tr("Choose what to refund.") if nothing else "")
            self.problem.setText("" if nothing else error_text(exc))
            self.ok.setText(self.tr("Refund"))
            self.ok.setEnabled(False)
            return
        self.problem.setText("")
        text = self.tr("Give back {amount}").format(
            amount=format_baht(plan.amount_satang, symbol=True)
        )
        if plan.vat_satang:
            text += " · " + self.tr("VAT {amount}").format(
                amount=format_baht(plan.vat_satang, symbol=True)
            )
        if plan.completes:
            text += " · " + self.tr("the whole order is then refunded")
        self.summary.setText(text)
        self.ok.setText(
            self.tr("Refund {amount}").format(amount=format_baht(plan.amount_satang, symbol=True))
        )
        self.ok.setEnabled(bool(self.reason.text().strip()))
        if not self.reason.text().strip():
            self.problem.setText(self.tr("Say why (it is printed on the credit note)."))

    def accept(self) -> None:
        self.update_totals()
        if self.ok.isEnabled():
            super().accept()
