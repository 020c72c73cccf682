"""Dialogs of the catalog screen: edit a product (details, variants, images), adjust a
variant's stock with a reason, and the problems of a failed import.

Dialogs open with ``open()`` (window-modal, no nested event loop) and save through
``ctx.ops.write`` off the UI thread. A person's mistake is shown next to the field (or at the
bottom of the dialog) and the dialog stays open with everything they typed.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop import paths
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import (
    ProductInput,
    ProductView,
    VariantInput,
    VariantView,
)
from minichat_desktop.domain.models import MovementReason
from minichat_desktop.domain.thai import ThaiFormatError, format_baht, parse_baht
from minichat_desktop.errors import UserError
from minichat_desktop.files import atomic_write
from minichat_desktop.formats.importer import ImportProblem
from minichat_desktop.ui import theme
from minichat_desktop.ui.catalog_models import ProblemsModel
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import choose_files_to_open
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.tables import Index, plain_label

log = logging.getLogger(__name__)

# The app's style sheet pads inputs, which squeezes a spin box's arrows into slivers (and
# with no arrows Qt draws no text at all): give the arrows room.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
MAX_IMAGE_BYTES = 10 * 1024 * 1024


def error_label() -> QLabel:
    label = plain_label()
    theme.tone(label, "error")
    label.setWordWrap(True)
    label.hide()
    return label


def money_error(exc: ThaiFormatError) -> str:
    if exc.code == "money.too_many_decimals":
        return t("At most 2 decimals (satang)")
    if exc.code == "money.negative":
        return t("Must be zero or more")
    return t("Write an amount such as 1,250.00")


# ---------------------------------------------------------------------------- images


def store_image(data_dir: Path, source: Path) -> str:
    """Copy a picture into ``<data_dir>/media/products/`` under its content hash and return
    the path the product keeps (relative to the data folder). The same picture added twice
    is stored once. Raises :class:`UserError` ``image.unsupported`` for a file that is not a
    picture Qt can read, or is too large."""
    suffix = source.suffix.lower()
    if suffix not in IMAGE_SUFFIXES or QImageReader(str(source)).read().isNull():
        raise UserError(
            "image.unsupported",
            f"{source.name} is not a picture (use PNG, JPEG, WebP or GIF)",
            name=source.name,
        )
    if source.stat().st_size > MAX_IMAGE_BYTES:
        raise UserError("image.too_large", f"{source.name} is larger than 10 MB", name=source.name)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:32]
    folder = paths.media_dir(data_dir) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{digest}{'.jpg' if suffix == '.jpeg' else suffix}"
    target = folder / name
    if not target.exists():
        with atomic_write(target) as tmp:
            shutil.copyfile(source, tmp)
    return f"media/products/{name}"


def thumbnail(data_dir: Path, stored: str, size: int = 96) -> QPixmap:
    pm = QPixmap(str(data_dir / stored))
    if pm.isNull():
        pm = QPixmap(size, size)
        pm.fill(QColor(theme.LINE_COLOR))
        return pm
    return pm.scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


# ---------------------------------------------------------------------------- variants editor


@dataclass(slots=True)
class VariantRow:
    """A variant as the editor holds it: option values by position, price as typed."""

    sku: str
    values: list[str] = field(default_factory=list)
    barcode: str = ""
    price_text: str = ""
    stock: int = 0
    active: bool = True
    existing: bool = False


class VariantEditModel(QAbstractTableModel):
    """The editable variants table: SKU, one column per option, barcode, price (blank: the
    product's), stock (opening stock for a new variant; read-only once saved), for sale."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.option_names: list[str] = []
        self.rows: list[VariantRow] = []

    # columns: 0 SKU, 1..n options, n+1 barcode, n+2 price, n+3 stock, n+4 active
    def _col(self, index_col: int) -> tuple[str, int]:
        n = len(self.option_names)
        if index_col == 0:
            return "sku", 0
        if index_col <= n:
            return "option", index_col - 1
        return ("barcode", "price", "stock", "active")[index_col - n - 1], 0

    def set_option_names(self, names: list[str]) -> None:
        self.beginResetModel()
        self.option_names = names
        for r in self.rows:
            r.values = (r.values + [""] * len(names))[: max(len(names), len(r.values))]
        self.endResetModel()

    def set_rows(self, rows: list[VariantRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def add_row(self, row: VariantRow) -> int:
        pos = len(self.rows)
        self.beginInsertRows(QModelIndex(), pos, pos)
        row.values = (row.values + [""] * len(self.option_names))[: len(self.option_names)]
        self.rows.append(row)
        self.endInsertRows()
        return pos

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.option_names) + 5

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        kind, pos = self._col(section)
        if kind == "option":
            return self.option_names[pos]
        return {
            "sku": t("SKU"),
            "barcode": t("Barcode"),
            "price": t("Price (blank: product's)"),
            "stock": t("Stock"),
            "active": t("For sale"),
        }[kind]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        kind, _ = self._col(index.column())
        row = self.rows[index.row()]
        if kind == "active":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if kind == "stock" and row.existing:
            return base  # changes go through "Adjust stock" (with a reason)
        if kind == "sku" and row.existing:
            return base  # a variant is known by its SKU
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        kind, pos = self._col(index.column())
        if kind == "active":
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if row.active else Qt.CheckState.Unchecked
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if kind == "sku":
                return row.sku
            if kind == "option":
                return row.values[pos] if pos < len(row.values) else ""
            if kind == "barcode":
                return row.barcode
            if kind == "price":
                return row.price_text
            if kind == "stock":
                return row.stock
        if role == Qt.ItemDataRole.TextAlignmentRole and kind in ("price", "stock"):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and kind in ("stock", "sku") and row.existing:
            return QColor(theme.MUTED)
        if role == Qt.ItemDataRole.ToolTipRole and kind == "stock":
            if row.existing:
                return t("Change stock with “Adjust stock” (a reason is kept in the ledger)")
            return t("Opening stock of the new variant")
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        row = self.rows[index.row()]
        kind, pos = self._col(index.column())
        if kind == "active" and role == Qt.ItemDataRole.CheckStateRole:
            row.active = Qt.CheckState(value) == Qt.CheckState.Checked
        elif role != Qt.ItemDataRole.EditRole:
            return False
        elif kind == "sku":
            row.sku = str(value).strip()
        elif kind == "option":
            while len(row.values) <= pos:
                row.values.append("")
            row.values[pos] = str(value).strip()
        elif kind == "barcode":
            row.barcode = str(value).strip()
        elif kind == "price":
            row.price_text = str(value).strip()
        elif kind == "stock":
            row.stock = max(0, int(value))
        else:
            return False
        self.dataChanged.emit(index, index)
        return True


# ---------------------------------------------------------------------------- product dialog


class ProductDialog(QDialog):
    """Create or edit a product: details, options and variants, pictures.

    Saves through :func:`catalog.save_product` (an upsert by SKU, so an existing product's
    SKU is fixed here). ``saved`` carries the stored :class:`ProductView`.
    """

    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        view: ProductView | None,
        categories: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = view
        self.images: list[str] = list(view.images) if view else []
        # Fits a 1366×768 laptop's 728 px above the taskbar; the details scroll when shorter.
        self.setMinimumSize(640, 480)
        self.resize(760, 680)
        self.saving = False

        self.tabs = QTabWidget()
        details = QScrollArea(objectName="Plain")
        details.setWidgetResizable(True)
        details.setFrameShape(QFrame.Shape.NoFrame)
        details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details.setWidget(self._details_tab(categories))
        self.tabs.addTab(details, "")
        self.tabs.addTab(self._variants_tab(), "")
        self.tabs.addTab(self._images_tab(), "")
        self.form_error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self._fill(view)
        self.retranslate()

    # --- building

    def _with_error(self, name: str, widget: QWidget) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(widget)
        label = error_label()
        col.addWidget(label)
        self.errors[name] = label
        return box

    def _money_edit(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        edit.setPlaceholderText("0.00")
        edit.setMaximumWidth(160)

        def tidy() -> None:
            try:
                if edit.text().strip():
                    edit.setText(format_baht(parse_baht(edit.text())))
            except ThaiFormatError:
                pass  # shown on save, with what was typed kept

        edit.editingFinished.connect(tidy)
        return edit

    def _details_tab(self, categories: list[str]) -> QWidget:
        self.errors: dict[str, QLabel] = {}
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.sku = QLineEdit()
        self.sku.setMaximumWidth(240)
        self.name_th = QLineEdit()
        self.name_en = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(72)
        self.category = QComboBox()
        self.category.setEditable(True)
        self.category.addItem("")
        self.category.addItems(categories)
        self.tags = QLineEdit()
        self.price = self._money_edit()
        self.compare_at = self._money_edit()
        self.cost = self._money_edit()
        self.barcode = QLineEdit()
        self.barcode.setMaximumWidth(240)
        self.opening = QSpinBox()
        self.opening.setRange(0, 10_000_000)
        self.opening.setGroupSeparatorShown(True)
        self.opening.setMaximumWidth(160)
        self.track = QCheckBox()
        self.threshold = QSpinBox()
        self.threshold.setRange(0, 1_000_000)
        self.threshold.setMaximumWidth(160)
        self.active = QCheckBox()
        self.labels: dict[str, QLabel] = {}
        self.barcode_box = self._with_error("barcode", self.barcode)
        for key, widget in (
            ("sku", self._with_error("sku", self.sku)),
            ("name_th", self._with_error("name_th", self.name_th)),
            ("name_en", self.name_en),
            ("description", self.description),
            ("category", self.category),
            ("tags", self.tags),
            ("price", self._with_error("price", self.price)),
            ("compare_at", self._with_error("compare_at", self.compare_at)),
            ("cost", self._with_error("cost", self.cost)),
            ("barcode", self.barcode_box),
            ("opening", self.opening),
            ("track", self.track),
            ("threshold", self._with_error("threshold", self.threshold)),
            ("active", self.active),
        ):
            label = QLabel()
            self.labels[key] = label
            form.addRow(label, widget)
        self.track.toggled.connect(self.threshold.setEnabled)
        self.details_form = form
        return page

    def _variants_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        top = QHBoxLayout()
        self.options_label = QLabel()
        self.option_names = QLineEdit()
        self.option_names.editingFinished.connect(self._options_edited)
        top.addWidget(self.options_label)
        top.addWidget(self.option_names, 1)
        col.addLayout(top)
        self.options_hint = QLabel(objectName="Muted")
        self.options_hint.setWordWrap(True)
        col.addWidget(self.options_hint)
        self.variant_model = VariantEditModel(self)
        self.variant_table = QTableView()
        self.variant_table.setModel(self.variant_model)
        self.variant_table.verticalHeader().hide()
        self.variant_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.variant_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.variant_table.horizontalHeader().setStretchLastSection(False)
        self.variant_table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        col.addWidget(self.variant_table, 1)
        self.variants_error = error_label()
        col.addWidget(self.variants_error)
        buttons = QHBoxLayout()
        self.add_variant_button = QPushButton()
        self.add_variant_button.clicked.connect(lambda: self.add_variant())
        self.remove_variant_button = QPushButton()
        self.remove_variant_button.clicked.connect(self.remove_variant)
        buttons.addWidget(self.add_variant_button)
        buttons.addWidget(self.remove_variant_button)
        buttons.addStretch(1)
        col.addLayout(buttons)
        self.variant_model.modelReset.connect(self._variants_changed)
        self.variant_model.rowsInserted.connect(self._variants_changed)
        self.variant_model.rowsRemoved.connect(self._variants_changed)
        return page

    def _images_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.image_list = QListWidget()
        self.image_list.setViewMode(QListView.ViewMode.IconMode)
        self.image_list.setIconSize(QSize(120, 120))
        self.image_list.setGridSize(QSize(140, 140))
        self.image_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.image_list.setMovement(QListView.Movement.Static)
        col.addWidget(self.image_list, 1)
        self.images_error = error_label()
        col.addWidget(self.images_error)
        row = QHBoxLayout()
        self.add_images_button = QPushButton()
        self.add_images_button.clicked.connect(self.pick_images)
        self.remove_image_button = QPushButton()
        self.remove_image_button.clicked.connect(self.remove_image)
        self.images_hint = QLabel(objectName="Muted")
        row.addWidget(self.add_images_button)
        row.addWidget(self.remove_image_button)
        row.addWidget(self.images_hint, 1)
        col.addLayout(row)
        return page

    def _fill(self, view: ProductView | None) -> None:
        self.track.setChecked(True)
        self.active.setChecked(True)
        self.threshold.setValue(5)
        if view is None:
            return
        self.sku.setText(view.sku)
        self.sku.setReadOnly(True)
        self.name_th.setText(view.name_th)
        self.name_en.setText(view.name_en)
        self.description.setPlainText(view.description)
        self.category.setCurrentText(view.category)
        self.tags.setText(", ".join(view.tags))
        self.price.setText(format_baht(view.price_satang))
        if view.compare_at_satang is not None:
            self.compare_at.setText(format_baht(view.compare_at_satang))
        if view.cost_satang is not None:
            self.cost.setText(format_baht(view.cost_satang))
        self.track.setChecked(view.track_inventory)
        self.threshold.setValue(view.low_stock_threshold)
        self.active.setChecked(view.active)
        self.option_names.setText(", ".join(view.option_names))
        if is_simple(view):
            self.barcode.setText(view.variants[0].barcode or "")
            self.variant_model.set_option_names([])
        else:
            self.variant_model.set_option_names(list(view.option_names))
            self.variant_model.set_rows([row_of(v, view.option_names) for v in view.variants])
        self._show_images()

    def retranslate(self) -> None:
        self.setWindowTitle(
            self.tr("New product")
            if self.view is None
            else self.tr("Edit product {sku}").format(sku=self.view.sku)
        )
        self.tabs.setTabText(0, self.tr("Details"))
        self.tabs.setTabText(1, self.tr("Options and variants"))
        self.tabs.setTabText(2, self.tr("Pictures"))
        texts = {
            "sku": self.tr("SKU"),
            "name_th": self.tr("Name (Thai)"),
            "name_en": self.tr("Name (English)"),
            "description": self.tr("Description"),
            "category": self.tr("Category"),
            "tags": self.tr("Tags"),
            "price": self.tr("Price (฿)"),
            "compare_at": self.tr("Compare-at price (฿)"),
            "cost": self.tr("Cost (฿)"),
            "barcode": self.tr("Barcode"),
            "opening": self.tr("Opening stock"),
            "track": self.tr("Stock"),
            "threshold": self.tr("Low-stock warning at"),
            "active": self.tr("Status"),
        }
        for key, text in texts.items():
            self.labels[key].setText(text)
        self.tags.setPlaceholderText(self.tr("Separate with commas, e.g. new, bestseller"))
        self.compare_at.setToolTip(self.tr("The price before a discount, shown struck through"))
        self.track.setText(self.tr("Track stock for this product"))
        self.active.setText(self.tr("For sale (shown to customers)"))
        self.options_label.setText(self.tr("Option names"))
        self.option_names.setPlaceholderText(self.tr("e.g. Colour, Size (separate with commas)"))
        self.options_hint.setText(
            self.tr(
                "Each variant has its own SKU and stock. A variant removed here stops being "
                "sold; its stock history is kept."
            )
        )
        self.add_variant_button.setText(self.tr("Add variant"))
        self.remove_variant_button.setText(self.tr("Remove variant"))
        self.add_images_button.setText(self.tr("Add pictures…"))
        self.remove_image_button.setText(self.tr("Remove picture"))
        self.images_hint.setText(self.tr("The first picture is the main one."))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self._variants_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # --- variants

    def _options_edited(self) -> None:
        names = split_list(self.option_names.text())
        if names != self.variant_model.option_names:
            self.variant_model.set_option_names(names)

    def _variants_changed(self, *_: Any) -> None:
        has_rows = bool(self.variant_model.rows)
        # With variants, each has its own barcode and opening stock (Variants tab); the stock
        # of a saved product changes only through "Adjust stock" (with a reason).
        self.details_form.setRowVisible(self.barcode_box, not has_rows)
        self.details_form.setRowVisible(self.opening, self.view is None and not has_rows)
        self.remove_variant_button.setEnabled(has_rows)

    def add_variant(self, sku: str = "", values: list[str] | None = None) -> int:
        """Add a variant row (a product without options first gets its own variant as row
        one, so its stock and history carry over). Returns the new row."""
        self._options_edited()
        model = self.variant_model
        base = self.sku.text().strip()
        if not model.rows and self.view is not None and is_simple(self.view):
            v = self.view.variants[0]
            model.add_row(
                VariantRow(
                    sku=v.sku, barcode=self.barcode.text().strip(), stock=v.stock, existing=True
                )
            )
        if not sku:
            taken = {r.sku for r in model.rows}
            n = len(model.rows) + 1
            while f"{base}-{n}" in taken:
                n += 1
            sku = f"{base}-{n}" if base else ""
        row = model.add_row(VariantRow(sku=sku, values=list(values or [])))
        self.variant_table.setCurrentIndex(model.index(row, 0))
        return row

    def remove_variant(self) -> None:
        self.variant_model.remove_row(self.variant_table.currentIndex().row())

    # --- images

    @asyncSlot()
    async def pick_images(self) -> None:
        files = await choose_files_to_open(
            self,
            self.tr("Add pictures"),
            "",
            self.tr("Pictures (*.png *.jpg *.jpeg *.webp *.gif)"),
        )
        if files:
            self.add_image_files([Path(f) for f in files])

    def add_image_files(self, files: list[Path]) -> None:
        """Copy the pictures into the shop's media folder and show them; a file that is not
        a picture is named below the list and skipped."""
        problems = []
        for f in files:
            try:
                stored = store_image(self.ctx.data_dir, f)
            except UserError as exc:
                problems.append(
                    self.tr("{name} is not a picture (use PNG, JPEG, WebP or GIF)").format(
                        name=f.name
                    )
                    if exc.code == "image.unsupported"
                    else self.tr("{name} is larger than 10 MB").format(name=f.name)
                )
                continue
            except OSError as exc:
                problems.append(f"{f.name}: {exc.strerror or exc}")
                continue
            if stored not in self.images:
                self.images.append(stored)
        self._show_images()
        self.images_error.setText("\n".join(problems))
        self.images_error.setVisible(bool(problems))

    def remove_image(self) -> None:
        row = self.image_list.currentRow()
        if 0 <= row < len(self.images):
            del self.images[row]
            self._show_images()

    def _show_images(self) -> None:
        self.image_list.clear()
        for stored in self.images:
            item = QListWidgetItem(QIcon(thumbnail(self.ctx.data_dir, stored, 120)), "")
            item.setToolTip(stored)
            self.image_list.addItem(item)

    # --- saving

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.form_error, self.variants_error):
            label.clear()
            label.hide()

    def _error(self, name: str, text: str) -> None:
        label = {"form": self.form_error, "variants": self.variants_error}.get(name)
        label = label or self.errors[name]
        label.setText(text)
        label.show()
        if name == "variants":
            self.tabs.setCurrentIndex(1)
        elif name != "form":
            self.tabs.setCurrentIndex(0)

    def _money(self, name: str, edit: QLineEdit, *, required: bool = False) -> int | None:
        text = edit.text().strip()
        if not text:
            if required:
                self._error(name, self.tr("Please enter a price"))
                raise _Invalid
            return None
        try:
            return parse_baht(text)
        except ThaiFormatError as exc:
            self._error(name, money_error(exc))
            raise _Invalid from exc

    def collect(self) -> ProductInput | None:
        """The form as a :class:`ProductInput`, or None after marking what is wrong."""
        self._clear_errors()
        self._options_edited()
        ok = True
        values: dict[str, int | None] = {}
        for name, edit, required in (
            ("price", self.price, True),
            ("compare_at", self.compare_at, False),
            ("cost", self.cost, False),
        ):
            try:
                values[name] = self._money(name, edit, required=required)
            except _Invalid:
                ok = False
        if not self.sku.text().strip():
            self._error("sku", error_text(UserError("product.sku_required", "a SKU is required")))
            ok = False
        if not self.name_th.text().strip():
            self._error(
                "name_th", error_text(UserError("product.name_required", "a name is required"))
            )
            ok = False
        variants: list[VariantInput] = []
        names = self.variant_model.option_names
        for i, r in enumerate(self.variant_model.rows, start=1):
            price: int | None = None
            if r.price_text:
                try:
                    price = parse_baht(r.price_text)
                except ThaiFormatError as exc:
                    self._error(
                        "variants",
                        self.tr("Variant {n} ({sku}), price: {problem}").format(
                            n=i, sku=r.sku, problem=money_error(exc)
                        ),
                    )
                    ok = False
                    continue
            if price is not None and price == values.get("price"):
                price = None  # the product's price: keep following it
            variants.append(
                VariantInput(
                    sku=r.sku,
                    options={n: v for n, v in zip(names, r.values, strict=False) if v},
                    barcode=r.barcode or None,
                    price_satang=price,
                    stock=0 if r.existing else r.stock,
                    active=r.active,
                )
            )
        if variants and not names:
            self._error("variants", self.tr("Name the options first (e.g. Colour, Size)"))
            ok = False
        if not ok:
            return None
        price_value = values["price"]
        assert price_value is not None
        return ProductInput(
            sku=self.sku.text().strip(),
            name_th=self.name_th.text().strip(),
            name_en=self.name_en.text().strip(),
            description=self.description.toPlainText().strip(),
            price_satang=price_value,
            compare_at_satang=values["compare_at"],
            cost_satang=values["cost"],
            category=self.category.currentText().strip(),
            tags=split_list(self.tags.text()),
            images=list(self.images),
            barcode=None if variants else (self.barcode.text().strip() or None),
            stock=self.opening.value() if self.view is None and not variants else 0,
            option_names=names if variants else [],
            variants=variants,
            active=self.active.isChecked(),
            track_inventory=self.track.isChecked(),
            low_stock_threshold=self.threshold.value(),
            weight_grams=self.view.weight_grams if self.view else None,
        )

    @asyncSlot()
    async def save(self) -> None:
        if self.saving:
            return
        data = self.collect()
        if data is None:
            return
        self.saving = True
        self.save_button.setEnabled(False)
        try:
            view = await self.ctx.ops.write(catalog.save_product, data, self.ctx.ops.actor)
        except UserError as exc:
            self._show_domain_error(exc)
            return
        except Exception as exc:
            show_error(self, exc)
            return
        finally:
            self.saving = False
            self.save_button.setEnabled(True)
        self.view = view
        self.saved.emit(view)
        self.accept()

    def _show_domain_error(self, exc: UserError) -> None:
        text = error_text(exc)
        field_of = {
            "product.sku_required": "sku",
            "product.name_required": "name_th",
            "product.negative_money": "price",
            "product.negative_threshold": "threshold",
        }
        name = field_of.get(exc.code)
        if exc.code.startswith("variant.") or exc.code == "product.negative_stock":
            name = "variants" if self.variant_model.rows else "barcode"
            if exc.code == "variant.sku_taken" and not self.variant_model.rows:
                name = "sku"
        self._error(name or "form", text)


class _Invalid(Exception):
    """A field could not be read (already marked in the form)."""


def split_list(text: str) -> list[str]:
    return [p.strip() for p in text.replace("،", ",").split(",") if p.strip()]


def is_simple(view: ProductView) -> bool:
    """A product without options: one variant carrying the product's own SKU."""
    return (
        not view.option_names
        and len(view.variants) == 1
        and view.variants[0].sku == view.sku
        and not view.variants[0].options
    )


def row_of(v: VariantView, option_names: tuple[str, ...]) -> VariantRow:
    return VariantRow(
        sku=v.sku,
        values=[v.options.get(n, "") for n in option_names],
        barcode=v.barcode or "",
        price_text=format_baht(v.own_price_satang) if v.own_price_satang is not None else "",
        stock=v.stock,
        active=v.active,
        existing=True,
    )


# ---------------------------------------------------------------------------- stock


REASON_SUGGESTIONS = (
    "Counted on the shelf",
    "Goods received",
    "Damaged",
    "Lost",
    "Returned by a customer",
    "Used as a sample",
)


class StockDialog(QDialog):
    """Adjust one variant's stock: add/remove a number, or set the counted quantity. A reason
    is required and kept in the ledger with who made the change."""

    saved = Signal(object)  # stock.StockLevel

    def __init__(
        self,
        ctx: AppContext,
        view: ProductView,
        variant_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = view
        self.saving = False
        self.setMinimumWidth(460)
        self.product_label = plain_label(object_name="Title")
        self.product_label.setWordWrap(True)
        self.variant = QComboBox()
        for v in view.variants:
            if v.active or v.id == variant_id:
                self.variant.addItem(self._variant_text(v), v.id)
        if variant_id is not None:
            self.variant.setCurrentIndex(max(0, self.variant.findData(variant_id)))
        self.by_delta = QRadioButton()
        self.by_count = QRadioButton()
        self.by_delta.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_delta)
        group.addButton(self.by_count)
        self.quantity = QSpinBox()
        self.quantity.setRange(-1_000_000, 1_000_000)
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setMinimumWidth(140)
        self.result_label = QLabel(objectName="Muted")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason_error = error_label()
        self.form_error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        self.labels = [QLabel(), QLabel(), QLabel(), QLabel()]
        modes = QHBoxLayout()
        modes.addWidget(self.by_delta)
        modes.addWidget(self.by_count)
        modes.addStretch(1)
        qty = QHBoxLayout()
        qty.addWidget(self.quantity)
        qty.addWidget(self.result_label, 1)
        reason_box = QVBoxLayout()
        reason_box.setSpacing(2)
        reason_box.addWidget(self.reason)
        reason_box.addWidget(self.reason_error)
        form.addRow(self.labels[0], self.variant)
        form.addRow(self.labels[1], modes)
        form.addRow(self.labels[2], qty)
        form.addRow(self.labels[3], reason_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.product_label)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.variant.currentIndexChanged.connect(self._preview)
        self.quantity.valueChanged.connect(self._preview)
        self.by_delta.toggled.connect(self._mode_changed)
        self.reason.editTextChanged.connect(lambda _t: self.reason_error.hide())
        self.retranslate()

    def _variant_text(self, v: VariantView) -> str:
        name = v.title or v.sku
        label = f"{v.sku} — {v.title}" if v.title else name
        return f"{label}  ({self.tr('in stock')}: {v.stock:,})"

    def current_variant(self) -> VariantView:
        vid = self.variant.currentData()
        return next(v for v in self.view.variants if v.id == vid)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Adjust stock"))
        self.product_label.setText(self.view.name_th)
        for label, text in zip(
            self.labels,
            (self.tr("Variant"), self.tr("How"), self.tr("Quantity"), self.tr("Reason")),
            strict=True,
        ):
            label.setText(text)
        self.by_delta.setText(self.tr("Add or remove"))
        self.by_count.setText(self.tr("Set the counted quantity"))
        current = self.reason.currentText()
        self.reason.clear()
        self.reason.addItems([self.tr(r) for r in REASON_SUGGESTIONS])
        self.reason.setCurrentText(current)
        edit = self.reason.lineEdit()
        if edit is not None:
            edit.setPlaceholderText(self.tr("Why does the stock change?"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self._preview()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _mode_changed(self) -> None:
        if self.by_delta.isChecked():
            self.quantity.setRange(-1_000_000, 1_000_000)
            self.quantity.setValue(0)
        else:
            self.quantity.setRange(0, 10_000_000)
            self.quantity.setValue(self.current_variant().stock)
        self._preview()

    def _preview(self) -> None:
        if self.variant.count() == 0:
            return
        now = self.current_variant().stock
        after = now + self.quantity.value() if self.by_delta.isChecked() else self.quantity.value()
        self.result_label.setText(
            self.tr("{now} → {after} in stock").format(now=f"{now:,}", after=f"{after:,}")
        )

    @asyncSlot()
    async def save(self) -> None:
        if self.saving:
            return
        self.form_error.hide()
        reason = self.reason.currentText().strip()
        if not reason:
            self.reason_error.setText(
                error_text(UserError("stock.reason_required", "say why the stock changes"))
            )
            self.reason_error.show()
            self.reason.setFocus()
            return
        vid = self.variant.currentData()
        qty = self.quantity.value()
        actor = self.ctx.ops.actor
        self.saving = True
        self.save_button.setEnabled(False)
        try:
            if self.by_delta.isChecked():
                level = await self.ctx.ops.write(
                    stock.adjust_stock, vid, qty, MovementReason.ADJUSTMENT, actor, reason,
                )  # fmt: skip
            else:
                level = await self.ctx.ops.write(stock.set_stock, vid, qty, actor, reason)
        except UserError as exc:
            self.form_error.setText(error_text(exc))
            self.form_error.show()
            return
        except Exception as exc:
            show_error(self, exc)
            return
        finally:
            self.saving = False
            self.save_button.setEnabled(True)
        self.saved.emit(level)
        self.accept()


# ---------------------------------------------------------------------------- import problems


class ImportProblemsDialog(QDialog):
    """Why a file was not imported: every problem with its row and column. Nothing was
    stored, so the person fixes the file and imports it again."""

    def __init__(
        self, file_name: str, problems: list[ImportProblem], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.file_name = file_name
        self.model = ProblemsModel(problems, self)
        self.resize(760, 460)
        self.heading = plain_label(object_name="Title")
        self.heading.setWordWrap(True)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.copy_button = QPushButton()
        self.copy_button.clicked.connect(self.copy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Import problems"))
        self.heading.setText(
            self.tr("Nothing was imported from {file}").format(file=self.file_name)
        )
        n = self.model.rowCount()
        self.explain.setText(
            self.tr(
                "The file has {n} problems. Fix them in the file and import it again; "
                "nothing in the shop was changed."
            ).format(n=n)
            if n != 1
            else self.tr(
                "The file has 1 problem. Fix it in the file and import it again; "
                "nothing in the shop was changed."
            )
        )
        self.copy_button.setText(self.tr("Copy the list"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 2)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.model.as_text())
