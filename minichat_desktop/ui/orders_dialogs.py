"""Dialogs of the Orders screen: change status (one or many orders), record a payment, enter
shipping, view the payment slip with zoom, and edit the messages sent to shoppers.

Each dialog checks what it can without the database (a tracking number's S10 check digit, a
template's placeholders) and says what is wrong inside itself, keeping what was typed; the
screen then runs the change. Dialogs are opened with ``open()`` and awaited by the screen (no
``exec()`` inside a coroutine).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImageReader, QPixmap, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.domain.enums import SlipCheck
from minichat_desktop.domain.models import OrderStatus, PaymentMethod
from minichat_desktop.domain.sales import order_actions, order_notify
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.errors import error_text
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.orders_models import event_label, method_label, status_label
from minichat_desktop.ui.placeholder_edit import FieldButtons, PlaceholderEdit

if TYPE_CHECKING:
    from minichat_desktop.domain.payments.slips import SlipCheckView


def _problem_label() -> QLabel:
    return theme.problem_label(strong=False)


def _tell_box(has_chat: bool) -> QCheckBox:
    box = QCheckBox()
    box.setChecked(has_chat)
    box.setEnabled(has_chat)
    return box


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setProperty("primary", True)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(dialog.tr("Cancel"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class StatusDialog(QDialog):
    """Move one or more orders to a status, with a note (the cancel reason) and whether to
    tell the shoppers in their chats."""

    def __init__(
        self,
        parent: QWidget | None,
        numbers: list[str],
        choices: list[OrderStatus],
        *,
        has_chat: bool,
        chosen: OrderStatus | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Change order status"))
        self.setMinimumWidth(420)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        shown = ", ".join(numbers[:3]) + (
            self.tr(" and {n} more").format(n=len(numbers) - 3) if len(numbers) > 3 else ""
        )
        self.what = QLabel(shown)
        self.what.setWordWrap(True)
        theme.role(self.what, "strong")
        self.status = QComboBox()
        for s in choices:
            self.status.addItem(status_label(s), str(s))
        if chosen is not None:
            self.status.setCurrentIndex(max(0, self.status.findData(str(chosen))))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("Optional; for a cancellation, the reason"))
        self.tell = _tell_box(has_chat)
        self.tell.setText(
            self.tr("Tell the customer in chat")
            if has_chat
            else self.tr("Tell the customer in chat (no chat for this order)")
        )
        self.stock_hint = QLabel(objectName="Muted")
        self.stock_hint.setWordWrap(True)
        self.problem = _problem_label()
        form = QFormLayout()
        form.addRow(self.tr("Orders"), self.what)
        form.addRow(self.tr("New status"), self.status)
        form.addRow(self.tr("Note"), self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tell)
        layout.addWidget(self.stock_hint)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self, self.tr("Change status")))
        self.status.currentIndexChanged.connect(lambda _i: self._hint())
        self._hint()

    def chosen(self) -> OrderStatus:
        return OrderStatus(str(self.status.currentData()))

    def _hint(self) -> None:
        to = str(self.status.currentData() or "")
        self.stock_hint.setText(
            self.tr("The reserved stock goes back to the shelf.")
            if to == "cancelled"
            else self.tr("The goods come back into stock and the payment is marked refunded.")
            if to == "refunded"
            else ""
        )

    def accept(self) -> None:
        if self.status.count() == 0:
            self.problem.setText(self.tr("These orders cannot change status any more."))
            return
        super().accept()


class PaymentDialog(QDialog):
    """Record that an order is paid: the method and a reference (the slip's transfer id)."""

    def __init__(self, parent: QWidget | None, number: str, total: str, method: str,
                 *, has_chat: bool) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(self.tr("Mark as paid"))
        self.setMinimumWidth(400)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.what = QLabel(self.tr("Order {number} · ฿{total}").format(number=number, total=total))
        theme.role(self.what, "strong")
        self.method = QComboBox()
        for m in PaymentMethod:
            self.method.addItem(method_label(m), str(m))
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.reference = QLineEdit()
        self.reference.setPlaceholderText(self.tr("Transfer reference from the slip (optional)"))
        self.tell = _tell_box(has_chat)
        self.tell.setText(self.tr("Tell the customer in chat"))
        form = QFormLayout()
        form.addRow(self.what)
        form.addRow(self.tr("Paid by"), self.method)
        form.addRow(self.tr("Reference"), self.reference)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tell)
        layout.addWidget(_buttons(self, self.tr("Mark as paid")))

    def chosen_method(self) -> PaymentMethod:
        return PaymentMethod(str(self.method.currentData()))


class ShippingDialog(QDialog):
    """The carrier (a list of Thai carriers, or type another) and the tracking number;
    Thailand Post numbers are checked with the S10 check digit before the dialog closes."""

    def __init__(self, parent: QWidget | None, number: str, carrier: str, tracking: str,
                 *, can_ship: bool, has_chat: bool) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(self.tr("Shipping"))
        self.setMinimumWidth(440)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.what = QLabel(self.tr("Order {number}").format(number=number))
        theme.role(self.what, "strong")
        self.carrier = QComboBox()
        self.carrier.setEditable(True)
        self.carrier.addItems(list(order_actions.CARRIERS))
        self.carrier.setCurrentText(carrier or order_actions.THAILAND_POST)
        self.tracking = QLineEdit(tracking)
        self.tracking.setPlaceholderText("EE123456785TH")
        self.mark_shipped = QCheckBox(self.tr("Mark the order as shipped"))
        self.mark_shipped.setChecked(can_ship)
        self.mark_shipped.setEnabled(can_ship)
        self.tell = _tell_box(has_chat)
        self.tell.setText(self.tr("Tell the customer in chat"))
        self.problem = _problem_label()
        form = QFormLayout()
        form.addRow(self.what)
        form.addRow(self.tr("Carrier"), self.carrier)
        form.addRow(self.tr("Tracking number"), self.tracking)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mark_shipped)
        layout.addWidget(self.tell)
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self, self.tr("Save shipping")))
        self.tracking.textEdited.connect(lambda _t: self.problem.clear())

    def check(self) -> str:
        """What is wrong, in the UI's language, or ``""``."""
        if not self.carrier.currentText().strip():
            return self.tr("Choose the carrier first.")
        try:
            order_actions.clean_tracking(self.carrier.currentText(), self.tracking.text())
        except DomainError as exc:
            return error_text(exc)
        if self.mark_shipped.isChecked() and not self.tracking.text().strip():
            return self.tr("Type the tracking number, or untick “Mark the order as shipped”.")
        return ""

    def accept(self) -> None:
        problem = self.check()
        self.problem.setText(problem)
        if problem:
            self.adjustSize()  # room for the message; the fields keep their height
            self.tracking.setFocus()
            return
        super().accept()


# ---------------------------------------------------------------------------- slip


class ZoomView(QGraphicsView):
    """A picture that fits the window at first, zooms with the wheel (around the pointer)
    and the buttons, and pans by dragging."""

    zoomed = Signal(float)

    def __init__(self, pixmap: QPixmap) -> None:
        super().__init__()
        self.scene_ = QGraphicsScene(self)
        self.item = QGraphicsPixmapItem(pixmap)
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene_.addItem(self.item)
        self.setScene(self.scene_)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.darkGray)
        self.factor = 1.0

    def zoom(self, by: float) -> None:
        new = min(8.0, max(0.05, self.factor * by))
        by = new / self.factor
        self.factor = new
        self.scale(by, by)
        self.zoomed.emit(self.factor)

    def fit(self) -> None:
        self.resetTransform()
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.factor = self.transform().m11()
        self.zoomed.emit(self.factor)

    def actual_size(self) -> None:
        self.resetTransform()
        self.factor = 1.0
        self.zoomed.emit(1.0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(1.25**steps)
        event.accept()


def slip_chip(check: SlipCheckView | None) -> tuple[str, str]:
    """What a slip's check found, as a chip's words and tone (``ok`` / ``warn`` / ``danger``)."""
    if check is None:
        return t("Slip not checked"), "warn"
    if check.check == SlipCheck.REUSED:
        return t("Slip used before"), "danger"
    if check.check == SlipCheck.NO_QR:
        return t("QR not read"), "warn"
    if check.check == SlipCheck.NOT_SLIP:
        return t("Not a slip QR"), "warn"
    return t("Slip QR read"), "ok"


def slip_warning(check: SlipCheckView | None) -> str:
    """What the owner should do about a slip whose check found a problem, or ``""``."""
    if check is None:
        return t("This slip was received before slips were checked: check the amount yourself.")
    if check.check == SlipCheck.REUSED:
        return t(
            "This slip was already used for order {number}. Check with the customer before "
            "confirming."
        ).format(number=check.reused_order_number or "?")
    if check.check == SlipCheck.NO_QR:
        return t(
            "The QR on this slip could not be read — check the amount yourself before confirming."
        )
    if check.check == SlipCheck.NOT_SLIP:
        return t(
            "The QR in this picture is not a bank slip's (a payment QR, or an edited slip) — "
            "check the amount yourself before confirming."
        )
    return ""


def _online_text(check: SlipCheckView) -> str:
    words = {
        "passed": t("Online check: passed"),
        "failed": t("Online check: failed"),
        "error": t("Online check: no answer"),
    }
    said = words.get(check.verify_status, "")
    if not said:
        return ""
    if check.verified_amount_satang is not None:
        said += f" · {format_baht(check.verified_amount_satang, symbol=True)}"
    return f"{said}\n{check.verify_note}".strip()


def _upright(path: Path) -> QPixmap:
    """The picture as it is meant to be seen: a phone photo stored sideways with an EXIF
    orientation is turned upright (QPixmap alone ignores the tag)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    return QPixmap.fromImage(reader.read())


def chip_label() -> QLabel:
    return theme.chip(QLabel(), "ok")


def set_chip(label: QLabel, text: str, tone: str) -> None:
    label.setText(text)
    theme.chip(label, tone)


class SlipDialog(QDialog):
    """The payment slip the shopper sent beside what its check found and the amount the
    order expects, in large type. One primary button confirms the payment (``confirmed`` is
    then True and the dialog is accepted; the screen records it): nothing is paid without it."""

    def __init__(self, parent: QWidget | None, path: Path | None, number: str,
                 *, total_satang: int = 0, check: SlipCheckView | None = None,
                 payable: bool = False, paid_note: str = "",
                 has_chat: bool = False) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(self.tr("Payment slip · {number}").format(number=number))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(940, 700)
        self.confirmed = False
        pixmap = _upright(path) if path is not None else QPixmap()
        self.ok = not pixmap.isNull()
        layout = QHBoxLayout(self)
        layout.setSpacing(16)
        left = QVBoxLayout()
        layout.addLayout(left, 3)
        left.addLayout(self._zoom_bar())
        if self.ok:
            view = ZoomView(pixmap)
            self.view: ZoomView | None = view
            view.zoomed.connect(lambda f: self.scale_label.setText(f"{f * 100:.0f}%"))
            self.zoom_in.clicked.connect(lambda: view.zoom(1.25))
            self.zoom_out.clicked.connect(lambda: view.zoom(0.8))
            self.fit_button.clicked.connect(lambda: view.fit())
            self.actual_button.clicked.connect(lambda: view.actual_size())
            left.addWidget(view, 1)
        else:
            self.view = None
            missing = QLabel(
                self.tr("The slip picture cannot be opened: {file}").format(file=str(path or ""))
            )
            missing.setWordWrap(True)
            missing.setAlignment(Qt.AlignmentFlag.AlignCenter)
            left.addWidget(missing, 1)
            for b in (self.zoom_in, self.zoom_out, self.fit_button, self.actual_button):
                b.setEnabled(False)
        layout.addWidget(self._panel(total_satang, check, payable, paid_note, has_chat), 2)
        self._fitted = False

    def _zoom_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.zoom_out = QPushButton("−")
        self.zoom_in = QPushButton("+")
        self.fit_button = QPushButton(self.tr("Fit"))
        self.actual_button = QPushButton("100%")
        self.scale_label = QLabel(objectName="Muted")
        for b in (self.zoom_out, self.zoom_in):
            b.setFixedWidth(40)
        for w in (self.zoom_out, self.zoom_in, self.fit_button, self.actual_button):
            bar.addWidget(w)
        bar.addWidget(self.scale_label)
        bar.addStretch(1)
        return bar

    def _panel(self, total: int, check: SlipCheckView | None, payable: bool, paid_note: str,
               has_chat: bool) -> QFrame:  # fmt: skip
        """The card beside the picture: the amount due, the check, the one action."""
        card = QFrame(objectName="Card")
        card.setMinimumWidth(300)
        card.setMaximumWidth(440)
        col = QVBoxLayout(card)
        col.setContentsMargins(20, 20, 20, 20)
        col.setSpacing(8)
        due = QLabel(self.tr("Amount due"), objectName="Muted")
        self.amount = QLabel(format_baht(total, symbol=True), objectName="BigAmount")
        self.amount.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chip = chip_label()
        set_chip(self.chip, *slip_chip(check))
        chip_row = QHBoxLayout()
        chip_row.addWidget(self.chip)
        chip_row.addStretch(1)
        for w in (due, self.amount):
            col.addWidget(w)
        col.addLayout(chip_row)
        facts = QFormLayout()
        facts.setVerticalSpacing(6)
        self.bank = QLabel("–")
        self.reference = QLabel("–")
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.received = QLabel("–")
        if check is not None:
            if check.bank_code:
                self.bank.setText(
                    check.bank_name_th if current_language() == "th" else check.bank_name_en
                )
            self.reference.setText(check.trans_ref or "–")
            self.received.setText(i18n.when(check.received_at))
        facts.addRow(self.tr("Sent from"), self.bank)
        facts.addRow(self.tr("Transfer ref."), self.reference)
        facts.addRow(self.tr("Received"), self.received)
        col.addLayout(facts)
        said = slip_warning(check)
        self.warning = QLabel(objectName="WarningBox")
        self.warning.setWordWrap(True)
        # Thai stacks marks above and below the line: wrapped lines need 1.5 line height.
        self.warning.setTextFormat(Qt.TextFormat.RichText)
        self.warning.setText(f'<p style="line-height: 150%;">{html.escape(said)}</p>')
        self.warning.setAccessibleDescription(said)
        self.warning_text = said
        self.warning.setVisible(bool(said))
        col.addWidget(self.warning)
        self.online = QLabel(_online_text(check) if check else "", objectName="Muted")
        self.online.setWordWrap(True)
        self.online.setVisible(bool(self.online.text()))
        col.addWidget(self.online)
        col.addStretch(1)
        self.paid_label = QLabel(paid_note, objectName="Muted")
        self.paid_label.setWordWrap(True)
        self.paid_label.setVisible(bool(paid_note))
        col.addWidget(self.paid_label)
        self.tell = _tell_box(has_chat)
        self.tell.setText(self.tr("Tell the customer in chat"))
        self.tell.setVisible(payable)
        col.addWidget(self.tell)
        amount = format_baht(total, symbol=True, trim_zero=True)
        self.confirm_button = QPushButton(self.tr("Confirm payment {amount}").format(amount=amount))
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.setVisible(payable)
        self.confirm_button.setMinimumHeight(44)
        self.confirm_button.clicked.connect(self._confirm)
        col.addWidget(self.confirm_button)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.reject)
        col.addWidget(close)
        return card

    def _confirm(self) -> None:
        self.confirmed = True
        self.accept()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.view is not None and not self._fitted:
            self._fitted = True
            self.view.fit()


# ---------------------------------------------------------------------------- templates


class TemplatesDialog(QDialog):
    """Edit the message each order event sends to the shopper. Placeholders are inserted by
    button; a preview shows the message filled from an example order; a bad placeholder is
    named before anything is saved."""

    def __init__(self, parent: QWidget | None, templates: dict[str, str]) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Messages to customers"))
        self.resize(760, 520)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.templates = dict(templates)
        self.events = QListWidget()
        self.events.setFixedWidth(220)
        self.events.setSpacing(3)
        for event in order_notify.EVENTS:
            item = QListWidgetItem(event_label(event))
            item.setData(Qt.ItemDataRole.UserRole, event)
            self.events.addItem(item)
        self.editor = PlaceholderEdit()
        self.editor.setMinimumHeight(140)
        self.intro = QLabel(objectName="Muted")
        self.intro.setWordWrap(True)
        self.intro.setText(
            self.tr(
                "Sent in the customer's chat when you tick “Tell the customer in chat”. "
                "Click a field to insert it."
            )
        )
        self.fields_box = FieldButtons(self.editor, order_notify.PLACEHOLDERS)
        self.preview_title = QLabel(self.tr("Preview"))
        theme.role(self.preview_title, "strong")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        theme.card(self.preview)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview.setMinimumHeight(90)
        self.problem = _problem_label()
        self.reset_button = QPushButton(self.tr("Use the standard text"))
        self.reset_button.clicked.connect(self._reset_current)

        right = QVBoxLayout()
        right.addWidget(self.intro)
        right.addWidget(self.fields_box)
        right.addWidget(self.editor, 2)
        right.addWidget(self.preview_title)
        right.addWidget(self.preview, 1)
        right.addWidget(self.problem)
        row = QHBoxLayout()
        row.addWidget(self.events)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reset_button)
        bottom.addStretch(1)
        bottom.addWidget(_buttons(self, self.tr("Save messages")))
        layout.addLayout(bottom)

        self._current = ""
        self.events.currentItemChanged.connect(lambda _a, _b: self._switch())
        self.editor.textChanged.connect(self._edited)
        self.events.setCurrentRow(0)

    def current_event(self) -> str:
        item = self.events.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def _switch(self) -> None:
        event = self.current_event()
        self._current = ""
        self.editor.set_template(self.templates.get(event, ""))
        self._current = event
        self._edited()

    def _edited(self) -> None:
        if not self._current:
            return
        self.templates[self._current] = self.editor.template()
        try:
            order_notify.validate_template(self._current, self.templates[self._current])
        except DomainError as exc:
            self.problem.setText(_named(exc))
            self.preview.setText("")
            return
        self.problem.clear()
        values = dict(_EXAMPLE)
        values["status"] = order_notify.STATUS_TH.get(self._current, values["status"])
        self.preview.setText(order_notify.render(self.templates[self._current], values))

    def _reset_current(self) -> None:
        event = self.current_event()
        if event:
            self.editor.set_template(order_notify.DEFAULT_TEMPLATES[event])

    def check(self) -> str:
        for event in order_notify.EVENTS:
            try:
                order_notify.validate_template(event, self.templates.get(event, ""))
            except DomainError as exc:
                self.events.setCurrentRow(order_notify.EVENTS.index(event))
                return _named(exc)
        return ""

    def accept(self) -> None:
        problem = self.check()
        if problem:
            self.problem.setText(problem)
            return
        super().accept()


def _named(exc: DomainError) -> str:
    """The error's text with the event named as the owner reads it."""
    event = str(exc.params.get("event", ""))
    if not event:
        return error_text(exc)
    return error_text(
        UserError(exc.code, exc.message, **{**exc.params, "event": event_label(event)})
    )


_EXAMPLE = {
    "order_number": "MC-2026-000123",
    "status": "จัดส่งแล้ว",
    "carrier": "Thailand Post",
    "tracking": "EE123456785TH",
    "tracking_url": "https://track.thailandpost.co.th/?trackNumber=EE123456785TH",
    "total": "฿1,250",
    "refunded": "฿150",
    "customer_name": "สมหญิง ใจดี",
    "shop_name": "ร้านของฉัน",
}
