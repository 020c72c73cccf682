"""Qt models of the catalog screen: the product list (fetched lazily, a page at a time), a
product's variants and its stock ledger, and the problems of a failed import.

The product list never holds more than the pages a person scrolled to: a search shows its
best matches (up to :data:`catalog.MAX_SEARCH_LIMIT`), browsing with no query walks the whole
catalog in pages of :data:`PAGE_SIZE`. Every answer carries the generation of the query it was
asked for, and an answer to an older query is dropped — only the latest query is ever shown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from minichat_desktop.app.catalog import Filters, hit_of, is_low, is_out, load_page
from minichat_desktop.domain.catalog.products import (
    MovementView,
    ProductView,
    SearchHit,
    VariantView,
)
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.formats.importer import ImportProblem
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.ops import Ops
from minichat_desktop.ui.tables import RIGHT, Index, RowsTableModel

log = logging.getLogger(__name__)

PAGE_SIZE = 200
ROLE_HIT = Qt.ItemDataRole.UserRole + 1
LOW_BG = QColor("#FFF4DB")
OUT_BG = QColor("#FDECEC")
GREY = QColor("#9AA5B1")


# ---------------------------------------------------------------------------- products


class ProductTableModel(RowsTableModel):
    """The product list: SKU, name, category, price, stock; low stock amber, out of stock red,
    inactive grey. Fed by :meth:`reload` (a new query) and Qt's ``fetchMore`` (scrolling)."""

    COLUMNS = ("SKU", "Name", "Category", "Price (฿)", "Stock")
    SKU, NAME, CATEGORY, PRICE, STOCK = range(5)
    RIGHT_COLUMNS = (PRICE, STOCK)

    loaded = Signal(int)  # the generation whose rows are now shown
    failed = Signal(object)  # an exception from loading

    def __init__(self, ops: Ops, parent: Any = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.rows: list[SearchHit] = []
        self.query = ""
        self.filters = Filters()
        self.generation = 0
        self._seen: set[int] = set()
        self._next_offset = 0
        self._more = False
        self._fetching = False
        self._task: asyncio.Future[None] | None = None

    # --- loading

    async def reload(self, query: str, filters: Filters) -> bool:
        """Show the first page for ``query``; False when a newer reload overtook this one
        (its answer is then dropped)."""
        self.generation += 1
        gen = self.generation
        self._fetching = True
        try:
            pages = await self._read_pages(query, filters, 0)
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return False
        if gen != self.generation:
            return False
        hits, next_offset, more = pages
        self.beginResetModel()
        self.query, self.filters = query, filters
        self.rows = list(hits)
        self._seen = {h.product_id for h in hits}
        self._next_offset, self._more = next_offset, more
        self._fetching = False
        self.endResetModel()
        self.loaded.emit(gen)
        return True

    async def _read_pages(
        self, query: str, filters: Filters, offset: int
    ) -> tuple[list[SearchHit], int, bool]:
        """Pages from ``offset`` until one gives rows (client-side filters may empty a page)
        or the list ends; at most a few pages per call so a sparse filter stays responsive."""
        hits: list[SearchHit] = []
        more = True
        for _ in range(5):
            page = await self.ops.read(load_page, query, filters, offset, PAGE_SIZE)
            hits.extend(page.hits)
            offset, more = page.next_offset, page.more
            if hits or not more:
                break
        return hits, offset, more

    def _report(self, exc: Exception) -> None:
        if asyncio._get_running_loop() is None:
            # The event loop has stopped (the app is closing) while a page was on its way:
            # nobody is looking, and a dialog now would keep the app from quitting.
            log.info("product list not loaded, the event loop has stopped: %r", exc)
            return
        self.failed.emit(exc)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self._task = asyncio.ensure_future(self._fetch_more(self.generation))

    async def _fetch_more(self, gen: int) -> None:
        try:
            hits, next_offset, more = await self._read_pages(
                self.query, self.filters, self._next_offset
            )
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return
        if gen != self.generation:
            return
        fresh = [h for h in hits if h.product_id not in self._seen]
        self._next_offset, self._more = next_offset, more
        self._fetching = False
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(fresh) - 1)
            self.rows.extend(fresh)
            self._seen.update(h.product_id for h in fresh)
            self.endInsertRows()
        self.loaded.emit(gen)

    @property
    def has_more(self) -> bool:
        return self._more

    def row_of(self, product_id: int) -> int:
        for i, h in enumerate(self.rows):
            if h.product_id == product_id:
                return i
        return -1

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

REASONS = {
    "import": "Import",
    "adjustment": "Adjustment",
    "reservation": "Order",
    "cancellation": "Order cancelled",
    "sale": "Sale",
    "refund": "Refund",
}


def bangkok(when: dt.datetime | None) -> str:
    """A stored (UTC) time as Bangkok wall time, ``23/11/26 17:50``."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(BANGKOK).strftime("%d/%m/%y %H:%M")


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
            reason = t(REASONS.get(str(m.reason), str(m.reason)))
            if m.order_id:
                reason = f"{reason} #{m.order_id}"
            return f"{reason} · {m.note}" if m.note else reason
        return m.actor

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
