"""Settings → Shop profile: the shop's details (with a live PromptPay QR), bank accounts, VAT
rates and the read-only audit log. Every change goes through :mod:`minichat_desktop.domain.shop`,
which validates it and records it in the audit log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QByteArray, QDate, QRegularExpression, Qt, QTimer, Slot
from PySide6.QtGui import QImage, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain import shop
from minichat_desktop.domain.glossary import actor_name
from minichat_desktop.domain.promptpay import PromptPayError, promptpay_payload, promptpay_qr_png
from minichat_desktop.domain.thai import is_valid_thai_id
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.date_edit import DateEdit
from minichat_desktop.ui.dialogs import confirm
from minichat_desktop.ui.i18n import current_language
from minichat_desktop.ui.settings_common import (
    Page,
    Tone,
    button_row,
    danger,
    form,
    primary,
    report,
)

THAI_BANKS = (
    "ธนาคารกสิกรไทย",
    "ธนาคารไทยพาณิชย์",
    "ธนาคารกรุงเทพ",
    "ธนาคารกรุงไทย",
    "ธนาคารกรุงศรีอยุธยา",
    "ธนาคารทหารไทยธนชาต",
    "ธนาคารออมสิน",
    "ธนาคารอาคารสงเคราะห์",
    "ธ.ก.ส.",
    "ธนาคารยูโอบี",
    "ธนาคารซีไอเอ็มบี ไทย",
    "ธนาคารเกียรตินาคินภัทร",
    "ธนาคารแลนด์ แอนด์ เฮ้าส์",
)

QR_SIZE = 168
AUDIT_ENTITIES = ("", "shop", "bank_account", "vat_rate", "customer")


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    return item


class ProfilePage(Page):
    """The shop's details, bank accounts, VAT rates and audit log, as tabs."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)
        self._build_details()
        self._build_banks()
        self._build_vat()
        self._build_audit()
        self.retranslate()
        self.load()
        ctx.ops.changed.connect(self.on_changed)

    # ------------------------------------------------------------------ building

    def _build_details(self) -> None:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(14, 14, 14, 14)
        row.setSpacing(20)
        left = QVBoxLayout()
        f = self.details_form = form()
        self.name = QLineEdit()
        self.name_en = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(64)
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.tax_id = QLineEdit()
        self.tax_id.setMaxLength(17)
        self.tax_hint = theme.StatusLabel()
        self.tax_hint.setWordWrap(False)
        tax_row = QHBoxLayout()
        tax_row.addWidget(self.tax_id, 1)
        tax_row.addWidget(self.tax_hint)
        self.branch_code = QLineEdit()
        self.branch_code.setMaxLength(5)
        self.branch_code.setFixedWidth(90)
        self.branch_name = QLineEdit()
        branch_row = QHBoxLayout()
        branch_row.addWidget(self.branch_code)
        branch_row.addWidget(self.branch_name, 1)
        self.vat_registered = QCheckBox()
        self.prices_include_vat = QCheckBox()
        self.promptpay_id = QLineEdit()
        self.order_prefix = QLineEdit()
        self.order_prefix.setMaxLength(6)
        self.order_prefix.setFixedWidth(90)
        self.pos_number = QLineEdit()
        self.pos_number.setMaxLength(40)
        self.labels: dict[str, QLabel] = {}
        rows: list[tuple[str, Any]] = [
            ("name", self.name),
            ("name_en", self.name_en),
            ("address", self.address),
            ("phone", self.phone),
            ("email", self.email),
            ("tax_id", tax_row),
            ("branch", branch_row),
            ("vat", self.vat_registered),
            ("prices", self.prices_include_vat),
            ("promptpay_id", self.promptpay_id),
            ("order_prefix", self.order_prefix),
            ("pos_number", self.pos_number),
        ]
        for key, field in rows:
            label = QLabel()
            self.labels[key] = label
            f.addRow(label, field)
        left.addLayout(f)
        self.save_profile = primary(QPushButton())
        self.save_profile.clicked.connect(self.on_save_profile)
        left.addLayout(button_row(self.save_profile))
        left.addStretch(1)
        row.addLayout(left, 1)

        self.qr_box = QGroupBox()
        qr = QVBoxLayout(self.qr_box)
        self.qr_image = QLabel()
        self.qr_image.setFixedSize(QR_SIZE, QR_SIZE)
        self.qr_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        theme.card(self.qr_image, "dashed")
        self.qr_caption = QLabel(objectName="Muted")
        self.qr_caption.setWordWrap(True)
        self.qr_caption.setFixedWidth(QR_SIZE + 40)
        qr.addWidget(self.qr_image, 0, Qt.AlignmentFlag.AlignHCenter)
        qr.addWidget(self.qr_caption)
        qr.addStretch(1)
        row.addWidget(self.qr_box, 0, Qt.AlignmentFlag.AlignTop)

        self._qr_timer = QTimer(self, singleShot=True, interval=250)
        self._qr_timer.timeout.connect(self.update_qr)
        self.promptpay_id.textChanged.connect(lambda _t: self._qr_timer.start())
        self.tax_id.textChanged.connect(self.update_tax_hint)
        self.tabs.addTab(page, "")

    def _build_banks(self) -> None:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(14, 14, 14, 14)
        self.banks = _table(4)
        col.addWidget(self.banks, 1)
        self.remove_bank = danger(QPushButton())
        self.remove_bank.clicked.connect(self.on_remove_bank)
        self.remove_bank.setEnabled(False)
        self.banks.itemSelectionChanged.connect(
            lambda: self.remove_bank.setEnabled(bool(self.banks.selectedItems()))
        )
        col.addLayout(button_row(self.remove_bank))
        self.add_bank_box = QGroupBox()
        grid = QGridLayout(self.add_bank_box)
        self.bank_name = QComboBox()
        self.bank_name.setEditable(True)
        self.bank_name.addItems(THAI_BANKS)
        self.bank_name.setCurrentIndex(-1)
        self.bank_account_name = QLineEdit()
        self.bank_number = QLineEdit()
        self.bank_branch = QLineEdit()
        self.bank_labels = [QLabel() for _ in range(4)]
        for i, (label, field) in enumerate(
            zip(
                self.bank_labels,
                (self.bank_name, self.bank_account_name, self.bank_number, self.bank_branch),
                strict=True,
            )
        ):
            grid.addWidget(label, i // 2, (i % 2) * 2, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(field, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.add_bank = primary(QPushButton())
        self.add_bank.clicked.connect(self.on_add_bank)
        grid.addWidget(self.add_bank, 2, 3, Qt.AlignmentFlag.AlignRight)
        col.addWidget(self.add_bank_box)
        self.tabs.addTab(page, "")

    def _build_vat(self) -> None:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(14, 14, 14, 14)
        self.vat_note_text = QLabel(objectName="Muted")
        self.vat_note_text.setWordWrap(True)
        col.addWidget(self.vat_note_text)
        self.vat_table = _table(3)
        col.addWidget(self.vat_table, 1)
        self.vat_box = QGroupBox()
        grid = QGridLayout(self.vat_box)
        self.vat_from = DateEdit(QDate.currentDate())
        self.vat_from.setMinimumWidth(130)
        self.vat_rate = QLineEdit("7")
        self.vat_rate.setFixedWidth(70)
        self.vat_rate.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.vat_rate.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"\d{0,3}([.,]\d{0,2})?"))
        )
        rate_row = QHBoxLayout()
        rate_row.setSpacing(4)
        rate_row.addWidget(self.vat_rate)
        rate_row.addWidget(QLabel("%"))
        self.vat_note = QLineEdit()
        self.vat_labels = [QLabel() for _ in range(3)]
        vat_fields: tuple[QWidget | QLayout, ...] = (self.vat_from, rate_row, self.vat_note)
        for i, (label, field) in enumerate(zip(self.vat_labels, vat_fields, strict=True)):
            grid.addWidget(label, 0, i * 2, Qt.AlignmentFlag.AlignRight)
            if isinstance(field, QLayout):
                grid.addLayout(field, 0, i * 2 + 1)
            else:
                grid.addWidget(field, 0, i * 2 + 1)
        grid.setColumnStretch(5, 1)
        self.set_vat = primary(QPushButton())
        self.set_vat.clicked.connect(self.on_set_vat)
        grid.addWidget(self.set_vat, 1, 5, Qt.AlignmentFlag.AlignRight)
        col.addWidget(self.vat_box)
        self.tabs.addTab(page, "")

    def _build_audit(self) -> None:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(14, 14, 14, 14)
        self.audit_filter = QComboBox()
        self.audit_filter.setMaximumWidth(260)
        for entity in AUDIT_ENTITIES:
            self.audit_filter.addItem("", entity)
        self.audit_filter.currentIndexChanged.connect(lambda _i: self.load_audit())
        self.audit_filter_label = QLabel()
        head = QHBoxLayout()
        head.addWidget(self.audit_filter_label)
        head.addWidget(self.audit_filter)
        head.addStretch(1)
        col.addLayout(head)
        self.audit = _table(4)
        col.addWidget(self.audit, 1)
        self.tabs.addTab(page, "")

    def retranslate(self) -> None:
        self.title.setText(self.tr("Shop profile"))
        self.intro.setText(
            self.tr(
                "How your shop appears on invoices, receipts and in chats. Changes are "
                "recorded in the audit log."
            )
        )
        for i, text in enumerate(
            (
                self.tr("Details"),
                self.tr("Bank accounts"),
                self.tr("VAT rates"),
                self.tr("Audit log"),
            )
        ):
            self.tabs.setTabText(i, text)
        texts = {
            "name": self.tr("Shop name (Thai)"),
            "name_en": self.tr("Shop name (English)"),
            "address": self.tr("Address"),
            "phone": self.tr("Phone"),
            "email": self.tr("Email"),
            "tax_id": self.tr("Tax ID (13 digits)"),
            "branch": self.tr("Branch code / name"),
            "vat": self.tr("VAT"),
            "prices": self.tr("Prices"),
            "promptpay_id": self.tr("PromptPay ID"),
            "order_prefix": self.tr("Order number prefix"),
            "pos_number": self.tr("POS registration no."),
        }
        for key, text in texts.items():
            self.labels[key].setText(text)
        self.vat_registered.setText(self.tr("VAT registered"))
        self.prices_include_vat.setText(self.tr("Prices include VAT"))
        self.branch_code.setPlaceholderText("00000")
        # Empty means the head office: the hint says so in one word, the tooltip in full.
        self.branch_name.setPlaceholderText(self.tr("Head office"))
        self.branch_name.setToolTip(self.tr("Head office: leave empty"))
        self.promptpay_id.setPlaceholderText(self.tr("Mobile number or 13-digit ID"))
        self.pos_number.setPlaceholderText(self.tr("Printed on abbreviated tax invoices"))
        self.pos_number.setToolTip(
            self.tr(
                "The number the Revenue Department gave the cash register that prints "
                "abbreviated tax invoices (ใบกำกับภาษีอย่างย่อ)."
            )
        )
        self.save_profile.setText(self.tr("Save profile"))
        self.qr_box.setTitle(self.tr("PromptPay QR"))
        self.update_tax_hint()
        self.update_qr()
        self.banks.setHorizontalHeaderLabels(
            [self.tr("Bank"), self.tr("Account name"), self.tr("Account number"), self.tr("Branch")]
        )
        self.remove_bank.setText(self.tr("Remove selected account"))
        self.add_bank_box.setTitle(self.tr("Add a bank account"))
        for label, text in zip(
            self.bank_labels,
            (
                self.tr("Bank"),
                self.tr("Account name"),
                self.tr("Account number"),
                self.tr("Branch"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.add_bank.setText(self.tr("Add account"))
        self.vat_note_text.setText(
            self.tr(
                "Each sale uses the rate in force on its date. When the rate changes, add the "
                "new rate with the date it starts."
            )
        )
        self.vat_table.setHorizontalHeaderLabels(
            [self.tr("From"), self.tr("Rate"), self.tr("Note")]
        )
        self.vat_box.setTitle(self.tr("Add or change a rate"))
        for label, text in zip(
            self.vat_labels, (self.tr("From"), self.tr("Rate"), self.tr("Note")), strict=True
        ):
            label.setText(text)
        self.set_vat.setText(self.tr("Save rate"))
        self.audit_filter_label.setText(self.tr("Show"))
        for i, text in enumerate(
            (
                self.tr("Everything"),
                self.tr("Shop profile"),
                self.tr("Bank accounts"),
                self.tr("VAT rates"),
                self.tr("Customers"),
            )
        ):
            self.audit_filter.setItemText(i, text)
        self.audit.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("Who"), self.tr("What"), self.tr("Changes")]
        )
        self.load_audit()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self.show_profile(self.ctx.ops.read_now(shop.get_profile))
        self.load_vat()
        self.load_audit()

    def show_profile(self, prof: shop.ShopProfile) -> None:
        self.name.setText(prof.name)
        self.name_en.setText(prof.name_en)
        self.address.setPlainText(prof.address)
        self.phone.setText(prof.phone)
        self.email.setText(prof.email)
        self.tax_id.setText(prof.tax_id)
        self.branch_code.setText(prof.branch_code)
        self.branch_name.setText(prof.branch_name)
        self.vat_registered.setChecked(prof.vat_registered)
        self.prices_include_vat.setChecked(prof.prices_include_vat)
        self.promptpay_id.setText(prof.promptpay_id)
        self.order_prefix.setText(prof.order_prefix)
        self.pos_number.setText(prof.pos_number)
        self.update_qr()
        self.banks.setRowCount(0)
        for acc in prof.bank_accounts:
            r = self.banks.rowCount()
            self.banks.insertRow(r)
            for c, text in enumerate((acc.bank, acc.account_name, acc.account_number, acc.branch)):
                item = _cell(text)
                item.setData(Qt.ItemDataRole.UserRole, acc.id)
                self.banks.setItem(r, c, item)

    def load_vat(self) -> None:
        self.vat_table.setRowCount(0)
        for since, rate_bp, note in self.ctx.ops.read_now(shop.vat_rates):
            r = self.vat_table.rowCount()
            self.vat_table.insertRow(r)
            self.vat_table.setItem(r, 0, _cell(i18n.when(since)))
            self.vat_table.setItem(r, 1, _cell(f"{rate_bp / 100:g} %"))
            self.vat_table.setItem(r, 2, _cell(note))

    def load_audit(self) -> None:
        actions = {
            "shop.update": self.tr("Profile changed"),
            "bank.add": self.tr("Bank account added"),
            "bank.remove": self.tr("Bank account removed"),
            "vat.set": self.tr("VAT rate set"),
            "customer.create": self.tr("Customer added"),
            "customer.update": self.tr("Customer changed"),
            "customer.merge": self.tr("Customers merged"),
        }
        entity = self.audit_filter.currentData() or None
        entries = self.ctx.ops.read_now(shop.audit_log, entity=entity, limit=300)
        self.audit.setRowCount(0)
        for e in entries:
            r = self.audit.rowCount()
            self.audit.insertRow(r)
            at = e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC)
            self.audit.setItem(r, 0, _cell(i18n.when(at)))
            self.audit.setItem(r, 1, _cell(actor_name(e.actor, current_language())))
            self.audit.setItem(r, 2, _cell(actions.get(e.action, e.action)))
            self.audit.setItem(r, 3, _cell(_describe_changes(e.changes)))

    @Slot(set)
    def on_changed(self, topics: set[str]) -> None:
        if "shop" in topics:
            self.load_audit()

    # ------------------------------------------------------------------ live hints

    def update_tax_hint(self) -> None:
        raw = self.tax_id.text().strip()
        if not raw:
            self.tax_hint.say("", None)
        elif is_valid_thai_id(raw):
            self.tax_hint.say(self.tr("valid"), "ok")
        else:
            self.tax_hint.say(self.tr("check digit does not match"), "error")

    def update_qr(self) -> None:
        raw = self.promptpay_id.text().strip()
        if not raw:
            self.qr_image.setPixmap(QPixmap())
            self.qr_caption.setText(self.tr("Type a PromptPay ID to see its QR code."))
            return
        try:
            payload = promptpay_payload(raw)
        except PromptPayError:
            self.qr_image.setPixmap(QPixmap())
            self.qr_caption.setText(
                self.tr("Not a PromptPay ID yet: use a mobile number or a 13-digit ID.")
            )
            return
        # Name the format: left to guess, Qt sometimes hands these bytes to another image
        # plugin, which reads a huge size and rejects them.
        png = QByteArray(promptpay_qr_png(payload, box_size=6))
        pm = QPixmap.fromImage(QImage.fromData(png, "PNG"))  # type: ignore[arg-type]
        self.qr_image.setPixmap(
            pm.scaled(
                QR_SIZE - 8,
                QR_SIZE - 8,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.qr_caption.setText(
            self.tr("Shoppers scan this to pay any amount. Orders get a QR with the exact total.")
        )

    # ------------------------------------------------------------------ actions

    def profile_changes(self) -> dict[str, Any]:
        return {
            "name": self.name.text(),
            "name_en": self.name_en.text(),
            "address": self.address.toPlainText(),
            "phone": self.phone.text(),
            "email": self.email.text(),
            "tax_id": self.tax_id.text(),
            "branch_code": self.branch_code.text().strip() or "00000",
            "branch_name": self.branch_name.text(),
            "vat_registered": self.vat_registered.isChecked(),
            "prices_include_vat": self.prices_include_vat.isChecked(),
            "promptpay_id": self.promptpay_id.text(),
            "order_prefix": self.order_prefix.text(),
            "pos_number": self.pos_number.text(),
        }

    @asyncSlot()
    async def on_save_profile(self) -> None:
        await self.save_profile_now()

    async def save_profile_now(self) -> bool:
        """Save the details form. On a mistake the form keeps what was typed and the field
        named by the error gets the focus."""
        self.save_profile.setEnabled(False)
        try:
            prof = await self.ctx.ops.write(
                shop.update_profile, self.ctx.ops.actor, **self.profile_changes()
            )
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            self._focus_field(exc)
            return False
        finally:
            self.save_profile.setEnabled(True)
        self.show_profile(prof)
        self.feedback.say(self.tr("Shop profile saved."))
        return True

    def _focus_field(self, exc: DomainError) -> None:
        fields = {
            "tax_id": self.tax_id,
            "promptpay_id": self.promptpay_id,
            "branch_code": self.branch_code,
            "order_prefix": self.order_prefix,
            "pos_number": self.pos_number,
        }
        widget = fields.get(str(exc.params.get("field", "")))
        if widget is not None:
            widget.setFocus()
            widget.selectAll()

    @asyncSlot()
    async def on_add_bank(self) -> None:
        await self.add_bank_now()

    async def add_bank_now(self) -> bool:
        try:
            await self.ctx.ops.write(
                shop.add_bank_account,
                self.ctx.ops.actor,
                bank=self.bank_name.currentText(),
                account_name=self.bank_account_name.text(),
                account_number=self.bank_number.text(),
                branch=self.bank_branch.text(),
            )
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.show_profile(await self.ctx.ops.read(shop.get_profile))
        for w in (self.bank_account_name, self.bank_number, self.bank_branch):
            w.clear()
        self.bank_name.setCurrentIndex(-1)
        self.feedback.say(self.tr("Bank account added."))
        return True

    @asyncSlot()
    async def on_remove_bank(self) -> None:
        items = self.banks.selectedItems()
        if not items:
            return
        account_id = int(items[0].data(Qt.ItemDataRole.UserRole))
        row = items[0].row()
        cell = self.banks.item(row, 2)
        number = cell.text() if cell is not None else ""
        if not await confirm(
            self,
            self.tr("Remove bank account"),
            self.tr("Remove account {number}? Shoppers will no longer see it.").format(
                number=number
            ),
        ):
            return
        await self.remove_bank_now(account_id)

    async def remove_bank_now(self, account_id: int) -> bool:
        try:
            await self.ctx.ops.write(shop.remove_bank_account, self.ctx.ops.actor, account_id)
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.show_profile(await self.ctx.ops.read(shop.get_profile))
        self.feedback.say(self.tr("Bank account removed."))
        return True

    @asyncSlot()
    async def on_set_vat(self) -> None:
        await self.set_vat_now()

    async def set_vat_now(self) -> bool:
        qd = self.vat_from.date()
        since = dt.date(qd.year(), qd.month(), qd.day())
        try:
            rate_bp = int(Decimal(self.vat_rate.text().replace(",", ".").strip()) * 100)
        except InvalidOperation:
            rate_bp = -1  # the domain refuses it with a message
        try:
            await self.ctx.ops.write(
                shop.set_vat_rate,
                self.ctx.ops.actor,
                rate_bp,
                since,
                self.vat_note.text().strip(),
            )
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.load_vat()
        self.vat_note.clear()
        self.feedback.say(
            self.tr("VAT {rate} % from {date} saved.").format(
                rate=f"{rate_bp / 100:g}", date=i18n.when(since)
            )
        )
        return True


def _value_text(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _describe_changes(changes: dict[str, Any]) -> str:
    parts = []
    for field, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            before, after = (_value_text(v) for v in value)
            parts.append(f"{field}: {before} → {after}")
        else:
            parts.append(f"{field}: {value}")
    return "; ".join(parts)
