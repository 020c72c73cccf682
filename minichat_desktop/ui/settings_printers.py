"""Settings → Printers: where counter receipts go (the print dialog, a system printer, or an
ESC/POS thermal printer on the network, USB or a device path), the roll's width, how shipping
labels are laid out, and a test page. Stored in the shop database through
:mod:`minichat_desktop.domain.sales.tax_documents`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Slot
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QLineEdit, QPushButton
from qasync import asyncSlot

from minichat_desktop.documents import api
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.tax_documents import PrinterSettings, ReceiptPrinterKind
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.printing import named_printer, print_pdf, translated
from minichat_desktop.ui.settings_common import (
    Page,
    Tone,
    alive,
    button_row,
    form,
    primary,
    report,
)

K = ReceiptPrinterKind
ESCPOS = (K.NETWORK, K.USB, K.FILE)


class PrintersPage(Page):
    """The receipt printer, the roll width, the label layout and printer, and a test page."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.receipt_box = QGroupBox()
        f = form()
        self.receipt_box.setLayout(f)
        self.kind = QComboBox()
        self.kind.setMaximumWidth(380)
        for kind in K:
            self.kind.addItem("", kind.value)
        self.system_printer = QComboBox()
        self.system_printer.setMaximumWidth(380)
        self.target = QLineEdit()
        self.paper = QComboBox()
        self.paper.setMaximumWidth(380)
        self.paper.addItem("", 80)
        self.paper.addItem("", 58)
        self.kind_label, self.system_label, self.target_label, self.paper_label = (
            QLabel(),
            QLabel(),
            QLabel(),
            QLabel(),
        )
        f.addRow(self.kind_label, self.kind)
        f.addRow(self.system_label, self.system_printer)
        f.addRow(self.target_label, self.target)
        f.addRow(self.paper_label, self.paper)
        self.kind_help = QLabel(objectName="Muted")
        self.kind_help.setWordWrap(True)
        f.addRow(self.kind_help)
        self.body.addWidget(self.receipt_box)

        self.label_box = QGroupBox()
        g = form()
        self.label_box.setLayout(g)
        self.layout_combo = QComboBox()
        self.layout_combo.setMaximumWidth(380)
        self.layout_combo.addItem("", False)
        self.layout_combo.addItem("", True)
        self.label_printer = QComboBox()
        self.label_printer.setMaximumWidth(380)
        self.layout_label, self.label_printer_label = QLabel(), QLabel()
        g.addRow(self.layout_label, self.layout_combo)
        g.addRow(self.label_printer_label, self.label_printer)
        self.label_test = QPushButton()
        self.label_test.clicked.connect(self.on_label_test)
        g.addRow("", button_row(self.label_test, stretch_first=False))
        self.body.addWidget(self.label_box)

        self.test = QPushButton()
        self.test.clicked.connect(self.on_test_page)
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.test, self.save))
        self.body.addStretch(1)

        self.kind.currentIndexChanged.connect(self.on_kind)
        self.retranslate()
        self.load()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Printers"))
        self.intro.setText(
            self.tr(
                "Where receipts and shipping labels are printed. Thermal receipt printers "
                "(ESC/POS) print Thai as a picture, so tone marks always sit right."
            )
        )
        self.receipt_box.setTitle(self.tr("Receipt printer"))
        self.kind_label.setText(self.tr("Print receipts on"))
        self.system_label.setText(self.tr("Printer"))
        self.target_label.setText(self.tr("Address"))
        self.paper_label.setText(self.tr("Paper width"))
        names = {
            K.NONE: self.tr("Ask each time (print dialog)"),
            K.SYSTEM: self.tr("A printer installed on this computer"),
            K.NETWORK: self.tr("Thermal printer on the network (ESC/POS)"),
            K.USB: self.tr("Thermal printer on USB (ESC/POS)"),
            K.FILE: self.tr("Thermal printer at a device path (ESC/POS)"),
        }
        for i in range(self.kind.count()):
            self.kind.setItemText(i, names[K(self.kind.itemData(i))])
        self.paper.setItemText(0, self.tr("80 mm"))
        self.paper.setItemText(1, self.tr("58 mm"))
        self.label_box.setTitle(self.tr("Shipping labels"))
        self.layout_label.setText(self.tr("Layout"))
        self.layout_combo.setItemText(0, self.tr("One 100 × 150 mm label per page"))
        self.layout_combo.setItemText(1, self.tr("Four labels on each A4 sheet"))
        self.label_printer_label.setText(self.tr("Label printer"))
        self.test.setText(self.tr("Print test page"))
        self.label_test.setText(self.tr("Print a test label"))
        self.save.setText(self.tr("Save printer settings"))
        self.fill_printers(self.system_printer.currentText(), self._label_printer_choice())
        self.show_kind()

    def _label_printer_choice(self) -> str:
        data = self.label_printer.currentData()
        return str(data) if data else ""

    def fill_printers(self, receipt: str, label: str) -> None:
        """The system's printers in both lists, keeping a stored one the system lost (shown,
        so the person sees what was chosen)."""
        names = QPrinterInfo.availablePrinterNames()
        self.system_printer.blockSignals(True)
        self.system_printer.clear()
        for name in [*names, *([receipt] if receipt and receipt not in names else [])]:
            self.system_printer.addItem(name, name)
        self.system_printer.setCurrentIndex(max(self.system_printer.findData(receipt), 0))
        self.system_printer.setPlaceholderText(self.tr("No printers found on this computer"))
        self.system_printer.blockSignals(False)
        self.label_printer.clear()
        self.label_printer.addItem(self.tr("Ask each time (print dialog)"), "")
        for name in [*names, *([label] if label and label not in names else [])]:
            self.label_printer.addItem(name, name)
        self.label_printer.setCurrentIndex(max(self.label_printer.findData(label), 0))

    def load(self) -> None:
        self.show_settings(self.ctx.ops.read_now(docs.get_printer_settings))

    def show_settings(self, s: PrinterSettings) -> None:
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex(self.kind.findData(s.receipt_kind.value))
        self.kind.blockSignals(False)
        self.fill_printers(s.receipt_target if s.receipt_kind == K.SYSTEM else "", s.label_printer)
        self.target.setText(s.receipt_target if s.receipt_kind in ESCPOS else "")
        self.paper.setCurrentIndex(self.paper.findData(s.receipt_width))
        self.layout_combo.setCurrentIndex(self.layout_combo.findData(s.label_four_up))
        self.show_kind()

    @Slot(int)
    def on_kind(self, _index: int) -> None:
        self.show_kind()

    def current_kind(self) -> ReceiptPrinterKind:
        return K(self.kind.currentData())

    def show_kind(self) -> None:
        kind = self.current_kind()
        self.system_printer.setEnabled(kind == K.SYSTEM)
        self.target.setEnabled(kind in ESCPOS)
        placeholders = {
            K.NETWORK: "192.168.1.50:9100",
            K.USB: "04b8:0202",
            K.FILE: "/dev/usb/lp0",
        }
        self.target.setPlaceholderText(placeholders.get(kind, ""))
        helps = {
            K.NONE: self.tr("Each receipt opens the print dialog."),
            K.SYSTEM: self.tr(
                "Receipts go straight to this printer, without a dialog. No printer in the "
                "list? Install it in your computer's settings first."
            ),
            K.NETWORK: self.tr(
                "The printer's IP address, and the port if it is not 9100. The printer's own "
                "settings page (print it by holding the feed button) shows the address."
            ),
            K.USB: self.tr(
                "The printer's USB vendor and product numbers, e.g. 04b8:0202 (shown by the "
                "printer's driver or by lsusb)."
            ),
            K.FILE: self.tr("The printer's device, e.g. /dev/usb/lp0, or a shared printer path."),
        }
        self.kind_help.setText(helps[kind])

    def current(self) -> PrinterSettings:
        kind = self.current_kind()
        if kind == K.SYSTEM:
            target = str(self.system_printer.currentData() or "")
        elif kind in ESCPOS:
            target = self.target.text().strip()
        else:
            target = ""
        return PrinterSettings(
            receipt_kind=kind,
            receipt_target=target,
            receipt_width=int(self.paper.currentData()),
            label_four_up=bool(self.layout_combo.currentData()),
            label_printer=self._label_printer_choice(),
        )

    def _checked(self) -> PrinterSettings | None:
        try:
            return docs.check_printer_settings(self.current())
        except UserError as exc:
            self.feedback.say(report(self, translated(exc)), Tone.ERROR)
            if self.current_kind() == K.SYSTEM:
                self.system_printer.setFocus()
            else:
                self.target.setFocus()
            return None

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    async def save_now(self) -> bool:
        settings = self._checked()
        if settings is None:
            return False
        try:
            stored = await self.ctx.ops.write(docs.save_printer_settings, settings)
        except DomainError as exc:
            self.feedback.say(report(self, translated(exc)), Tone.ERROR)
            return False
        if not alive(self):
            return False
        self.show_settings(stored)
        self.feedback.say(self.tr("Printer settings saved."))
        return True

    @asyncSlot()
    async def on_test_page(self) -> None:
        await self.print_test_page()

    async def print_test_page(self) -> bool:
        """Print the test page with the settings as shown (saved or not)."""
        settings = self._checked()
        if settings is None:
            return False

        async def work() -> bool:
            if settings.receipt_kind in ESCPOS:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(
                    None, api.print_escpos_test_page, self.ctx.ops.db, settings
                )
                return True
            pdf = api.test_page_pdf(settings.receipt_width, printer=settings.receipt_target)
            printer = (
                named_printer(settings.receipt_target)
                if settings.receipt_kind == K.SYSTEM
                else None
            )
            title = self.tr("Printer test page")
            return await print_pdf(self, pdf, title, printer=printer, ask=printer is None)

        return await self._printing(self.test, work, self.tr("Test page sent to the printer."))

    @asyncSlot()
    async def on_label_test(self) -> None:
        await self.print_label_test()

    async def print_label_test(self) -> bool:
        """Print a test label on the label printer as shown (the print dialog when none is
        chosen), in the layout shown."""
        settings = self._checked()
        if settings is None:
            return False

        async def work() -> bool:
            loop = asyncio.get_running_loop()
            pdf = await loop.run_in_executor(
                None,
                lambda: api.label_test_pdf(self.ctx.ops.db, four_up=settings.label_four_up),
            )
            printer = named_printer(settings.label_printer) if settings.label_printer else None
            title = self.tr("Label printer test page")
            return await print_pdf(self, pdf, title, printer=printer, ask=printer is None)

        done = self.tr("Test label sent to the printer.")
        return await self._printing(self.label_test, work, done)

    async def _printing(
        self, button: QPushButton, work: Callable[[], Awaitable[bool]], done: str
    ) -> bool:
        """Run ``work`` (False: the person cancelled) with ``button`` off meanwhile; say
        ``done`` after, or what went wrong."""
        button.setEnabled(False)
        try:
            if not await work():
                return False
        except DomainError as exc:
            if alive(self):
                self.feedback.say(report(self, translated(exc)), Tone.ERROR)
            return False
        finally:
            if alive(self):
                button.setEnabled(True)
        if alive(self):
            self.feedback.say(done)
        return True
