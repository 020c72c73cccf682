"""A streaming XLSX writer for long reports: rows go straight into the sheet's XML inside the
ZIP as they come, so a year of orders never sits in memory.

Why not openpyxl here: its write-only mode builds a cell object and an XML element for every
value; a year's sales report (~1 million cells) took 13–18 s of CPU in it on our 2-core test
machine, where the issue asks for ≤ 10 s. Writing SpreadsheetML text directly takes a fraction
of that (``bench/bench_reports.py``). openpyxl still reads files (imports) and writes the
small exports; this module only writes, and only what our reports need:

- values: ``str`` (shared strings; characters XML 1.0 forbids are dropped, text is cut at
  Excel's 32,767 characters), ``int``, ``bool``, ``Decimal``, ``float``, ``date`` and naive
  ``datetime`` (Excel serial numbers, shown as dates when the cell has no style of its own);
  ``None`` and ``""`` are empty cells (written only when styled, e.g. bordered). A column can be
  declared ``satang``: integer satang are written as baht (``12345`` → ``123.45``) with no
  Decimal made.
- styles: bold, font size, a solid fill, wrapped text vertically centred, a thin grey border,
  a number format — each combination is one ``cellXfs`` entry, made once
  (:meth:`XlsxBook.style`).
- per sheet: column widths, frozen rows, an autofilter (with Excel's hidden
  ``_xlnm._FilterDatabase`` name), and how it prints (:class:`PageSetup`: A4, landscape or
  portrait, scaled to one page wide, title rows repeated on every page through the
  ``_xlnm.Print_Titles`` name, a print area ``_xlnm.Print_Area``, a footer with page numbers,
  margins), cells merged across a row (a title or note as wide as the table).

Buddhist-era dates: :data:`BE_DATE` is a real date (sorts, filters, takes formulas) whose
format asks for the Thai Buddhist calendar with the locale code ``[$-1070000]`` (numerals 01 =
Western digits, calendar 07 = Thai Buddhist, language 0000 = as the reader's). Excel writes
that code itself when one picks Calendar type "Thai Buddhist"; LibreOffice (7.4) reads it as
its Buddhist calendar. Both then show 6 Dec 2026 as ``06/12/2569``. Tried and refused: Excel's
``bbbb`` year (LibreOffice prints the letters), ``[$-th-TH,107]`` (LibreOffice shows the serial
number), LibreOffice's ``[~buddhist]`` (Excel does not know it; LibreOffice alone ignores it
without a Thai locale), ``[$-D07041E]`` (Thai digits, which accountants' sheets do not use).

The elements of a worksheet are written in the order ECMA-376 (§18.3.1.99 ``CT_Worksheet``)
fixes — Excel refuses a file with them out of order, LibreOffice does not mind, so the tests
check the order (:data:`WORKSHEET_ORDER`).

Sheets are written one after another (a ZIP member is open for writing one at a time); the
workbook parts that list them are written by :meth:`XlsxBook.close`. Anything unsupported
raises ``TypeError``/``ValueError`` — a programming error, not a person's.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final
from xml.sax.saxutils import escape, quoteattr

from minichat_desktop.domain.thai import format_baht

MAX_ROWS: Final = 1_048_576
MAX_TEXT: Final = 32_767
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30).toordinal()
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_BUILTIN_FORMATS: Final = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
}
_FLUSH_ROWS: Final = 512
_NS: Final = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_HEAD: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True, slots=True)
class Style:
    """How a cell looks. ``fill`` is an RGB hex colour (``"E6F4EF"``)."""

    bold: bool = False
    size: float | None = None
    fill: str | None = None
    wrap: bool = False
    number_format: str | None = None
    border: bool = False


DATE: Final = Style(number_format="yyyy-mm-dd")  # for dates written with no style
DATE_TIME: Final = Style(number_format="yyyy-mm-dd hh:mm:ss")
BE_DATE: Final = "[$-1070000]dd/mm/yyyy"  # 06/12/2569 in Excel and LibreOffice, see above
BE_DATE_TIME: Final = "[$-1070000]dd/mm/yyyy hh:mm"
CE_DATE: Final = "dd/mm/yyyy"
CE_DATE_TIME: Final = "dd/mm/yyyy hh:mm"
PAGE_TH: Final = "หน้า &P / &N"  # &P this page, &N how many pages
PAGE_EN: Final = "Page &P of &N"
PORTRAIT_WIDTH: Final = 100  # columns wider than this (in characters) print in landscape

# CT_Worksheet's children, in the order the schema requires (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER: Final = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
    "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
    "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
    "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "picture",
    "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageSetup:
    """How a sheet prints: on A4, ``landscape`` or portrait, scaled to one page wide and as
    many pages tall as it takes; rows ``title_rows`` (first, last; counted from 1) repeated
    at the top of every page; a footer with ``footer_left`` on the left and ``page_text``
    (``&P`` this page, ``&N`` the pages) on the right; margins in inches (left, right, top,
    bottom, header, footer), the table centred across the page. ``columns``: print only the
    first columns (a long line overflowing the table would otherwise widen the page and
    shrink the table to fit)."""

    landscape: bool = False
    title_rows: tuple[int, int] | None = None
    columns: int | None = None  # the print area: columns A.. (text overflowing them is cut)
    footer_left: str = ""
    page_text: str = PAGE_EN
    margins: tuple[float, float, float, float, float, float] = (0.4, 0.4, 0.5, 0.6, 0.3, 0.3)

    def footer(self) -> str:
        """The ``oddFooter`` text: an ``&`` in the left text is doubled (a literal
        ampersand there), and the whole is cut to Excel's 255 characters."""
        left = _ILLEGAL_XML.sub("", self.footer_left).replace("&", "&&")
        right = f"&R{self.page_text}"
        return (f"&L{left[: 250 - len(right)]}" if left else "") + right

    def tail(self) -> str:
        """``printOptions``, ``pageMargins``, ``pageSetup`` and ``headerFooter``, in order."""
        left, right, top, bottom, header, footer = self.margins
        orientation = "landscape" if self.landscape else "portrait"
        return (
            '<printOptions horizontalCentered="1"/>'
            f'<pageMargins left="{left:g}" right="{right:g}" top="{top:g}" '
            f'bottom="{bottom:g}" header="{header:g}" footer="{footer:g}"/>'
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" '
            'fitToHeight="0"/>'
            f"<headerFooter><oddFooter>{escape(self.footer())}</oddFooter></headerFooter>"
        )


def column_letter(n: int) -> str:
    """1 → ``A``, 27 → ``AA``."""
    if n < 1:
        raise ValueError(f"column numbers start at 1, not {n}")
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _number_text(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is Decimal and value.is_finite():
        return str(value)
    if kind is float and math.isfinite(value):
        return repr(value)
    raise ValueError(f"cannot write {value!r} to a cell as a number")


class XlsxSheet:
    """One worksheet being written. Get it from :meth:`XlsxBook.add_sheet`; write rows with
    :meth:`append` (any values) or a writer from :meth:`row_writer` (fast, per-column
    styles); then :meth:`close` (the book closes a sheet left open)."""

    def __init__(
        self,
        book: XlsxBook,
        index: int,
        title: str,
        stream: IO[bytes],
        widths: Sequence[float],
        freeze_rows: int,
        page: PageSetup | None = None,
    ) -> None:
        self.book = book
        self.index = index
        self.title = title
        self.rows = 0
        self.filter_ref: str | None = None
        self.page = page
        self.merged: list[str] = []
        self._stream = stream
        self._buffer: list[str] = []
        self._closed = False
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1">' if index == 1 else ">")
        if freeze_rows:
            top = f"A{freeze_rows + 1}"
            view += (
                f'<pane ySplit="{freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" '
                f'state="frozen"/><selection pane="bottomLeft" activeCell="{top}" '
                f'sqref="{top}"/>'
            )
        head = [_HEAD, f"<worksheet {_NS}>"]
        if page is not None:  # without fitToPage, Excel ignores fitToWidth
            head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        head.append(f"<sheetViews>{view}</sheetView></sheetViews>")
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append("<cols>")
            for i, width in enumerate(widths, start=1):
                head.append(f'<col min="{i}" max="{i}" width="{float(width):g}" customWidth="1"/>')
            head.append("</cols>")
        head.append("<sheetData>")
        self._buffer.append("".join(head))

    # ------------------------------------------------------------------ rows

    def _next_row(self) -> int:
        if self._closed:
            raise ValueError(f"sheet {self.title!r} is closed")
        if self.rows >= MAX_ROWS:
            raise ValueError(f"sheet {self.title!r} is full: Excel holds {MAX_ROWS:,} rows")
        self.rows += 1
        return self.rows

    def _cell(self, ref: str, value: Any, s: str) -> str:
        kind = type(value)
        if kind is str:
            return f'<c r="{ref}"{s} t="s"><v>{self.book._string(value)}</v></c>'
        if kind is bool:
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if kind is int or kind is Decimal or kind is float:
            return f'<c r="{ref}"{s}><v>{_number_text(value)}</v></c>'
        if kind is dt.date:
            s = s or f' s="{self.book.style(DATE)}"'  # unformatted, a date is a bare number
            return f'<c r="{ref}"{s}><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>'
        if kind is dt.datetime:
            if value.tzinfo is not None:
                raise ValueError(f"{value!r}: give local (naive) times; Excel has no time zones")
            s = s or f' s="{self.book.style(DATE_TIME)}"'
            day = value.toordinal() - _EXCEL_EPOCH
            seconds = value.hour * 3600 + value.minute * 60 + value.second
            seconds += value.microsecond / 1e6
            return f'<c r="{ref}"{s}><v>{day + seconds / 86400!r}</v></c>'
        if isinstance(value, str):  # a StrEnum member
            return self._cell(ref, str(value), s)
        raise TypeError(f"cannot write a {kind.__name__} to a cell: {value!r}")

    def append(
        self,
        values: Sequence[Any],
        styles: Sequence[int | None] | int | None = None,
        *,
        height: float | None = None,
    ) -> int:
        """Write one row; ``styles`` is one style id for every cell or one per cell;
        ``height`` in points (else the default). Returns the row's number."""
        row = self._next_row()
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        parts = [f'<row r="{row}"{ht}>']
        for i, value in enumerate(values):
            sid = styles if isinstance(styles, int) or styles is None else styles[i]
            s = f' s="{sid}"' if sid else ""
            if value is None or value == "":
                if s:  # an empty cell keeps its look (a border)
                    parts.append(f'<c r="{column_letter(i + 1)}{row}"{s}/>')
                continue
            parts.append(self._cell(f"{column_letter(i + 1)}{row}", value, s))
        parts.append("</row>")
        self._write("".join(parts))
        return row

    def row_writer(
        self, styles: Sequence[int | None], satang: Sequence[bool] | None = None
    ) -> Callable[[Sequence[Any]], None]:
        """A fast writer for many rows of the same shape: ``styles`` per column, and which
        columns hold integer satang to be written as baht."""
        letters = [column_letter(i + 1) for i in range(len(styles))]
        attrs = [f' s="{sid}"' if sid else "" for sid in styles]
        money = list(satang) if satang is not None else [False] * len(styles)
        if len(money) != len(styles):
            raise ValueError("give one satang flag per column")
        columns = list(zip(letters, attrs, money, strict=True))
        string = self.book._string
        cell = self._cell
        write = self._write

        width = len(columns)

        def write_row(values: Sequence[Any]) -> None:
            if len(values) != width:
                raise ValueError(f"a row of {len(values)} values for {width} columns")
            row = self._next_row()
            parts = [f'<row r="{row}">']
            add = parts.append
            for (letter, s, is_money), value in zip(columns, values, strict=True):
                if value is None:
                    if s:  # an empty cell keeps its look (a border)
                        add(f'<c r="{letter}{row}"{s}/>')
                    continue
                kind = type(value)
                if kind is int:
                    text = format_baht(value, grouping=False) if is_money else str(value)
                    add(f'<c r="{letter}{row}"{s}><v>{text}</v></c>')
                elif kind is str:
                    if not value:  # an empty text is an empty cell
                        if s:
                            add(f'<c r="{letter}{row}"{s}/>')
                        continue
                    add(f'<c r="{letter}{row}"{s} t="s"><v>{string(value)}</v></c>')
                else:
                    add(cell(f"{letter}{row}", value, s))
            add("</row>")
            write("".join(parts))

        return write_row

    def merge(self, row: int, columns: int) -> None:
        """Merge row ``row``'s first ``columns`` cells into one (a title or a note as wide as
        the table; give its cell a wrapping style and the row a height)."""
        if columns > 1:
            self.merged.append(f"A{row}:{column_letter(columns)}{row}")

    def auto_filter(self, first_row: int, last_row: int, columns: int) -> None:
        """An autofilter over ``columns`` columns, header at ``first_row``."""
        self.filter_ref = f"A{first_row}:{column_letter(columns)}{max(last_row, first_row)}"

    def _write(self, text: str) -> None:
        buffer = self._buffer
        buffer.append(text)
        if len(buffer) >= _FLUSH_ROWS:
            self._stream.write("".join(buffer).encode())
            buffer.clear()

    def close(self) -> None:
        if self._closed:
            return
        tail = ["</sheetData>"]
        if self.filter_ref:
            tail.append(f'<autoFilter ref="{self.filter_ref}"/>')
        if self.merged:
            refs = "".join(f'<mergeCell ref="{ref}"/>' for ref in self.merged)
            tail.append(f'<mergeCells count="{len(self.merged)}">{refs}</mergeCells>')
        if self.page is not None:
            tail.append(self.page.tail())
        else:
            tail.append(
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/>'
            )
        tail.append("</worksheet>")
        self._buffer.append("".join(tail))
        self._stream.write("".join(self._buffer).encode())
        self._buffer.clear()
        self._stream.close()
        self._closed = True


class XlsxBook:
    """An XLSX file being written to ``path``. Use as a context manager: the file is
    complete when the block ends without an exception (on an exception it is left
    incomplete; callers write to a temporary name and rename, as reports do)."""

    def __init__(self, path: Path | str, *, compresslevel: int = 6) -> None:
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._sheets: list[XlsxSheet] = []
        self._strings: dict[str, int] = {}
        self._string_uses = 0
        self._styles: dict[Style, int] = {Style(): 0}
        self._open: XlsxSheet | None = None

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            if self._open is not None and not self._open._closed:
                self._open._stream.close()
            self._zip.close()

    def style(self, style: Style) -> int:
        """The style id (``cellXfs`` index) for ``style``; the same look gives the same id."""
        sid = self._styles.get(style)
        if sid is None:
            sid = self._styles[style] = len(self._styles)
        return sid

    def add_sheet(
        self,
        title: str,
        widths: Sequence[float] = (),
        *,
        freeze_rows: int = 0,
        page: PageSetup | None = None,
    ) -> XlsxSheet:
        """Start the next sheet (closing the one before), printed as ``page`` says (Excel's
        defaults without one). The title is made valid for Excel (no ``[]:*?/\\``, at most 31
        characters, unique in the book)."""
        if self._open is not None:
            self._open.close()
        name = _BAD_SHEET_CHARS.sub(" ", _ILLEGAL_XML.sub("", title)).strip(" '")[:31] or "Sheet"
        taken = {s.title.casefold() for s in self._sheets}
        base, n = name, 1
        while name.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
        index = len(self._sheets) + 1
        stream = self._zip.open(f"xl/worksheets/sheet{index}.xml", "w")
        sheet = XlsxSheet(self, index, name, stream, widths, freeze_rows, page)
        self._sheets.append(sheet)
        self._open = sheet
        return sheet

    def _string(self, text: str) -> int:
        self._string_uses += 1
        index = self._strings.get(text)
        if index is None:
            index = self._strings[text] = len(self._strings)
        return index

    # ------------------------------------------------------------------ the workbook parts

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._sheets:
            self.add_sheet("Sheet").close()
        z = self._zip
        z.writestr("[Content_Types].xml", self._content_types())
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("docProps/app.xml", _APP)
        z.writestr("docProps/core.xml", _core())
        z.writestr("xl/workbook.xml", self._workbook())
        z.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
        z.writestr("xl/styles.xml", self._styles_xml())
        z.writestr("xl/sharedStrings.xml", self._shared_strings())
        z.close()

    def _content_types(self) -> str:
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        parts = [
            f'<Override PartName="/xl/worksheets/sheet{s.index}.xml" ContentType="{sheet}"/>'
            for s in self._sheets
        ]
        ml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        return (
            f"{_HEAD}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ml}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ml}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ml}.sharedStrings+xml"/>'
            + "".join(parts)
            + '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(s.title)} sheetId="{s.index}" r:id="rId{s.index}"/>'
            for s in self._sheets
        )
        names = []
        for s in self._sheets:
            quoted = "'{}'".format(s.title.replace("'", "''"))
            if s.filter_ref:
                first, last = s.filter_ref.split(":")
                ref = f"{quoted}!{_absolute(first)}:{_absolute(last)}"
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.index - 1}" '
                    f'hidden="1">{escape(ref)}</definedName>'
                )
            if s.page is not None and s.page.columns is not None:
                area = f"$A$1:${column_letter(s.page.columns)}${max(s.rows, 1)}"
                names.append(
                    f'<definedName name="_xlnm.Print_Area" localSheetId="{s.index - 1}">'
                    f"{escape(quoted)}!{area}</definedName>"
                )
            if s.page is not None and s.page.title_rows is not None:
                top, bottom = s.page.title_rows
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{s.index - 1}">'
                    f"{escape(quoted)}!${top}:${bottom}</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            f"{_HEAD}<workbook {_NS}><workbookPr/>"
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="124519" fullCalcOnLoad="1"/>'
            "</workbook>"
        )

    def _workbook_rels(self) -> str:
        base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        rels = [
            f'<Relationship Id="rId{s.index}" Type="{base}/worksheet" '
            f'Target="worksheets/sheet{s.index}.xml"/>'
            for s in self._sheets
        ]
        n = len(self._sheets)
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{base}/styles" Target="styles.xml"/>')
        rels.append(
            f'<Relationship Id="rId{n + 2}" Type="{base}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        return (
            f"{_HEAD}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(rels)
            + "</Relationships>"
        )

    def _styles_xml(self) -> str:
        formats: dict[str, int] = {}
        fonts: dict[tuple[bool, float], int] = {(False, 11.0): 0}
        fills: dict[str, int] = {}
        xfs = []
        any_border = any(style.border for style in self._styles)
        for style in self._styles:  # insertion order is id order
            fmt_id = 0
            if style.number_format:
                fmt_id = _BUILTIN_FORMATS.get(style.number_format, -1)
                if fmt_id < 0:
                    fmt_id = formats.setdefault(style.number_format, 164 + len(formats))
            font_key = (style.bold, float(style.size or 11))
            font_id = fonts.setdefault(font_key, len(fonts))
            fill_id = fills.setdefault(style.fill.upper(), 2 + len(fills)) if style.fill else 0
            border_id = 1 if style.border else 0
            attrs = (
                f'numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" '
                f'borderId="{border_id}" xfId="0"'
            )
            if fmt_id:
                attrs += ' applyNumberFormat="1"'
            if font_id:
                attrs += ' applyFont="1"'
            if fill_id:
                attrs += ' applyFill="1"'
            if border_id:
                attrs += ' applyBorder="1"'
            if style.wrap:
                wrap = '<alignment wrapText="1" vertical="center"/>'
                xfs.append(f'<xf {attrs} applyAlignment="1">{wrap}</xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        num_fmts = "".join(
            f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
            for code, i in formats.items()
        )
        font_xml = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><color theme="1"/>'
            '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
            for bold, size in fonts
        )
        fill_xml = '<fill><patternFill patternType="none"/></fill>'
        fill_xml += '<fill><patternFill patternType="gray125"/></fill>'
        fill_xml += "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
            for rgb in fills
        )
        return (
            f"{_HEAD}<styleSheet "
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            + f'<fills count="{2 + len(fills)}">{fill_xml}</fills>'
            + (_BORDERS_THIN if any_border else _BORDERS_NONE)
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )

    def _shared_strings(self) -> str:
        items = []
        for text in self._strings:
            clean = _ILLEGAL_XML.sub("", text)[:MAX_TEXT]
            space = ' xml:space="preserve"' if clean != clean.strip() else ""
            items.append(f"<si><t{space}>{escape(clean)}</t></si>")
        return (
            f"{_HEAD}<sst "
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{self._string_uses}" uniqueCount="{len(self._strings)}">'
            + "".join(items)
            + "</sst>"
        )


_NO_BORDER: Final = "<border><left/><right/><top/><bottom/><diagonal/></border>"
_THIN: Final = '<{0} style="thin"><color rgb="FFA6A6A6"/></{0}>'
_BORDERS_NONE: Final = f'<borders count="1">{_NO_BORDER}</borders>'
_BORDERS_THIN: Final = (
    f'<borders count="2">{_NO_BORDER}<border>'
    + "".join(_THIN.format(side) for side in ("left", "right", "top", "bottom"))
    + "<diagonal/></border></borders>"
)


def _absolute(ref: str) -> str:
    letters = ref.rstrip("0123456789")
    return f"${letters}${ref[len(letters) :]}"


def _core() -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_HEAD}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>MiniChat</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
        "</cp:coreProperties>"
    )


_OFFICE_RELS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROOT_RELS: Final = (
    f'{_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PACKAGE_RELS}/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_OFFICE_RELS}/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP: Final = (
    f"{_HEAD}<Properties "
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>MiniChat</Application></Properties>"
)
