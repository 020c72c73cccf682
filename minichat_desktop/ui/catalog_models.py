"""Qt models of the catalog screen: the product list (fetched lazily, a page at a time), a
product's variants and its stock ledger, and the problems of a failed import.

The product list never holds more than the pages a person scrolled to: a search shows its
best matches (up to :data:`catalog.MAX_SEARCH_LIMIT`), browsing with no query walks the whole
catalog a page at a time. Every answer carries the generation of the query it was asked for,
and an answer to an older query is dropped — only the latest query is ever shown (the paging
is :class:`~minichat_desktop.ui.tables.PagedTableModel`'s).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from minichat_desktop.app.catalog import Filters, hit_of, is_low, is_out, load_page
from minichat_desktop.app.paging import Page
from minichat_desktop.domain import glossary
from minichat_desktop.domain.catalog.products import (
    MovementView,
    ProductView,
    SearchHit,
    VariantView,
)
from minichat_desktop.domain.glossary import actor_name, stock_note
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.formats.importer import ImportProblem
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.ops import Ops
from minichat_desktop.ui.tables import (
    RIGHT,
    Index,
    PagedTableModel,
    RowsTableModel,
)

ROLE_HIT = Qt.ItemDataRole.UserRole + 1
LOW_BG = QColor(theme.AMBER_TINT)
OUT_BG = QColor(theme.RED_TINT)
GREY = QColor(theme.FAINT)


# ---------------------------------------------------------------------------- product list


class ProductTableModel(PagedTableModel[tuple[str, Filters], SearchHit]):
    """The product list: SKU, name, category, price, stock; low stock amber, out of stock red,
    inactive grey. Fed by :meth:`reload` (a new query) and Qt's ``fetchMore`` (scrolling)."""

    COLUMNS = ("SKU", "Name", "Category", "Price (฿)", "Stock")
    SKU, NAME, CATEGORY, PRICE, STOCK = range(5)
    RIGHT_COLUMNS = (PRICE, STOCK)

    def __init__(self, ops: Ops, parent: Any = None) -> None:
        super().__init__(("", Filters()), parent)
        self.ops = ops

    async def reload(self, query: str, filters: Filters) -> bool:
        """Show the first page for ``query``; False when a newer reload overtook this one
        (its answer is then dropped)."""
        return await self.load((query, filters))

    async def read_page(self, request: tuple[str, Filters], offset: int) -> Page[SearchHit]:
        query, filters = request
        return await self.ops.read(load_page, query, filters, offset, self.PAGE_SIZE)

    def key(self, row: SearchHit) -> Hashable:
        return row.product_id

    @property
    def query(self) -> str:
        """The search text of the rows shown."""
        return self.request[0]

    @property
    def filters(self) -> Filters:
        """The filters of the rows shown."""
        return self.request[1]

    def update_hit(self, view: ProductView) -> None:
        """Show a product's new values in place (after an edit), keeping the scroll."""
        row = self.row_of(view.id)
        if row >= 0:
            self.rows[row] = replace(hit_of(view), match=self.rows[row].match)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    # --- Qt

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.SKU:
                return hit.sku
            if col == self.NAME:
                return hit.name_th
            if col == self.CATEGORY:
                return hit.category
            if col == self.PRICE:
                return format_baht(hit.price_satang)
            if col == self.STOCK:
                return f"{hit.stock:,}" if hit.track_inventory else "–"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (self.PRICE, self.STOCK):
                return RIGHT
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole:
            if not hit.active:
                return QBrush(GREY)
            if col == self.STOCK and is_out(hit):
                return QBrush(QColor(theme.RED))
            if col == self.STOCK and is_low(hit):
                return QBrush(QColor(theme.AMBER))
            return None
        if role == Qt.ItemDataRole.BackgroundRole and hit.active:
            if is_out(hit):
                return QBrush(OUT_BG)
            if is_low(hit):
                return QBrush(LOW_BG)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if col == self.STOCK and hit.active and is_low(hit):
                font = QFont()
                font.setWeight(QFont.Weight.DemiBold)
                return font
            if not hit.active:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(hit, col)
        if role == ROLE_HIT:
            return hit
        return None

    @staticmethod
    def _tooltip(hit: SearchHit, col: int) -> str | None:
        if col == ProductTableModel.NAME:
            return hit.name_en or None
        if col != ProductTableModel.STOCK:
            return None if hit.active else t("Not for sale (inactive)")
        if not hit.track_inventory:
            return t("Stock is not tracked for this product")
        if is_out(hit):
            return t("Out of stock")
        if is_low(hit):
            return t("Low stock: warn at {n} or fewer").format(n=hit.low_stock_threshold)
        return None


# ---------------------------------------------------------------------------- variants


class VariantListModel(RowsTableModel):
    """A product's variants as the detail pane shows them (read-only)."""

    COLUMNS = ("SKU", "Options", "Barcode", "Price (฿)", "Stock")
    RIGHT_COLUMNS = (3, 4)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[VariantView] = []
        self.track = True
        self.threshold = 0

    def set_product(self, view: ProductView | None) -> None:
        self.beginResetModel()
        self.rows = list(view.variants) if view else []
        self.rows.sort(key=lambda v: not v.active)
        self.track = view.track_inventory if view else True
        self.threshold = view.low_stock_threshold if view else 0
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        v = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                v.sku,
                v.title or "–",
                v.barcode or "",
                format_baht(v.price_satang),
                f"{v.stock:,}" if self.track else "–",
            )[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if not v.active:
                return QBrush(GREY)
            if col == 4 and self.track and v.stock <= 0:
                return QBrush(QColor(theme.RED))
            if col == 4 and self.track and v.stock <= self.threshold:
                return QBrush(QColor(theme.AMBER))
        if role == Qt.ItemDataRole.ToolTipRole and not v.active:
            return t("Not for sale (inactive)")
        if role == ROLE_HIT:
            return v
        return None


# ---------------------------------------------------------------------------- ledger


def bangkok(when: dt.datetime | None) -> str:
    """A stored (UTC) time as the ledger lists it: ``23 พ.ย. 17:50`` (the year when not this
    one)."""
    return "" if when is None else i18n.when(when, short=True)


class LedgerModel(RowsTableModel):
    """A product's stock movements, newest first, in Bangkok time."""

    COLUMNS = ("When", "Variant", "Change", "Reason", "By")
    RIGHT_COLUMNS = (2,)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[MovementView] = []

    def set_rows(self, rows: Sequence[MovementView]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def cell(self, row: int, col: int) -> str:
        m = self.rows[row]
        if col == 0:
            return bangkok(m.created_at)
        if col == 1:
            return m.variant_sku
        if col == 2:
            return f"{m.quantity:+,}"
        if col == 3:
            reason = glossary.name_of(glossary.STOCK_REASON, str(m.reason), current_language())
            if m.order_id:
                reason = f"{reason} #{m.order_id}"
            note = stock_note(m.note, current_language())
            return f"{reason} · {note}" if note else reason
        return actor_name(m.actor, current_language())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            q = self.rows[index.row()].quantity
            return QBrush(QColor(theme.GREEN_DARK if q > 0 else theme.RED))
        return None


# ---------------------------------------------------------------------------- import problems


# Import problems in the person's language: (code, the English message's shape, the text to
# translate). The importer's messages are English and carry the bad value in quotes; a
# message of another shape is shown as it is.
_PROBLEMS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (code, re.compile(pattern), text)
    for code, pattern, text in (
        ("import.name_required", r"the name is empty$", "The name is empty"),
        ("import.sku_required", r"the SKU is empty$", "The SKU is empty"),
        ("import.price_required", r"the price is empty$", "The price is empty"),
        (
            "import.bad_price",
            r'^(?P<value>".*") is not a',
            "{value} is not a price (write 1,250.00)",
        ),
        ("import.negative_price", r'\((?P<value>".*")\)$', "{value} cannot be negative"),
        (
            "import.too_many_decimals",
            r'^(?P<value>".*") has more than 2 decimals',
            "{value} has more than 2 decimals (satang are the smallest unit)",
        ),
        (
            "import.price_too_high",
            r'^(?P<value>".*") is more than',
            "{value} is more than 10,000,000 baht",
        ),
        (
            "import.negative_stock",
            r'^(?P<value>".*") is negative',
            "{value} is negative; use 0 or more",
        ),
        (
            "import.bad_stock",
            r'^(?P<value>".*") is not a whole number$',
            "{value} is not a whole number",
        ),
        (
            "import.bad_active",
            r'^(?P<value>".*") is not yes/no',
            "{value} is not yes/no (use ใช่ or ไม่)",
        ),
        (
            "import.missing_column",
            r"the required column (?P<value>\S+) is missing$",
            "The required column {value} is missing",
        ),
        (
            "import.duplicate_sku",
            r"SKU (?P<value>.+) is already in row (?P<row>\d+)$",
            "SKU {value} is already in row {row}",
        ),
        (
            "import.duplicate_barcode",
            r"barcode (?P<value>.+) is already in row (?P<row>\d+)$",
            "Barcode {value} is already in row {row}",
        ),
        ("import.empty_file", r"^the file is empty$", "The file is empty"),
        (
            "import.no_rows",
            r"^the file has a header but no products$",
            "The file has a header but no products",
        ),
    )
)


def problem_text(problem: ImportProblem) -> str:
    """A problem's message in the UI's language (English: the importer's own words)."""
    if current_language() == "th":
        for code, pattern, text in _PROBLEMS:
            if problem.code == code and (m := pattern.search(problem.message)):
                return t(text).format(**m.groupdict())
    return problem.message


class ProblemsModel(RowsTableModel):
    """Every problem of a failed import: row, column, what is wrong."""

    COLUMNS = ("Row", "Column", "Problem")

    def __init__(self, problems: Sequence[ImportProblem], parent: Any = None) -> None:
        super().__init__(parent)
        self.rows = list(problems)

    def cell(self, row: int, col: int) -> str:
        p = self.rows[row]
        if col == 0:
            return str(p.row) if p.row else t("whole file")
        if col == 1:
            if not p.column:
                return ""
            return f"{p.letter} ({p.column})" if p.letter else p.column
        return problem_text(p)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            p = self.rows[index.row()]
            return p.message if index.column() == 2 else self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return RIGHT
        return None

    def as_text(self) -> str:
        """Tab-separated, for the clipboard (pastes into a spreadsheet)."""
        lines = ["\t".join(t(c) for c in self.COLUMNS)]
        lines += [
            "\t".join(self.cell(r, c) for c in range(len(self.COLUMNS)))
            for r in range(len(self.rows))
        ]
        return "\n".join(lines)
