"""Reading a product file: CSV (its encoding and delimiter guessed) or the first sheet of an
XLSX, into a header and numbered rows; the header mapped to the importer's columns; and each
row's cells checked one by one into :class:`RowValues`, every problem collected with its row
number and column as the person sees them.

Problems with the whole file raise :class:`FileProblem` (row 0). Nothing here looks at the
database or at how rows group into products (see :mod:`.plan`).
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from minichat_desktop.domain.catalog.products import normalize_code
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.formats.importer.cells import (
    CellValue,
    cell_text,
    parse_count_cell,
    parse_flag,
    parse_money_cell,
)
from minichat_desktop.formats.importer.columns import (
    MAX_BARCODE,
    MAX_CATEGORY,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_OPTION,
    MAX_ROWS,
    MAX_SKU,
    MAX_STOCK,
    MAX_THRESHOLD,
    REQUIRED,
    column_for_header,
)
from minichat_desktop.formats.importer.problems import CellError, ImportFailed, ImportProblem

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- files


@dataclass(slots=True)
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, Sequence[CellValue]]]  # (row number, cells), blank rows included
    letters: bool
    encoding: str | None = None


class FileProblem(Exception):
    """Something wrong with the whole file (row 0 of the problems)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = ImportProblem(0, "", message, code)


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp874"), "cp874"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "import.corrupt_file", "the file is not a CSV text file (save it as CSV or XLSX)"
        )
    raise FileProblem(
        "import.bad_encoding",
        "the file's text encoding is not UTF-8 or Thai (TIS-620/Windows-874); "
        "save it as “CSV UTF-8”",
    )


def _read_csv(path: Path) -> Sheet:
    data = path.read_bytes()
    text, encoding = _decode_csv(data)
    if not text.strip():
        raise FileProblem("import.empty_file", "the file is empty")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise FileProblem("import.corrupt_file", f"the file is not valid CSV: {exc}") from exc

    def rows() -> Iterator[tuple[int, Sequence[CellValue]]]:
        n = 1
        try:
            for record in reader:
                n += 1
                yield n, record
        except csv.Error as exc:
            raise FileProblem(
                "import.corrupt_file", f"row {n + 1}: the file is not valid CSV ({exc})"
            ) from exc

    return Sheet([h.strip() for h in headers], rows(), letters=False, encoding=encoding)


def _read_xlsx(path: Path) -> tuple[Sheet, Callable[[], None]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise FileProblem(
            "import.corrupt_file", "the file is damaged or is not an Excel workbook (.xlsx)"
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds for broken XML
        log.warning("cannot open %s as XLSX: %r", path, exc)
        raise FileProblem(
            "import.corrupt_file", "the file is damaged or is not an Excel workbook (.xlsx)"
        ) from exc
    if not wb.worksheets:
        wb.close()
        raise FileProblem("import.empty_file", "the workbook has no sheets")
    ws = wb.worksheets[0]
    # data_only and no rich_text: openpyxl yields values, never formula or rich-text objects
    rows_iter = cast(Iterator[tuple[CellValue, ...]], ws.iter_rows(values_only=True))
    try:
        first = next(rows_iter, None)
    except Exception as exc:
        wb.close()
        raise FileProblem("import.corrupt_file", "the workbook's first sheet is damaged") from exc
    if first is None or all(cell_text(v) == "" for v in first):
        wb.close()
        raise FileProblem("import.empty_file", "the file is empty (no header in row 1)")

    def rows() -> Iterator[tuple[int, Sequence[CellValue]]]:
        n = 1
        try:
            for record in rows_iter:
                n += 1
                yield n, record
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise FileProblem(
                "import.corrupt_file", f"the workbook is damaged near row {n + 1}"
            ) from exc

    return Sheet([cell_text(h) for h in first], rows(), letters=True), wb.close


def open_sheet(path: Path) -> tuple[Sheet, Callable[[], None]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        hint = " (save it as .xlsx)" if suffix == ".xls" else ""
        raise FileProblem("import.unsupported_file", f"{path.name} is not a CSV or XLSX file{hint}")
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path)
        return _read_csv(path), lambda: None
    except FileNotFoundError as exc:
        raise UserError("import.no_file", f"no file at {path}", path=str(path)) from exc
    except PermissionError as exc:
        raise EnvironmentProblem(
            "env.file_unreadable", f"cannot read {path}: permission denied", path=str(path)
        ) from exc


# ---------------------------------------------------------------------------- problems


class Collector:
    """Collects problems, naming each cell's column as the file's header (and its XLSX
    letter)."""

    def __init__(self, headers: list[str], index: dict[str, int], letters: bool) -> None:
        self.problems: list[ImportProblem] = []
        self.headers = headers
        self.index = index
        self.letters = letters

    def add(self, row: int, key: str, code: str, message: str) -> None:
        col = self.index.get(key)
        if col is None:
            self.problems.append(ImportProblem(row, key, message, code))
            return
        self.problems.append(
            ImportProblem(row, self.headers[col] or key, message, code, self.letter(col))
        )

    def letter(self, col: int) -> str:
        if not self.letters:
            return ""
        from openpyxl.utils import get_column_letter

        return str(get_column_letter(col + 1))

    def header_problem(self, col: int, code: str, message: str) -> None:
        self.problems.append(
            ImportProblem(1, self.headers[col] or f"#{col + 1}", message, code, self.letter(col))
        )


def map_headers(sheet: Sheet, out: Collector, warnings: list[str]) -> dict[str, int]:
    """``{column key: index}`` of the known headers (also set as ``out.index``). Unknown
    headers become warnings; a column given twice and a required one missing are problems."""
    index: dict[str, int] = {}
    for col, header in enumerate(sheet.headers):
        if not header:
            continue
        key = column_for_header(header)
        if key is None:
            label = f"{out.letter(col)} ({header})" if sheet.letters else header
            warnings.append(f"column {label} is not known and was ignored")
            continue
        if key in index:
            first = sheet.headers[index[key]]
            out.header_problem(
                col, "import.duplicate_column", f"the column {key} appears twice (also “{first}”)"
            )
            continue
        index[key] = col
    out.index = index
    for key in REQUIRED:
        if key not in index:
            out.problems.append(
                ImportProblem(
                    1, key, f"the required column {key} is missing", "import.missing_column"
                )
            )
    return index


# ---------------------------------------------------------------------------- rows


Cells = dict[str, CellValue]
Texts = dict[str, str]


def filled_rows(
    sheet: Sheet, index: dict[str, int], path: Path
) -> Iterator[tuple[int, Cells, Texts]]:
    """``(row number, cells, texts)`` of each row with a value in a known column: the
    non-blank cells by column key, and their text (most cells are text already). Raises
    :class:`ImportFailed` ``import.too_many_rows`` past :data:`MAX_ROWS`."""
    getters = list(index.items())
    count = 0
    for n, record in sheet.rows:
        cells: Cells = {}
        texts: Texts = {}
        width = len(record)
        for key, col in getters:
            value = record[col] if col < width else None
            if value is None:
                continue
            if type(value) is str:
                value = value.strip()
                if not value:
                    continue
                texts[key] = value
            else:
                texts[key] = cell_text(value)
            cells[key] = value
        if not cells:
            continue
        count += 1
        if count > MAX_ROWS:
            message = f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
            raise ImportFailed(path, [ImportProblem(0, "", message, "import.too_many_rows")])
        yield n, cells, texts


@dataclass(slots=True)
class RowValues:
    """One row's values, checked (a refused value is blank here and a problem in the
    collector). ``raw``: the product-level cells as typed, to compare a product's rows."""

    row: int
    sku: str
    name: str
    name_en: str
    description: str
    category: str
    money: dict[str, int | None]  # price, compare_at_price, cost (satang)
    stock: int | None
    threshold: int | None
    active: bool
    barcode: str | None
    option_names: list[str]
    options: dict[str, str]
    tags: str
    raw: dict[str, str]


class RowChecker:
    """Checks cells into values, adding every problem to ``out``; remembers the SKUs and
    barcodes already seen in the file (a second use is a problem naming the first row)."""

    def __init__(self, out: Collector) -> None:
        self.add = out.add
        self.sku_rows: dict[str, int] = {}
        self.barcode_rows: dict[str, int] = {}

    def sku(self, n: int, texts: Texts) -> str:
        """The row's SKU, or "" when it is missing, too long or already in the file."""
        sku = normalize_code(texts.get("sku", "")) or ""
        if not sku:
            self.add(n, "sku", "import.sku_required", "the SKU is empty")
        elif len(sku) > MAX_SKU:
            self.add(
                n, "sku", "import.sku_too_long", f"the SKU is longer than {MAX_SKU} characters"
            )
            sku = ""
        elif sku in self.sku_rows:
            message = f"SKU {sku} is already in row {self.sku_rows[sku]}"
            self.add(n, "sku", "import.duplicate_sku", message)
            sku = ""
        else:
            self.sku_rows[sku] = n
        return sku

    def parent(self, n: int, texts: Texts) -> str:
        parent = normalize_code(texts.get("parent_sku", "")) or ""
        if len(parent) > MAX_SKU:
            self.add(n, "parent_sku", "import.sku_too_long", f"longer than {MAX_SKU} characters")
            parent = ""
        return parent

    def values(
        self,
        n: int,
        sku: str,
        cells: Cells,
        texts: Texts,
        *,
        product_row: bool,
        inherited_options: Sequence[str],
    ) -> RowValues:
        """The rest of the row. ``product_row``: the row defines its product (name and price
        required); ``inherited_options``: option names a later variant row may leave blank."""
        name, name_en, description, category = self._texts(n, texts, product_row)
        money = self._money(n, cells, product_row)
        stock, threshold, active = self._counts(n, cells)
        barcode = self._barcode(n, texts)
        option_names, options = self._options(n, texts, inherited_options)
        raw = {
            "name_en": name_en,
            "description": description,
            "category": category,
            "compare_at_price": texts.get("compare_at_price", ""),
            "cost": texts.get("cost", ""),
            "tags": texts.get("tags", ""),
            "low_stock_threshold": texts.get("low_stock_threshold", ""),
            "option1_name": texts.get("option1_name", ""),
            "option2_name": texts.get("option2_name", ""),
        }
        return RowValues(
            n, sku, name, name_en, description, category, money, stock, threshold, active,
            barcode, option_names, options, texts.get("tags", ""), raw,
        )  # fmt: skip

    def _texts(self, n: int, texts: Texts, product_row: bool) -> tuple[str, str, str, str]:
        add = self.add
        name = texts.get("name", "")
        if product_row:
            if not name:
                add(n, "name", "import.name_required", "the name is empty")
            elif len(name) > MAX_NAME:
                message = f"the name is longer than {MAX_NAME} characters"
                add(n, "name", "import.name_too_long", message)
        name_en = texts.get("name_en", "")
        if len(name_en) > MAX_NAME:
            message = f"the name is longer than {MAX_NAME} characters"
            add(n, "name_en", "import.name_too_long", message)
        description = texts.get("description", "")
        if len(description) > MAX_DESCRIPTION:
            message = f"longer than {MAX_DESCRIPTION:,} characters"
            add(n, "description", "import.text_too_long", message)
        category = " ".join(texts.get("category", "").split())
        if len(category) > MAX_CATEGORY:
            add(n, "category", "import.text_too_long", f"longer than {MAX_CATEGORY} characters")
        return name, name_en, description, category

    def _money(self, n: int, cells: Cells, product_row: bool) -> dict[str, int | None]:
        money: dict[str, int | None] = {}
        for key, label in (("price", "price"), ("compare_at_price", "price"), ("cost", "cost")):
            raw = cells.get(key)
            if raw is None:
                money[key] = None
                if key == "price" and product_row:
                    self.add(n, "price", "import.price_required", "the price is empty")
                continue
            try:
                money[key] = parse_money_cell(raw, label=label)
            except CellError as exc:
                self.add(n, key, exc.code, exc.message)
                money[key] = None
        return money

    def _counts(self, n: int, cells: Cells) -> tuple[int | None, int | None, bool]:
        stock: int | None = None
        if "stock" in cells:
            try:
                stock = parse_count_cell(cells["stock"], maximum=MAX_STOCK)
            except CellError as exc:
                self.add(n, "stock", exc.code, exc.message)
        threshold: int | None = None
        if "low_stock_threshold" in cells:
            try:
                threshold = parse_count_cell(
                    cells["low_stock_threshold"], code="import.bad_threshold", maximum=MAX_THRESHOLD
                )
            except CellError as exc:
                self.add(n, "low_stock_threshold", exc.code, exc.message)
        active = True
        try:
            active = parse_flag(cells.get("active"))
        except CellError as exc:
            self.add(n, "active", exc.code, exc.message)
        return stock, threshold, active

    def _barcode(self, n: int, texts: Texts) -> str | None:
        barcode = normalize_code(texts.get("barcode", ""))
        if barcode is None:
            return None
        if len(barcode) > MAX_BARCODE:
            self.add(n, "barcode", "import.text_too_long", f"longer than {MAX_BARCODE} characters")
        elif barcode in self.barcode_rows:
            message = f"barcode {barcode} is already in row {self.barcode_rows[barcode]}"
            self.add(n, "barcode", "import.duplicate_barcode", message)
        else:
            self.barcode_rows[barcode] = n
        return barcode

    def _options(
        self, n: int, texts: Texts, inherited: Sequence[str]
    ) -> tuple[list[str], dict[str, str]]:
        option_names: list[str] = []
        options: dict[str, str] = {}
        for i in (1, 2):
            oname, ovalue = texts.get(f"option{i}_name", ""), texts.get(f"option{i}_value", "")
            if not oname and i <= len(inherited):
                oname = inherited[i - 1]  # later variant rows may leave names blank
            for key, val in ((f"option{i}_name", oname), (f"option{i}_value", ovalue)):
                if len(val) > MAX_OPTION:
                    self.add(n, key, "import.text_too_long", f"longer than {MAX_OPTION} characters")
            if ovalue and not oname:
                message = f"option {i} has a value ({ovalue}) but no name"
                self.add(n, f"option{i}_name", "import.option_name_required", message)
            if oname:
                option_names.append(oname)
                if ovalue:
                    options[oname] = ovalue
        if len(option_names) == 2 and option_names[0] == option_names[1]:
            self.add(
                n, "option2_name", "import.variant_mismatch", "both options have the same name"
            )
        return option_names, options
