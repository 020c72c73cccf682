"""Printing from the app: PDFs made by ``minichat_desktop.documents`` sent to a printer through
Qt's print dialog, saved as files, or printed on an ESC/POS receipt printer.

Our PySide6 wheels have no QtPdf (it ships with WebEngine), so pages are rendered by pdfium
(pypdfium2) at the printer's resolution (at most 300 dpi: enough for text and barcodes, and an
A4 page stays ~9 MB in grey) and painted on the QPrinter with a QPainter.

What screens call (each shows its own errors and returns whether it printed):

- ``await print_invoice(parent, ctx, order_id)`` — the A4 tax invoice / receipt, print dialog;
- ``await print_receipt(parent, ctx, order_id)`` — the counter receipt on the receipt printer
  of Settings → Printers (ESC/POS, a system printer with no dialog, or the dialog);
- ``await print_labels(parent, ctx, order_ids)`` — shipping labels, one PDF, single or 4-up;
- ``await save_document(parent, ctx, "invoice" | "receipt" | "labels", order_ids)``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.documents import api
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.tax_documents import Buyer, PrinterSettings, ReceiptPrinterKind
from minichat_desktop.domain.thai import ThaiFormatError, validate_tax_id
from minichat_desktop.errors import DomainError, EnvironmentProblem, UserError
from minichat_desktop.ui import dialogs, i18n, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.errors import show_error
from minichat_desktop.ui.i18n import t

log = logging.getLogger(__name__)

MAX_DPI = 300


def _texts() -> dict[str, str]:
    """Texts for the error codes of documents and printers, in the UI's language."""
    return {
        "document.not_paid": t(
            "Order {order} is not paid yet. Its receipt or tax invoice is issued once the "
            "payment is recorded."
        ),
        "document.order_closed": t(
            "Order {order} is cancelled or refunded: no new document can be issued for it."
        ),
        "document.buyer_required": t(
            "A full tax invoice needs the buyer's name and address. Add them to the order first."
        ),
        "document.invalid_buyer_tax_id": t(
            "The buyer's tax ID is not valid (13 digits with a correct check digit)."
        ),
        "document.needs_vat": t(
            "Only a VAT-registered shop may issue tax invoices. This shop issues receipts."
        ),
        "document.vat_shop_receipt": t(
            "A VAT-registered shop issues tax invoices, not plain receipts."
        ),
        "document.no_orders": t("Choose at least one order."),
        "document.full_issued": t(
            "Order {order} has the full tax invoice {number}. Print it, or its copy, instead of "
            "an abbreviated one."
        ),
        "document.credit_note_buyer_required": t(
            "The credit note for order {order} needs the buyer's name and address."
        ),
        "document.replacement_reason": t(
            "Say why the original is replaced (for example: the customer lost it)."
        ),
        "document.cancelled": t(
            "{number} was cancelled, so it has no replacement. Print the document that replaced it."
        ),
        "document.no_original_yet": t(
            "The original of {number} has not been printed yet: print it instead of a replacement."
        ),
        "document.credit_note_by_refund": t(
            "This order has no credit note: one is issued when an order that had a tax invoice "
            "is refunded."
        ),
        "label.no_address": t("Order {order} has no recipient name and address to ship to."),
        "order.not_found": t("Order {order} was not found."),
        "printer.bad_network": t(
            "The printer address should look like 192.168.1.50 or 192.168.1.50:9100."
        ),
        "printer.bad_usb": t("The USB printer should be vendor:product in hex, e.g. 04b8:0202."),
        "printer.target_required": t("Choose the printer (its name or the device path)."),
        "printer.bad_width": t("Receipt paper is 80 or 58 mm wide."),
        "printer.not_escpos": t(
            "No thermal receipt printer is set. Choose one in Settings → Printers."
        ),
        "printer.unreachable": t(
            "Cannot reach the printer {printer}. Check that it is on, has paper and is connected."
        ),
        "printer.usb_unavailable": t(
            "Printing to a USB receipt printer needs the pyusb library. Connect the printer by "
            "network or as a device path instead."
        ),
        "printer.missing": t(
            "The printer {printer} is not installed on this computer. Choose another one in "
            "Settings → Printers."
        ),
        "printer.cannot_start": t(
            "The printer could not start printing. Check that it is on and connected."
        ),
        "env.write_failed": t("Cannot write the file {path}."),
    }


def translated(exc: DomainError) -> DomainError:
    """The error with its message in the UI's language (codes of this area)."""
    text = _texts().get(exc.code)
    if text is None:
        return exc
    try:
        message = text.format(**dict(exc.params))
    except (KeyError, IndexError, ValueError):
        message = text
    return type(exc)(exc.code, message, **dict(exc.params))


def show_document_error(parent: QWidget | None, exc: DomainError) -> None:
    show_error(parent, translated(exc))


def _page_images(pdf: bytes, dpi: float, pages: Sequence[int]) -> Any:
    """Grey images of the PDF's pages (0-based ``pages``), rendered at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        for index in pages:
            page = doc[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            pil = bitmap.to_pil().convert("L")
            image = QImage(
                pil.tobytes(), pil.width, pil.height, pil.width, QImage.Format.Format_Grayscale8
            )
            yield page.get_width(), page.get_height(), image.copy()
            page.close()
    finally:
        doc.close()


def _page_count_and_size(pdf: bytes) -> tuple[int, float, float]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        first = doc[0]
        return len(doc), first.get_width(), first.get_height()
    finally:
        doc.close()


def _fit_paper(printer: QPrinter, width_pt: float, height_pt: float) -> None:
    """Ask for paper the size of the PDF's pages (A4, 100 × 150 mm, a receipt's length), with
    no margins: the documents carry their own."""
    name = f"{width_pt / 72 * 25.4:.0f} x {height_pt / 72 * 25.4:.0f} mm"
    size = QPageSize(
        QSizeF(width_pt, height_pt),
        QPageSize.Unit.Point,
        name,  # an empty name makes Qt warn
        QPageSize.SizeMatchPolicy.FuzzyMatch,
    )
    orientation = (
        QPageLayout.Orientation.Landscape
        if width_pt > height_pt
        else QPageLayout.Orientation.Portrait
    )
    printer.setPageLayout(
        QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    )
    printer.setFullPage(True)


def paint_pdf(printer: QPrinter, pdf: bytes, title: str) -> int:
    """Paint the PDF's pages (those chosen in the printer's page range) on ``printer``; returns
    how many were printed. Raises :class:`EnvironmentProblem` when the printer cannot start."""
    count, _, _ = _page_count_and_size(pdf)
    printer.setDocName(title)
    first, last = printer.fromPage(), printer.toPage()
    pages = list(range(count))
    if first > 0:  # the person chose pages in the dialog (1-based, inclusive)
        pages = list(range(first - 1, min(last if last > 0 else count, count)))
    if not pages:
        return 0
    dpi = min(printer.resolution(), MAX_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise EnvironmentProblem(
            "printer.cannot_start",
            f"the printer {printer.printerName() or printer.outputFileName()} could not start "
            "printing; check that it is on and connected",
        )
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        for n, (w_pt, h_pt, image) in enumerate(_page_images(pdf, dpi, pages)):
            if n:
                printer.newPage()
            target = printer.pageLayout().fullRectPixels(printer.resolution())
            # Keep the page's proportions; centre it on the paper.
            scale = min(target.width() / w_pt, target.height() / h_pt)
            w, h = w_pt * scale, h_pt * scale
            x = target.x() + (target.width() - w) / 2
            y = target.y() + (target.height() - h) / 2
            painter.drawImage(QRectF(x, y, w, h), image)
    finally:
        painter.end()
        QGuiApplication.restoreOverrideCursor()
    return len(pages)


async def print_pdf(
    parent: QWidget | None,
    pdf_bytes: bytes,
    title: str,
    *,
    printer: QPrinter | None = None,
    ask: bool = True,
) -> bool:
    """Print a PDF: Qt's print dialog (unless ``ask`` is false), then the pages painted on the
    printer. ``printer`` defaults to the system's default printer; give one set up to print to
    a file or to a named printer. Returns False when the person cancelled."""
    target = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
    count, w_pt, h_pt = _page_count_and_size(pdf_bytes)
    _fit_paper(target, w_pt, h_pt)
    target.setDocName(title)
    if ask:
        dialog = QPrintDialog(target, parent)
        dialog.setWindowTitle(t("Print") + f" — {title}")
        dialog.setMinMax(1, count)
        dialog.setOption(QPrintDialog.PrintDialogOption.PrintPageRange, count > 1)
        if not await dialogs.ask(dialog, parent):
            return False
    return paint_pdf(target, pdf_bytes, title) > 0


def named_printer(name: str) -> QPrinter:
    """A QPrinter for the system printer ``name``. Raises :class:`EnvironmentProblem` when the
    system no longer has it."""
    info = QPrinterInfo.printerInfo(name)
    if info.isNull():
        raise EnvironmentProblem(
            "printer.missing",
            f"the printer {name!r} is not installed on this computer; choose another one in "
            "Settings → Printers",
            printer=name,
        )
    return QPrinter(info, QPrinter.PrinterMode.HighResolution)


async def save_pdf(parent: QWidget | None, pdf_bytes: bytes, suggested_name: str) -> Path | None:
    """Ask where to save the PDF and write it there whole (or not at all). Returns the path,
    or None when the person cancelled."""
    path, _ = await dialogs.choose_file_to_save(
        parent, t("Save as PDF"), suggested_name, t("PDF documents") + " (*.pdf)"
    )
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = (
            target.with_suffix(target.suffix + ".pdf")
            if target.suffix
            else target.with_suffix(".pdf")
        )
    api.write_atomically(target, pdf_bytes)
    return target


# ---------------------------------------------------------------------------- for screens


async def in_background(ctx: AppContext, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a documents function (whose first argument is the unit of work) off the GUI thread;
    what it issued (document numbers, orders' timelines) is told to the screens by
    :meth:`Ops.run`."""
    return await ctx.ops.run(fn, *args, **kwargs)


async def _settings(ctx: AppContext) -> PrinterSettings:
    return await ctx.ops.read(docs.get_printer_settings)


class BuyerDialog(QDialog):
    """Who a full tax invoice (Revenue Code s.86/4) or a credit note (s.86/10, ``credit``) is
    made out to: the buyer's name, address, tax ID and branch. Keeps what was typed while
    something is missing."""

    def __init__(self, parent: QWidget | None, buyer: Buyer, *, credit: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            self.tr("Buyer on the credit note") if credit else self.tr("Buyer on the tax invoice")
        )
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The refund issues a credit note, which shows the buyer's name and address. "
                "The sale's abbreviated tax invoice has none: enter them."
            )
            if credit
            else self.tr(
                "A full tax invoice shows the buyer's name and address, and their tax ID and "
                "branch when the buyer is a business."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        f = QFormLayout()
        self.name = QLineEdit(buyer.name)
        self.address = QPlainTextEdit(buyer.address)
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(76)
        self.tax_id = QLineEdit(buyer.tax_id)
        self.tax_id.setPlaceholderText("0-1055-12345-67-8")
        self.branch = QLineEdit(buyer.branch)
        self.branch.setPlaceholderText(self.tr("00000 = head office"))
        self.phone = buyer.phone
        f.addRow(self.tr("Name or company"), self.name)
        f.addRow(self.tr("Address"), self.address)
        f.addRow(self.tr("Tax ID"), self.tax_id)
        f.addRow(self.tr("Branch"), self.branch)
        layout.addLayout(f)
        self.problem = QLabel(objectName="Problem")
        theme.tone(theme.role(self.problem, "strong"), "error")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            self.tr("Refund and issue credit note") if credit else self.tr("Issue tax invoice")
        )
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def buyer(self) -> Buyer:
        return Buyer(
            name=self.name.text().strip(),
            tax_id=self.tax_id.text().strip(),
            branch=self.branch.text().strip(),
            address=" ".join(self.address.toPlainText().split()),
            phone=self.phone,
        )

    def check(self) -> str:
        """What is wrong with the form, or an empty string."""
        b = self.buyer()
        if not b.name:
            self.name.setFocus()
            return self.tr("Enter the buyer's name or company.")
        if not b.address:
            self.address.setFocus()
            return self.tr("Enter the buyer's address.")
        if b.tax_id:
            try:
                validate_tax_id(b.tax_id)
            except ThaiFormatError:
                self.tax_id.setFocus()
                return self.tr("The tax ID has 13 digits and a check digit; please check it.")
        return ""

    def accept(self) -> None:
        problem = self.check()
        self.problem.setText(problem)
        if not problem:
            super().accept()


_BUYER_CODES = frozenset(
    {
        "document.credit_note_buyer_required",
        "document.buyer_required",
        "document.invalid_buyer_tax_id",
    }
)


async def with_credit_buyer[T](
    parent: QWidget | None,
    ctx: AppContext,
    order_id: int,
    run: Callable[[Buyer | None], Awaitable[T]],
) -> tuple[bool, T | None]:
    """Run a refund (``run(buyer)``); when its credit note must name a buyer the sale's tax
    invoice lacks (s.86/10), ask for the name and address and run it again. (False, None)
    when the person cancelled the form; other errors propagate."""
    buyer: Buyer | None = None
    while True:
        try:
            return True, await run(buyer)
        except UserError as exc:
            if exc.code not in _BUYER_CODES:
                raise
            if buyer is None:
                buyer = await ctx.ops.read(docs.suggested_buyer, order_id)
            form = BuyerDialog(parent, buyer, credit=True)
            if not await dialogs.ask(form, parent):
                return False, None
            buyer = form.buyer()


class ReplacementDialog(QDialog):
    """Why a ใบแทน replaces the original (Revenue Code s.86/12); the reason is printed on it
    and kept in the order's timeline and the audit log."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Replacement for a lost original"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "A replacement (ใบแทน) has the original's number and date and says it replaces "
                "it. Print one only when the customer lost or damaged the original."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        f = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("e.g. the customer lost the original"))
        f.addRow(self.tr("Reason"), self.reason)
        layout.addLayout(f)
        self.problem = QLabel(objectName="Problem")
        theme.tone(theme.role(self.problem, "strong"), "error")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Print replacement"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if not self.reason.text().strip():
            self.problem.setText(self.tr("Say why the original is replaced."))
            self.reason.setFocus()
            return
        super().accept()


async def print_replacement(
    parent: QWidget | None, ctx: AppContext, order_id: int | str, *, printer: QPrinter | None = None
) -> bool:
    """Ask why, then print a ใบแทน of the order's A4 tax invoice or receipt."""
    dialog = ReplacementDialog(parent)
    if not await dialogs.ask(dialog, parent):
        return False
    reason = dialog.reason.text().strip()
    return await print_invoice(parent, ctx, order_id, replacement=reason, printer=printer)


async def print_invoice(
    parent: QWidget | None,
    ctx: AppContext,
    order_id: int | str,
    *,
    copy: bool = False,
    replacement: str | None = None,
    printer: QPrinter | None = None,
) -> bool:
    """Issue (once) and print an order's A4 tax invoice or receipt through the print dialog
    (or straight to ``printer``). When a full tax invoice lacks the buyer's name or address (a
    walk-in sale), asks for the buyer first."""
    buyer: Buyer | None = None
    try:
        while True:
            try:
                pdf = await in_background(
                    ctx,
                    api.invoice_pdf,
                    order_id,
                    actor=ctx.ops.actor,
                    buyer=buyer,
                    copy=copy,
                    replacement=replacement,
                )
                break
            except UserError as exc:
                if exc.code not in ("document.buyer_required", "document.invalid_buyer_tax_id"):
                    raise
                if buyer is None:
                    buyer = await ctx.ops.read(docs.suggested_buyer, order_id)
                dialog = BuyerDialog(parent, buyer)
                if not await dialogs.ask(dialog, parent):
                    return False
                buyer = dialog.buyer()
        return await print_pdf(parent, pdf, t("Tax invoice"), printer=printer, ask=printer is None)
    except DomainError as exc:
        show_document_error(parent, exc)
        return False


async def print_credit_note(
    parent: QWidget | None,
    ctx: AppContext,
    order_id: int | str,
    *,
    printer: QPrinter | None = None,
    number: str | None = None,
) -> bool:
    """Print a credit note (ใบลดหนี้) a refund of the order issued (when it had a tax
    invoice) through the print dialog, or straight to ``printer``: ``number``, else the only
    one, else the one chosen from the list (an order refunded in parts has one per refund)."""
    try:
        if number is None:
            number = await _choose_credit_note(parent, ctx, order_id)
            if number == "":
                return False
        if number is None:
            pdf = await in_background(
                ctx,
                api.invoice_pdf,
                order_id,
                actor=ctx.ops.actor,
                kind=docs.DocumentKind.CREDIT_NOTE,
            )
        else:
            pdf = await in_background(ctx, api.credit_note_pdf, number, actor=ctx.ops.actor)
        return await print_pdf(parent, pdf, t("Credit note"), printer=printer, ask=printer is None)
    except DomainError as exc:
        show_document_error(parent, exc)
        return False


async def _choose_credit_note(
    parent: QWidget | None, ctx: AppContext, order_id: int | str
) -> str | None:
    """The credit note to print when the order has several (newest first); None when it has
    one or none (the order's own is printed, or explained), "" when the person cancelled."""
    from minichat_desktop.ui.list_rows import Row
    from minichat_desktop.ui.pos_dialogs import PickDialog

    oid = await ctx.ops.read(docs.resolve_order_id, order_id)
    notes = [
        d
        for d in await ctx.ops.read(docs.list_documents, oid)
        if d.kind is docs.DocumentKind.CREDIT_NOTE
    ]
    if len(notes) < 2:
        return None
    rows = [Row(d.number, d.number, i18n.when(d.issued_at, short=True)) for d in reversed(notes)]
    dialog = PickDialog(t("Which credit note?"), rows, parent)
    if not await dialogs.ask(dialog, parent) or dialog.chosen is None:
        return ""
    return str(dialog.chosen)


async def print_receipt(parent: QWidget, ctx: AppContext, order_id: int | str) -> bool:
    """Print the counter receipt where Settings → Printers says: the ESC/POS printer, a system
    printer (no dialog: the counter is busy), or through the print dialog."""
    try:
        settings = await _settings(ctx)
        if settings.receipt_kind in (
            ReceiptPrinterKind.NETWORK,
            ReceiptPrinterKind.USB,
            ReceiptPrinterKind.FILE,
        ):
            await in_background(
                ctx, api.print_escpos, order_id, settings=settings, actor=ctx.ops.actor
            )
            return True
        pdf = await in_background(
            ctx, api.receipt_pdf, order_id, width=settings.receipt_width, actor=ctx.ops.actor
        )
        if settings.receipt_kind == ReceiptPrinterKind.SYSTEM:
            printer = named_printer(settings.receipt_target)
            return await print_pdf(parent, pdf, t("Receipt"), printer=printer, ask=False)
        return await print_pdf(parent, pdf, t("Receipt"))
    except DomainError as exc:
        show_document_error(parent, exc)
        return False


async def print_labels(parent: QWidget, ctx: AppContext, order_ids: Sequence[int | str]) -> bool:
    """Print shipping labels of the orders, one PDF, single or four to an A4 sheet as set."""
    try:
        settings = await _settings(ctx)
        pdf = await in_background(
            ctx, api.labels_pdf, list(order_ids), four_up=settings.label_four_up
        )
        printer = named_printer(settings.label_printer) if settings.label_printer else None
        return await print_pdf(parent, pdf, t("Shipping labels"), printer=printer)
    except DomainError as exc:
        show_document_error(parent, exc)
        return False


async def save_document(
    parent: QWidget, ctx: AppContext, what: str, order_ids: Sequence[int | str]
) -> Path | None:
    """Save ``"invoice"``, ``"receipt"`` or ``"labels"`` of the orders as one PDF file."""
    try:
        settings = await _settings(ctx)
        refs = list(order_ids)
        if what == "invoice":
            pdf = await in_background(ctx, api.invoices_pdf, refs, actor=ctx.ops.actor)
        elif what == "receipt":
            pdf = await in_background(
                ctx, api.receipts_pdf, refs, width=settings.receipt_width, actor=ctx.ops.actor
            )
        elif what == "labels":
            pdf = await in_background(ctx, api.labels_pdf, refs, four_up=settings.label_four_up)
        else:
            raise ValueError(f"unknown document {what!r}")
        numbers = await ctx.ops.read(docs.order_numbers, [r for r in refs if isinstance(r, int)])
        first = str(refs[0]) if not isinstance(refs[0], int) else numbers.get(refs[0], "orders")
        name = f"{what}-{first}" + (f"-and-{len(refs) - 1}-more" if len(refs) > 1 else "")
        return await save_pdf(parent, pdf, name + ".pdf")
    except DomainError as exc:
        show_document_error(parent, exc)
        return None
