"""The catalog screen: find products as you type (Thai or English, SKU, barcode), filter, see
a product with its variants, pictures and stock ledger, edit it, adjust stock with a reason,
and move the catalog in and out of spreadsheets (import with every problem listed, export,
the template, barcode labels).

The list is a model fed a page at a time (100k products stay fast); a search waits for a short
pause in typing and only the latest query's answer is ever shown. Everything that touches the
database runs off the UI thread through ``ctx.ops``; the screen refreshes when an operation
anywhere reports a change to ``"catalog"``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import catalog as app_catalog
from minichat_desktop.app.catalog import Filters
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductView
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.formats import exporter, importer
from minichat_desktop.ui import theme
from minichat_desktop.ui.catalog_dialogs import (
    ImportProblemsDialog,
    ProductDialog,
    StockDialog,
    thumbnail,
)
from minichat_desktop.ui.catalog_models import (
    LedgerModel,
    ProductTableModel,
    VariantListModel,
)
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.detail_pane import DetailPane, FactGrid, section_title
from minichat_desktop.ui.dialogs import choose_file_to_open, choose_file_to_save, inform
from minichat_desktop.ui.empty_state import EmptyState
from minichat_desktop.ui.errors import report_error, show_error
from minichat_desktop.ui.tables import ColumnFitter, list_table, plain_label

log = logging.getLogger(__name__)

# Searching is a few milliseconds now, so wait only long enough to skip the keys of a fast
# typist (or a barcode scanner, which ends with Enter and searches at once): results show
# within 100 ms of the last key.
SEARCH_DEBOUNCE_MS = 60


# ---------------------------------------------------------------------------- detail pane


class ProductDetail(DetailPane):
    """The selected product: names, prices, pictures, variants with their stock, and the
    stock ledger (newest first, Bangkok time)."""

    edit_requested = Signal()
    adjust_requested = Signal(int)  # variant id

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(min_width=400)
        self.ctx = ctx
        self.view: ProductView | None = None
        col = self.column
        self.status = theme.role(plain_label(), "strong")
        col.addWidget(self.status)

        self.pictures = QHBoxLayout()
        self.pictures.setSpacing(6)
        pics = QWidget()
        pics.setLayout(self.pictures)
        self.pictures.setContentsMargins(0, 4, 0, 4)
        col.addWidget(pics)

        self.facts = FactGrid(6)
        col.addLayout(self.facts)

        self.description = plain_label()
        self.description.setWordWrap(True)
        col.addWidget(self.description)

        head = QHBoxLayout()
        self.variants_title = section_title()
        self.edit_button = QPushButton()
        self.edit_button.setProperty("primary", True)
        self.edit_button.clicked.connect(self.edit_requested)
        self.adjust_button = QPushButton()
        self.adjust_button.clicked.connect(self._adjust)
        head.addWidget(self.variants_title, 1)
        head.addWidget(self.adjust_button)
        head.addWidget(self.edit_button)
        col.addLayout(head)
        self.variant_model = VariantListModel(self)
        self.variants = list_table(self.variant_model, stretch=1)
        self.variants.setMinimumHeight(120)
        self.variants.doubleClicked.connect(lambda _i: self._adjust())
        vh = self.variants.horizontalHeader()
        for c in (0, 2, 3, 4):
            vh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        col.addWidget(self.variants, 2)

        self.ledger_title = section_title()
        col.addWidget(self.ledger_title)
        self.ledger_model = LedgerModel(self)
        self.ledger = list_table(self.ledger_model, stretch=3)
        self.ledger.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lh = self.ledger.horizontalHeader()
        for c in (0, 1, 2, 4):
            lh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.ledger.setMinimumHeight(140)
        col.addWidget(self.ledger, 3)
        self.retranslate()
        self.show_product(None)

    def retranslate(self) -> None:
        self.empty.setText(self.tr("Pick a product to see its variants, stock and history."))
        self.facts.set_names(
            (
                self.tr("Price"),
                self.tr("Compare-at"),
                self.tr("Cost"),
                self.tr("Category"),
                self.tr("Tags"),
                self.tr("Low-stock warning at"),
            )
        )
        self.variants_title.setText(self.tr("Variants and stock"))
        self.ledger_title.setText(self.tr("Stock history"))
        self.edit_button.setText(self.tr("Edit…"))
        self.adjust_button.setText(self.tr("Adjust stock…"))
        self.variant_model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)
        self.ledger_model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)
        if self.view is not None:
            self._fill(self.view)

    def show_product(self, view: ProductView | None, ledger: list[Any] | None = None) -> None:
        self.view = view
        self.show_body(view is not None)
        if view is None:
            self.variant_model.set_product(None)
            self.ledger_model.set_rows([])
            return
        self._fill(view)
        self.variant_model.set_product(view)
        if ledger is not None:
            self.ledger_model.set_rows(ledger)
        if self.variant_model.rowCount():
            self.variants.selectRow(0)

    def _fill(self, view: ProductView) -> None:
        self.title.setText(view.name_th)
        self.subtitle.setText(" · ".join(p for p in (view.name_en, view.sku) if p))
        parts = []
        if not view.active:
            parts.append(self.tr("Not for sale (inactive)"))
        if view.track_inventory:
            level = view.stock
            if level <= 0:
                parts.append(self.tr("Out of stock"))
                tone = "error"
            elif level <= view.low_stock_threshold:
                parts.append(self.tr("Low stock: {n} left").format(n=f"{level:,}"))
                tone = "warn"
            else:
                parts.append(self.tr("{n} in stock").format(n=f"{level:,}"))
                tone = "ok"
        else:
            parts.append(self.tr("Stock is not tracked for this product"))
            tone = "muted"
        self.status.setText(" · ".join(parts))
        theme.tone(self.status, tone if view.active else "muted")
        money = (view.price_satang, view.compare_at_satang, view.cost_satang)
        values = [format_baht(m, symbol=True) if m is not None else "–" for m in money]
        values += [
            view.category or "–",
            ", ".join(view.tags) or "–",
            f"{view.low_stock_threshold:,}" if view.track_inventory else "–",
        ]
        self.facts.set_values(values)
        self.description.setText(view.description)
        self.description.setVisible(bool(view.description))
        while self.pictures.count():
            item = self.pictures.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for stored in view.images[:6]:
            pic = QLabel()
            pic.setPixmap(thumbnail(self.ctx.data_dir, stored, 84))
            pic.setFixedSize(88, 88)
            pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
            theme.card(pic, "picture")
            pic.setToolTip(stored)
            self.pictures.addWidget(pic)
        self.pictures.addStretch(1)
        self.adjust_button.setEnabled(view.track_inventory)

    def selected_variant_id(self) -> int | None:
        index = self.variants.currentIndex()
        if index.isValid():
            return self.variant_model.rows[index.row()].id
        if self.view is not None and self.view.variants:
            return self.view.variants[0].id
        return None

    def _adjust(self) -> None:
        vid = self.selected_variant_id()
        if vid is not None and self.view is not None and self.view.track_inventory:
            self.adjust_requested.emit(vid)


# ---------------------------------------------------------------------------- the screen


class CatalogScreen(QWidget):
    """Products: list with search as you type and filters, the selected product beside it,
    editing, stock adjustments, import/export."""

    results_shown = Signal(int)  # generation of the query now in the table

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.current_id: int | None = None
        self.product_dialog: ProductDialog | None = None
        self.stock_dialog: StockDialog | None = None
        self.problems_dialog: ImportProblemsDialog | None = None
        self.message: QMessageBox | None = None
        self.last_import: importer.ImportResult | None = None
        self._detail_seq = 0
        self.busy = 0  # async slots still running (tests and the bench wait for 0)

        self.title = QLabel(objectName="Title")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.category = QComboBox()
        self.category.setMinimumWidth(170)
        self.in_stock = QCheckBox()
        self.low_stock = QCheckBox()
        self.include_inactive = QCheckBox()
        self.new_button = QPushButton()
        self.new_button.setProperty("primary", True)
        self.new_button.clicked.connect(self.new_product)
        self.import_button = QPushButton()
        self.import_button.clicked.connect(self.choose_import)
        self.more_button = QPushButton()
        self.more_menu = QMenu(self)
        self.export_action = self.more_menu.addAction("", self.choose_export)
        self.template_action = self.more_menu.addAction("", self.choose_template)
        self.more_menu.addSeparator()
        self.labels_action = self.more_menu.addAction("", self.choose_labels)
        self.more_button.setMenu(self.more_menu)

        self.model = ProductTableModel(ctx.ops, self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda exc: show_error(self, exc))
        self.table = list_table(self.model, stretch=ProductTableModel.NAME)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ProductTableModel.SKU, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ProductTableModel.CATEGORY, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ProductTableModel.PRICE, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(ProductTableModel.STOCK, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(ProductTableModel.SKU, 130)
        header.resizeSection(ProductTableModel.CATEGORY, 150)
        header.resizeSection(ProductTableModel.PRICE, 110)
        header.resizeSection(ProductTableModel.STOCK, 80)
        self.column_fitter = ColumnFitter(
            self.table, ProductTableModel.NAME, (ProductTableModel.CATEGORY,)
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_current())
        self.count_label = QLabel(objectName="Muted")
        self.legend = QLabel(objectName="Muted")

        self.detail = ProductDetail(ctx)
        self.detail.edit_requested.connect(self.edit_current)
        self.detail.adjust_requested.connect(self.adjust_stock)

        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addSpacing(12)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.import_button)
        bar.addWidget(self.more_button)
        filters = QHBoxLayout()
        self.category_label = QLabel()
        filters.addWidget(self.category_label)
        filters.addWidget(self.category)
        filters.addSpacing(8)
        filters.addWidget(self.in_stock)
        filters.addWidget(self.low_stock)
        filters.addWidget(self.include_inactive)
        filters.addStretch(1)
        filters.addWidget(self.count_label)

        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.table, 1)
        self.empty = EmptyState()  # in the table's place while the shop has no products
        self.empty.acted.connect(self.choose_import)
        self.empty.setVisible(False)
        lcol.addWidget(self.empty, 1)
        lcol.addWidget(self.legend)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([700, 500])  # kept as proportions when the window resizes

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)

        self.timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        for box in (self.in_stock, self.low_stock, self.include_inactive):
            box.toggled.connect(lambda _c: self.refresh())
        new_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.New), self)
        new_shortcut.activated.connect(self.new_product)
        ctx.ops.changed.connect(self.on_changed)

        self.retranslate()
        self._fill_categories(ctx.ops.read_now(catalog.list_categories))
        self.refresh()

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.title.setText(self.tr("Catalog"))
        self.search.setPlaceholderText(self.tr("Search name, SKU or barcode (Ctrl+F)"))
        self.category_label.setText(self.tr("Category"))
        if self.category.count():
            self.category.setItemText(0, self.tr("All categories"))
        self.in_stock.setText(self.tr("In stock only"))
        self.low_stock.setText(self.tr("Low stock only"))
        self.include_inactive.setText(self.tr("Include inactive"))
        self.new_button.setText(self.tr("New product"))
        self.import_button.setText(self.tr("Import…"))
        self.more_button.setText(self.tr("More"))
        self.export_action.setText(self.tr("Export products…"))
        self.template_action.setText(self.tr("Download import template…"))
        self.labels_action.setText(self.tr("Print barcode labels…"))
        self.legend.setText(self.tr("Amber: low stock · Red: out of stock · Grey: not for sale"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)
        self._show_count()
        self.detail.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ list

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def filters(self) -> Filters:
        return Filters(
            category=str(self.category.currentData() or ""),
            in_stock=self.in_stock.isChecked(),
            low_stock=self.low_stock.isChecked(),
            include_inactive=self.include_inactive.isChecked(),
        )

    def _fill_categories(self, names: list[str]) -> None:
        current = str(self.category.currentData() or "")
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(self.tr("All categories"), "")
        for name in names:
            self.category.addItem(name, name)
        self.category.setCurrentIndex(max(0, self.category.findData(current)))
        self.category.blockSignals(False)

    def _search_now(self) -> None:
        """Enter (or a barcode scanner's final Enter) searches at once."""
        self.timer.stop()
        self.refresh()

    @asyncSlot()
    async def refresh(self) -> None:
        """Show the list for the current query and filters (an older answer still on its
        way is dropped when it arrives)."""
        self.timer.stop()
        self.busy += 1
        try:
            await self.model.reload(self.search.text(), self.filters())
        finally:
            self.busy -= 1

    @Slot(int)
    def _loaded(self, generation: int) -> None:
        self._show_count()
        if self.current_id is not None:
            row = self.model.row_of(self.current_id)
            if row >= 0:
                self.table.selectionModel().blockSignals(True)
                self.table.selectRow(row)
                self.table.selectionModel().blockSignals(False)
        self.results_shown.emit(generation)

    def _show_count(self) -> None:
        n = self.model.rowCount()
        filtered = bool(self.search.text().strip()) or self.filters() != Filters()
        none_at_all = n == 0 and not self.model.has_more and not filtered
        self.table.setVisible(not none_at_all)
        self.empty.setVisible(none_at_all)
        if none_at_all:
            self.empty.say(
                self.tr("No products yet"),
                self.tr(
                    "Add products one by one with “New product”, or bring the whole catalog "
                    "in from an Excel or CSV file (a template is in “More”)."
                ),
                self.tr("Import from a file…"),
            )
        if n == 0 and not self.model.has_more:
            text = self.tr("No products match") if filtered else self.tr("No products yet")
        elif self.model.has_more:
            text = self.tr("{n} shown, more as you scroll").format(n=f"{n:,}")
        else:
            text = self.tr("{n} products").format(n=f"{n:,}")
        self.count_label.setText(text)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_product(self.model.rows[rows[0].row()].product_id)

    @asyncSlot(int)
    async def open_product(self, product_id: int) -> None:
        """Show a product (and its ledger) in the detail pane."""
        self.current_id = product_id
        self._detail_seq += 1
        seq = self._detail_seq
        self.busy += 1
        try:
            found = await self.ctx.ops.read(app_catalog.get_product_with_ledger, product_id)
        except DomainError as exc:
            if seq == self._detail_seq:
                self.current_id = None
                self.detail.show_product(None)
                log.info("product %s is gone: %s", product_id, exc.message)
            return
        finally:
            self.busy -= 1
        if seq != self._detail_seq:
            return
        self.detail.show_product(found.product, list(found.ledger))

    @asyncSlot(set)
    async def on_changed(self, topics: set[str]) -> None:
        if "catalog" not in topics:
            return
        self.busy += 1
        try:
            self._fill_categories(await self.ctx.ops.read(catalog.list_categories))
            await self.model.reload(self.search.text(), self.filters())
            if self.current_id is not None:
                await self.open_product(self.current_id)
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ editing

    def new_product(self) -> None:
        self._open_product_dialog(None)

    @asyncSlot()
    async def edit_current(self) -> None:
        if self.current_id is None:
            return
        try:
            view = await self.ctx.ops.read(catalog.get_product, self.current_id)
        except DomainError as exc:
            show_error(self, exc)
            return
        self._open_product_dialog(view)

    def _open_product_dialog(self, view: ProductView | None) -> ProductDialog:
        categories = self.ctx.ops.read_now(catalog.list_categories)
        dialog = ProductDialog(self.ctx, view, categories, self)
        dialog.saved.connect(self._product_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.product_dialog = dialog
        dialog.open()
        return dialog

    def _product_saved(self, view: ProductView) -> None:
        self.current_id = view.id
        self.model.update_hit(view)
        if self.detail.view is not None and self.detail.view.id == view.id:
            self.detail.show_product(view)  # the ledger follows with the refresh

    def adjust_stock(self, variant_id: int) -> StockDialog | None:
        view = self.detail.view
        if view is None:
            return None
        dialog = StockDialog(self.ctx, view, variant_id, self)
        dialog.finished.connect(dialog.deleteLater)
        self.stock_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ files

    async def _ask_open(self, title: str, filters: str) -> Path | None:
        path = await choose_file_to_open(self, title, "", filters)
        return Path(path) if path else None

    async def _ask_save(self, title: str, name: str, filters: str) -> Path | None:
        path, chosen = await choose_file_to_save(self, title, name, filters)
        if not path:
            return None
        result = Path(path)
        if result.suffix.lower() not in (".xlsx", ".csv", ".pdf"):
            result = result.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
        return result

    @asyncSlot()
    async def choose_import(self) -> None:
        path = await self._ask_open(
            self.tr("Import products"), self.tr("Spreadsheets (*.xlsx *.csv);;All files (*)")
        )
        if path is not None:
            await self.import_file(path)

    async def import_file(self, path: Path) -> importer.ImportResult | None:
        """Import ``path`` off the UI thread with a progress dialog. On problems, the
        problems dialog lists every one (nothing was stored); on success a summary."""
        progress = QProgressDialog(self)
        progress.setWindowTitle(self.tr("Import products"))
        progress.setLabelText(self.tr("Reading {file}…").format(file=path.name))
        progress.setCancelButton(None)  # all or nothing: the importer cannot stop half-way
        progress.setRange(0, 0)
        progress.setMinimumDuration(0)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumWidth(380)
        progress.show()
        self.progress = progress
        loop = asyncio.get_running_loop()
        open_ = [True]

        def on_progress(done: int, total: int) -> None:  # on the UI thread
            if open_[0] and total > 0:
                progress.setLabelText(self.tr("Saving products…"))
                progress.setRange(0, total)
                progress.setValue(done)

        def report(done: int, total: int) -> None:  # on the importer's thread
            loop.call_soon_threadsafe(on_progress, done, total)

        self.import_button.setEnabled(False)
        try:
            result = await self.ctx.ops.run(
                importer.import_products, path, self.ctx.ops.actor, progress=report
            )
        except importer.ImportFailed as exc:
            self.show_import_problems(path.name, list(exc.problems))
            return None
        except DomainError as exc:
            report_error(self, exc)
            return None
        except Exception as exc:
            show_error(self, exc)
            return None
        finally:
            open_[0] = False
            progress.close()
            progress.deleteLater()
            self.import_button.setEnabled(True)
        self.last_import = result
        lines = [
            self.tr("{created} new, {updated} updated, {unchanged} unchanged.").format(
                created=f"{result.created:,}",
                updated=f"{result.updated:,}",
                unchanged=f"{result.unchanged:,}",
            )
        ]
        if result.stock_movements:
            lines.append(
                self.tr("{n} stock changes were recorded in the ledger.").format(
                    n=f"{result.stock_movements:,}"
                )
            )
        lines += list(result.warnings)
        self._inform(self.tr("Imported {file}").format(file=path.name), "\n".join(lines))
        return result

    def show_import_problems(self, file_name: str, problems: list[Any]) -> ImportProblemsDialog:
        dialog = ImportProblemsDialog(file_name, problems, self)
        dialog.finished.connect(dialog.deleteLater)
        self.problems_dialog = dialog
        dialog.open()
        return dialog

    def _inform(self, title: str, text: str, *, warn: bool = False) -> QMessageBox:
        return inform(self, title, text, warn=warn)

    @asyncSlot()
    async def choose_export(self) -> None:
        path = await self._ask_save(
            self.tr("Export products"),
            "products.xlsx",
            self.tr("Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)"),
        )
        if path is not None:
            await self.export_to(path)

    async def export_to(self, path: Path) -> exporter.ExportResult | None:
        """Write every product to ``path`` (.xlsx or .csv) in the importer's columns."""
        self.setCursor(Qt.CursorShape.BusyCursor)
        try:
            result = await self.ctx.ops.read(exporter.export_products, path)
        except DomainError as exc:
            show_error(self, exc)
            return None
        finally:
            self.unsetCursor()
        self._inform(
            self.tr("Export products"),
            self.tr("{n} rows written to {file}").format(n=f"{result.rows:,}", file=path.name),
        )
        return result

    @asyncSlot()
    async def choose_template(self) -> None:
        path = await self._ask_save(
            self.tr("Download import template"),
            "minichat-products-template.xlsx",
            self.tr("Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)"),
        )
        if path is None:
            return
        try:
            await asyncio.to_thread(importer.write_template, path)
        except UserError as exc:
            show_error(self, exc)
            return
        except OSError as exc:
            self._inform(self.tr("Download import template"), str(exc), warn=True)
            return
        self._inform(
            self.tr("Download import template"),
            self.tr("The template was saved as {file}.").format(file=path.name),
        )

    @asyncSlot()
    async def choose_labels(self) -> None:
        from minichat_desktop.ui import catalog_labels

        await catalog_labels.print_labels_dialog(self)


__all__ = ["CatalogScreen", "ProductDetail"]
