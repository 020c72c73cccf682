"""Export a report: choose the report, the dates (or the tax month for the VAT report), the
format and where to save; a progress bar while it is written and a Cancel that stops it and
leaves no file behind (:mod:`minichat_desktop.documents.reports`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.documents import reports as report_files
from minichat_desktop.domain.reporting import reports
from minichat_desktop.domain.shop import bangkok_today
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.date_edit import DateEdit, MonthEdit
from minichat_desktop.ui.dialogs import choose_file_to_save
from minichat_desktop.ui.errors import error_text

log = logging.getLogger(__name__)

FILE_NAMES = {
    "sales": "sales-report",
    "products": "product-report",
    "customers": "customer-report",
    "vat": "vat-sales-report",
}


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def _write_report(
    session: Any, kind: str, date_from: dt.date, date_to: dt.date, path: Path, **kw: Any
) -> reports.ReportResult:
    """One read on the ops workers: the report built and written while its rows stream."""
    report = reports.build_report(session, kind, date_from, date_to)
    return report_files.write_built_report(report, path, **kw)


class ReportsDialog(QDialog):
    """``ReportsDialog(ctx, parent, date_from=…, date_to=…)``. :attr:`saved` carries the
    :class:`~minichat_desktop.domain.reporting.reports.ReportResult` of each report written."""

    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        kind: str = "sales",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.written: reports.ReportResult | None = None
        self.running = False
        self._cancel = threading.Event()
        self._folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            or Path.home()
        )
        self.setMinimumWidth(520)

        today = bangkok_today()
        self.kind = QComboBox()
        for key in reports.KINDS:
            self.kind.addItem("", key)
        self.kind.setCurrentIndex(reports.KINDS.index(kind))
        self.date_from = DateEdit(date_from or today.replace(day=1))
        self.date_to = DateEdit(date_to or today)
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        self.month = MonthEdit(last_month.replace(day=1))
        self.format = QComboBox()
        for key in report_files.FORMATS:
            self.format.addItem("", key)
        self.path = QLineEdit()
        self.browse = QPushButton()
        self.browse.clicked.connect(self.choose_path)

        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("–"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(self.browse)
        self.form = QFormLayout()
        self.kind_label, self.range_label = QLabel(), QLabel()
        self.month_label, self.format_label, self.path_label = QLabel(), QLabel(), QLabel()
        self.form.addRow(self.kind_label, self.kind)
        self.form.addRow(self.range_label, dates)
        self.form.addRow(self.month_label, self.month)
        self.form.addRow(self.format_label, self.format)
        self.form.addRow(self.path_label, where)

        self.hint = QLabel(objectName="Muted")
        self.hint.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        theme.role(self.progress, "labelled")
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setProperty("primary", True)
        self.open_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.hide()
        self.close_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.export_button.clicked.connect(lambda: self.export())
        self.open_button.clicked.connect(self.open_file)
        self.close_button.clicked.connect(self.cancel_or_close)

        col = QVBoxLayout(self)
        col.addLayout(self.form)
        col.addWidget(self.hint)
        col.addWidget(self.progress)
        col.addWidget(self.status)
        col.addWidget(self.buttons)

        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.format.currentIndexChanged.connect(lambda _i: self._suggest_path())
        for edit in (self.date_from, self.date_to, self.month):
            edit.dateChanged.connect(lambda _d: self._suggest_path())
        self.retranslate()
        self._kind_changed()

    # ------------------------------------------------------------------ texts

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Export a report"))
        names = {
            "sales": self.tr("Sales (by day, product, channel, payment)"),
            "products": self.tr("Product performance"),
            "customers": self.tr("Customers"),
            "vat": self.tr("VAT sales report (monthly)"),
        }
        for i, key in enumerate(reports.KINDS):
            self.kind.setItemText(i, names[key])
        formats = {
            "xlsx": self.tr("Excel workbook (.xlsx)"),
            "csv": self.tr("CSV, UTF-8 (.csv)"),
            "pdf": self.tr("PDF for printing (.pdf)"),
        }
        for i, key in enumerate(report_files.FORMATS):
            self.format.setItemText(i, formats[key])
        self.kind_label.setText(self.tr("Report"))
        self.range_label.setText(self.tr("Dates"))
        self.month_label.setText(self.tr("Tax month"))
        self.format_label.setText(self.tr("Format"))
        self.path_label.setText(self.tr("Save as"))
        self.browse.setText(self.tr("Choose…"))
        self.export_button.setText(self.tr("Export"))
        self.open_button.setText(self.tr("Open file"))
        self.close_button.setText(self.tr("Cancel") if self.running else self.tr("Close"))
        self._kind_changed()

    # ------------------------------------------------------------------ choices

    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def current_format(self) -> str:
        return str(self.format.currentData())

    def current_range(self) -> tuple[dt.date, dt.date]:
        if self.current_kind() == "vat":
            first = _pydate(self.month.date()).replace(day=1)
            return reports.month_range(first.strftime("%Y-%m"))
        return _pydate(self.date_from.date()), _pydate(self.date_to.date())

    def _kind_changed(self) -> None:
        vat = self.current_kind() == "vat"
        self.form.setRowVisible(1, not vat)
        self.form.setRowVisible(2, vat)
        hints = {
            "sales": self.tr(
                "Net of refunds: an order counts on the day it was placed (cancelled ones left"
                " out), a refund on the day it was made, as a credit note does. The list of"
                " orders is in the Excel and CSV files only."
            ),
            "products": self.tr(
                "Every product with its views, carts, units sold and sales net of refunds,"
                " gross profit and stock."
            ),
            "customers": self.tr(
                "Customers who bought, got money back or joined in these dates, with their"
                " spending net of refunds."
            ),
            "vat": self.tr(
                "In the Revenue Department's layout: tax invoice date and number, buyer,"
                " tax ID and branch, value and VAT. Refunds show as negative rows."
            ),
        }  # fmt: skip
        self.hint.setText(hints[self.current_kind()])
        self._suggest_path()

    def _suggest_path(self) -> None:
        lo, hi = self.current_range()
        span = lo.strftime("%Y-%m") if self.current_kind() == "vat" else f"{lo}_{hi}"
        name = f"{FILE_NAMES[self.current_kind()]}-{span}.{self.current_format()}"
        current = self.path.text().strip()
        folder = Path(current).parent if current else self._folder
        self.path.setText(str(folder / name))

    @asyncSlot()
    async def choose_path(self) -> None:
        filters = {
            "xlsx": self.tr("Excel workbook (*.xlsx)"),
            "csv": self.tr("CSV, UTF-8 (*.csv)"),
            "pdf": self.tr("PDF (*.pdf)"),
        }
        path, _ = await choose_file_to_save(
            self, self.tr("Save the report as"), self.path.text(), filters[self.current_format()]
        )
        if path:
            chosen = Path(path)
            if chosen.suffix.lower().lstrip(".") not in report_files.FORMATS:
                chosen = chosen.with_suffix("." + self.current_format())
            self.format.blockSignals(True)
            self.format.setCurrentIndex(
                report_files.FORMATS.index(chosen.suffix.lower().lstrip("."))
            )
            self.format.blockSignals(False)
            self.path.setText(str(chosen))

    # ------------------------------------------------------------------ running

    def _set_running(self, running: bool) -> None:
        self.running = running
        for w in (self.kind, self.date_from, self.date_to, self.month, self.format, self.path,
                  self.browse, self.export_button):  # fmt: skip
            w.setEnabled(not running)
        self.close_button.setText(self.tr("Cancel") if running else self.tr("Close"))
        self.progress.setVisible(running or self.progress.value() > 0)

    def cancel_or_close(self) -> None:
        if self.running:
            self._cancel.set()
            self.status.setText(self.tr("Stopping…"))
        else:
            self.reject()

    def reject(self) -> None:
        if self.running:  # Esc while writing: stop first, the dialog closes when it has
            self._cancel.set()
            return
        super().reject()

    @asyncSlot()
    async def export(self) -> reports.ReportResult | None:
        """Write the chosen report off the UI thread, with progress; returns the result (None
        when cancelled or refused — the reason is shown)."""
        text = self.path.text().strip()
        if not text:
            self.status.setText(self.tr("Choose where to save the report."))
            return None
        path = Path(text).expanduser()
        suffix = path.suffix.lower().lstrip(".")
        if suffix in report_files.FORMATS and suffix != self.current_format():
            # The name typed decides the format (the file must be what its name says).
            self.format.blockSignals(True)
            self.format.setCurrentIndex(report_files.FORMATS.index(suffix))
            self.format.blockSignals(False)
        self._cancel = threading.Event()
        self.open_button.hide()
        self.progress.setValue(0)
        theme.tone(self.status, None)
        self.status.setText(self.tr("Writing {file}…").format(file=path.name))
        self._set_running(True)
        loop = asyncio.get_running_loop()

        def on_progress(done: int, total: int) -> None:  # on the UI thread
            if self.running:
                self.progress.setValue(done * 100 // max(total, 1))

        def report(done: int, total: int) -> None:  # on the worker thread
            loop.call_soon_threadsafe(on_progress, done, total)

        lo, hi = self.current_range()
        try:
            result = await self.ctx.ops.read(
                _write_report, self.current_kind(), lo, hi, path,
                progress=report, cancel=self._cancel,
            )  # fmt: skip
        except reports.ReportCancelled:
            self._set_running(False)
            self.progress.setValue(0)
            self.progress.hide()
            self.status.setText(self.tr("Cancelled. No file was written."))
            return None
        except DomainError as exc:
            self._set_running(False)
            theme.tone(self.status, "error")
            self.status.setText(error_text(exc))
            return None
        except Exception:
            log.exception("report %s %s..%s to %s failed", self.current_kind(), lo, hi, path)
            self._set_running(False)
            theme.tone(self.status, "error")
            self.status.setText(
                self.tr("The report could not be written. Details are in the log file.")
            )
            return None
        self._set_running(False)
        self.progress.setValue(100)
        self.written = result
        self._folder = path.parent
        self.status.setText(
            self.tr("Saved {file} ({n} rows).").format(file=str(result.path), n=f"{result.rows:,}")
        )
        self.open_button.show()
        self.saved.emit(result)
        return result

    def open_file(self) -> None:
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written.path)))


__all__ = ["ReportsDialog"]
