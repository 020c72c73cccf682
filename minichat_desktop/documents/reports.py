"""Reports written to files: XLSX, CSV or PDF by the file's extension, from the reports
:mod:`minichat_desktop.domain.reporting.reports` builds (what each report counts is told
there).

Formats: XLSX made for people (Thai headers, the report's title, shop and period above the
table, numbers in baht formatted ``#,##0.00``, dates as real dates shown ``dd/mm/yyyy`` in the
Buddhist era for a Thai report, a bold totals row, bordered cells, the header row frozen, an
autofilter, column widths; printed on A4 one page wide, landscape for wide tables, the header
row on every page, page numbers in the footer), one sheet per table;
CSV in UTF-8 with a BOM (Excel then reads Thai), money as ``1250.00`` and dates as ISO, tables
one after another under their titles; PDF in Sarabun with every Thai cell a shaped paragraph
(the sales report's order list is in the XLSX and CSV only: a year of orders is thousands of
pages).

Long reports take a ``progress(done, total)`` callback and a ``cancel`` (a callable or a
:class:`threading.Event`); cancelling raises :class:`ReportCancelled` and, like any failure,
leaves no file: the report is written beside the target and renamed when complete.

No SQL here: the rows come from the domain's :class:`Report`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import threading
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from minichat_desktop.domain.reporting.reports import (
    Column,
    Report,
    ReportCancelled,
    ReportResult,
    Table,
    build_report,
    thai_date,
)
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.sql import UnitOfWork
from minichat_desktop.domain.thai import format_baht, satang_to_decimal
from minichat_desktop.errors import UserError
from minichat_desktop.files import atomic_write
from minichat_desktop.formats import xlsx

__all__ = ["FORMATS", "Cancel", "Progress", "write_built_report", "write_report"]

FORMATS: Final = ("xlsx", "csv", "pdf")
MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = xlsx.BE_DATE  # Thai reports; English ones use xlsx.CE_DATE (see _WORDS)
INT_FORMAT: Final = "#,##0"
PERCENT_FORMAT: Final = "0.0%"

# ---------------------------------------------------------------------------- writing

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool] | threading.Event


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UserError(
            "report.unsupported_format",
            f"cannot write a report to {path.name}: use a .xlsx, .csv or .pdf file name",
            path=str(path),
        )
    return suffix


class _Tracker:
    """Counts rows written, reports progress every few hundred rows, and stops on cancel."""

    STEP = 500

    def __init__(self, total: int, progress: Progress | None, cancel: Cancel | None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.progress = progress
        if isinstance(cancel, threading.Event):
            self.cancelled: Callable[[], bool] = cancel.is_set
        else:
            self.cancelled = cancel or (lambda: False)
        self._next = 0

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next:
            self._next = self.done + self.STEP
            self.check()
            if self.progress is not None:
                self.progress(min(self.done, self.total), self.total)

    def check(self) -> None:
        if self.cancelled():
            raise ReportCancelled()


def _totals(table: Table, sums: list[int | None]) -> list[Any]:
    out: list[Any] = ["รวม"] + [None] * (len(table.columns) - 1)
    for i, col in enumerate(table.columns):
        if col.total and i > 0:
            out[i] = sums[i]
    return out


def _add(sums: list[int | None], cols: Sequence[Column], row: Sequence[Any]) -> None:
    for i, col in enumerate(cols):
        if col.total and row[i] is not None:
            sums[i] = (sums[i] or 0) + row[i]


def write_report(
    db: UnitOfWork,
    kind: str,
    date_from: dt.date,
    date_to: dt.date,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ReportResult:
    """Build the report ``kind`` in one ``db.read()`` unit of work and write it to ``path``
    (``.xlsx``, ``.csv`` or ``.pdf``). Blocks (seconds for a year of orders).

    Raises :class:`UserError` (``report.unsupported_format``, ``report.unknown_kind``,
    ``report.bad_range``, ``report.no_folder``), :class:`ReportCancelled` when ``cancel`` says
    stop, and :class:`EnvironmentProblem` ``env.report_failed`` when the file cannot be
    written. In every one of those cases no file is left at ``path``."""
    path = Path(path)
    _format_of(path)
    with db.read() as session:
        report = build_report(session, kind, date_from, date_to)
        return write_built_report(report, path, progress=progress, cancel=cancel)


def write_built_report(
    report: Report,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ReportResult:
    """Write ``report`` (from :func:`~minichat_desktop.domain.reporting.reports.build_report`,
    called while its session is open: its big table streams from it) to ``path``. Raises as
    :func:`write_report` does, ``report.unknown_kind`` and ``report.bad_range`` aside."""
    path = Path(path)
    fmt = _format_of(path)
    tables = [t for t in report.tables if t.pdf] if fmt == "pdf" else report.tables
    tracker = _Tracker(sum(t.count for t in tables), progress, cancel)
    tracker.check()
    if not path.parent.is_dir():
        raise UserError(
            "report.no_folder",
            f"cannot write {path}: the folder {path.parent} does not exist; choose another",
            path=str(path),
        )
    with atomic_write(path, problem="env.report_failed") as tmp:
        writer = {"xlsx": _write_xlsx, "csv": _write_csv, "pdf": _write_pdf}[fmt]
        writer(report, tables, tmp, tracker)
        tracker.check()
    if progress is not None:
        progress(tracker.total, tracker.total)
    return ReportResult(path, report.kind, tracker.done, len(tables))


# ---------------------------------------------------------------------------- XLSX


def _baht(satang: int | None) -> Decimal | None:
    return None if satang is None else satang_to_decimal(satang)


_FORMATS: Final = {
    "money": MONEY_FORMAT,
    "date": DATE_FORMAT,
    "int": INT_FORMAT,
    "percent": PERCENT_FORMAT,
    "rating": "0.0",
}
# What the sheet says around the table, by the report's language.
_WORDS: Final = {
    "th": {"total": "รวม", "note": "หมายเหตุ", "page": xlsx.PAGE_TH, "date": xlsx.BE_DATE},
    "en": {"total": "Total", "note": "Note", "page": xlsx.PAGE_EN, "date": xlsx.CE_DATE},
}


def _words(report: Report) -> dict[str, str]:
    return _WORDS.get(report.language, _WORDS["th"])


def _page(report: Report, table: Table, header_row: int) -> xlsx.PageSetup:
    """A4, landscape when the table says so or is too wide for portrait, one page wide,
    the header row on top of every page, the report and page numbers in the footer."""
    wide = table.landscape or sum(c.width for c in table.columns) > xlsx.PORTRAIT_WIDTH
    left = " · ".join(t for t in (report.title, report.period) if t)
    return xlsx.PageSetup(
        landscape=wide,
        title_rows=(header_row, header_row),
        columns=len(table.columns),
        footer_left=left,
        page_text=_words(report)["page"],
    )


def _write_xlsx(report: Report, tables: list[Table], path: Path, tracker: _Tracker) -> None:
    """One sheet per table: the title lines, a bold header row (frozen, with an autofilter,
    repeated on every printed page), bordered cells, column widths, a number format per
    column, a bold totals row and the notes; printed on A4 one page wide. Dates are real
    dates shown in the Buddhist era when the report is Thai (``06/12/2569``), in the
    Christian era otherwise. Written with the streaming writer (``xlsx.py``): money goes in
    as satang and comes out as baht."""
    words = _words(report)
    with xlsx.XlsxBook(path) as book:
        title_style = book.style(xlsx.Style(bold=True, size=14))
        header_style = book.style(xlsx.Style(bold=True, fill="E6F4EF", wrap=True, border=True))
        line_style = book.style(xlsx.Style(wrap=True))
        for table in tables:
            cols = table.columns
            lines = [f"{report.title} — {table.title}" if len(tables) > 1 else report.title]
            lines += report.lines
            header_row = len(lines) + 2
            sheet = book.add_sheet(
                table.title,
                [c.width for c in cols],
                freeze_rows=header_row,
                page=_page(report, table, header_row),
            )
            sheet.merge(sheet.append([lines[0]], title_style), len(cols))
            for text in lines[1:]:
                _wide_line(sheet, text, cols, line_style)
            sheet.append([])
            sheet.append([c.header for c in cols], header_style, height=_header_height(cols))
            formats = [words["date"] if c.kind == "date" else _FORMATS.get(c.kind) for c in cols]
            n, sums = _xlsx_rows(book, sheet, table, formats, tracker)
            sheet.auto_filter(header_row, header_row + n, len(cols))
            totals = _totals(table, sums)
            totals[0] = words["total"]
            bold = [
                book.style(
                    xlsx.Style(
                        bold=True,
                        number_format=f if v is not None and not isinstance(v, str) else None,
                        border=True,
                    )
                )
                for f, v in zip(formats, totals, strict=True)
            ]
            sheet.append(
                [_baht(v) if c.kind == "money" else v for c, v in zip(cols, totals, strict=True)],
                bold,
            )
            for note in report.notes:
                sheet.append([])
                _wide_line(sheet, f"{words['note']}: {note}", cols, line_style)


def _wide_line(sheet: xlsx.XlsxSheet, text: str, cols: Sequence[Column], style: int) -> None:
    """A line of text above or under the table, wrapped within the table's width (cells
    merged): overflowing the table, it would widen the printed page and shrink the table."""
    width = sum(c.width for c in cols)
    lines = math.ceil(_text_width(text) / max(width - 2, 1))
    row = sheet.append([text], style, height=15.0 * lines + 2 if lines > 1 else None)
    sheet.merge(row, len(cols))


def _text_width(text: str) -> float:
    """About how many character widths ``text`` takes: Thai vowel and tone marks sit above
    or below a letter and take none."""
    return sum(1 for ch in text if unicodedata.category(ch) != "Mn") * 1.0


def _header_height(cols: Sequence[Column]) -> float:
    """Points for the header row: enough lines for the longest header wrapped in its column
    (spreadsheets do not grow a row for wrapped text they did not lay out themselves)."""
    lines = 1
    for c in cols:
        lines = max(lines, math.ceil(_text_width(c.header) * 1.1 / max(c.width - 1, 1)))
    return 17.0 * lines


def _xlsx_rows(
    book: xlsx.XlsxBook,
    sheet: xlsx.XlsxSheet,
    table: Table,
    formats: list[str | None],
    tracker: _Tracker,
) -> tuple[int, list[int | None]]:
    """Write the table's rows, bordered, each column in its format; return how many rows
    and the sums of the columns that have a total."""
    cols = table.columns
    write = sheet.row_writer(
        [book.style(xlsx.Style(number_format=f, border=True)) for f in formats],
        [c.kind == "money" for c in cols],
    )
    sums: list[int | None] = [None] * len(cols)
    total_idx = [i for i, c in enumerate(cols) if c.total]
    n = 0
    tick = tracker.tick
    for row in table.rows:
        for i in total_idx:
            v = row[i]
            if v is not None:
                sums[i] = (sums[i] or 0) + v
        write(row)
        n += 1
        if n % 256 == 0:
            tick(256)
    tick(n % 256)
    return n, sums


# ---------------------------------------------------------------------------- CSV


def _csv_text(col: Column, value: Any) -> Any:
    if value is None:
        return ""
    if col.kind == "money":
        return format_baht(value, grouping=False)
    if col.kind == "date":
        return value.isoformat()
    if col.kind == "percent":
        return f"{value * 100:.1f}"
    return value


def _write_csv(report: Report, tables: list[Table], path: Path, tracker: _Tracker) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        for k, table in enumerate(tables):
            if len(tables) > 1:
                if k:
                    w.writerow([])
                w.writerow([table.title])
            w.writerow([c.header for c in table.columns])
            cols = table.columns
            sums: list[int | None] = [None] * len(cols)
            for row in table.rows:
                _add(sums, cols, row)
                w.writerow([_csv_text(c, v) for c, v in zip(cols, row, strict=True)])
                tracker.tick()
            totals = _totals(table, sums)
            w.writerow(
                [
                    _csv_text(c, v) if i else v
                    for i, (c, v) in enumerate(zip(cols, totals, strict=True))
                ]
            )


# ---------------------------------------------------------------------------- PDF


def _pdf_text(col: Column, value: Any) -> str:
    if value is None:
        return ""
    if col.kind == "money":
        return format_baht(value)
    if col.kind == "date":
        return thai_date(value)
    if col.kind == "int":
        return f"{value:,}"
    if col.kind == "percent":
        return f"{value * 100:.1f}%"
    if col.kind == "rating":
        return f"{value:.1f}"
    return str(value)


def _write_pdf(report: Report, tables: list[Table], path: Path, tracker: _Tracker) -> None:
    """The title and lines centred, each table under its title, the notes; a footer on every
    page with the report, its period, the page number and when it was printed."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer
    from reportlab.platypus.doctemplate import BaseDocTemplate, PageTemplate
    from reportlab.platypus.frames import Frame

    from minichat_desktop.documents import common, fonts

    fonts.register()
    margin = 12 * mm
    wide = any(t.landscape for t in tables)
    pagesize = landscape(A4) if wide else A4
    printed = dt.datetime.now(BANGKOK)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.REGULAR, 8)
        canvas.setFillColor(common.MUTED)
        canvas.drawString(margin, 7 * mm, f"{report.title} · {report.period}"[:120])
        canvas.drawRightString(
            pagesize[0] - margin,
            7 * mm,
            f"หน้า {doc.page} · พิมพ์ {thai_date(printed.date())} {printed:%H:%M}",
        )
        canvas.restoreState()

    doc = BaseDocTemplate(
        str(path),
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=14 * mm,
        title=report.title,
        author=report.lines[0],
        creator="MiniChat",
    )
    frame = Frame(
        margin, 14 * mm, pagesize[0] - 2 * margin, pagesize[1] - margin - 14 * mm, id="body",
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
    )  # fmt: skip
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    width = pagesize[0] - 2 * margin

    story: list[Any] = [common.para(report.title, 16, bold=True, align="center")]
    for line in report.lines:
        story.append(common.para(line, 10, align="center"))
    story.append(Spacer(1, 4 * mm))
    for table in tables:
        if len(tables) > 1:
            story.append(common.para(table.title, 12, bold=True))
            story.append(Spacer(1, 1.5 * mm))
        story.append(_pdf_table(table, width, tracker))
        story.append(Spacer(1, 6 * mm))
    for note in report.notes:
        story.append(common.para(f"หมายเหตุ: {note}", 8.5, color="muted"))
    tracker.check()
    # reportlab's fonts are shared state: drawn under the documents' lock (see common).
    common.serialized(doc.build)(story)


def _pdf_table(table: Table, width: float, tracker: _Tracker) -> Any:
    """The table as a reportlab table ``width`` wide: a shaded header row repeated on every
    page, striped rows and a bold totals row."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    from minichat_desktop.documents import common, fonts

    cols = table.columns
    headers = [PDF_HEADERS.get(c.header, c.header) for c in cols]
    col_widths = _pdf_widths(cols, headers, width, fonts.BOLD)
    cell_styles = [common.style(8.5, align=_PDF_ALIGN.get(c.kind, "right")) for c in cols]
    bold_styles = [
        common.style(8.5, bold=True, align=_PDF_ALIGN.get(c.kind, "right")) for c in cols
    ]
    data: list[list[Any]] = [[common.markup(common.esc(h), 8.5, bold=True,
                                            align="center") for h in headers]]  # fmt: skip
    sums: list[int | None] = [None] * len(cols)
    for row in table.rows:
        _add(sums, cols, row)
        data.append(
            [_cell(_pdf_text(c, v), st) for c, v, st in zip(cols, row, cell_styles, strict=True)]
        )
        tracker.tick()
    totals = _totals(table, sums)
    data.append(
        [_cell(_pdf_text(c, v) if i else v, st)
         for i, (c, v, st) in enumerate(zip(cols, totals, bold_styles, strict=True))]
    )  # fmt: skip
    t = LongTable(data, colWidths=col_widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6F4EF")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, common.ACCENT),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, common.SHADE]),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, common.INK),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, common.INK),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


# Thai has no spaces to wrap at: long headers get their line break where a reader expects it.
PDF_HEADERS: Final = {
    "จำนวนออเดอร์": "จำนวน\nออเดอร์",
    "มูลค่าก่อนภาษี": "มูลค่า\nก่อนภาษี",
    "ภาษีมูลค่าเพิ่ม": "ภาษี\nมูลค่าเพิ่ม",
    "จำนวนที่ขาย": "จำนวน\nที่ขาย",
    "จำนวนรายการ": "จำนวน\nรายการ",
    "ยอดเข้าชม": "ยอด\nเข้าชม",
    "เพิ่มลงตะกร้า": "เพิ่ม\nลงตะกร้า",
    "สต็อกคงเหลือ": "สต็อก\nคงเหลือ",
    "คะแนนรีวิว": "คะแนน\nรีวิว",
    "กำไรขั้นต้น": "กำไร\nขั้นต้น",
    "เป็นลูกค้าตั้งแต่": "เป็นลูกค้า\nตั้งแต่",
    "ออเดอร์ในช่วง": "ออเดอร์\nในช่วง",
    "ยอดซื้อในช่วง": "ยอดซื้อ\nในช่วง",
    "ยอดเฉลี่ยต่อออเดอร์": "ยอดเฉลี่ย\nต่อออเดอร์",
    "ออเดอร์ทั้งหมด": "ออเดอร์\nทั้งหมด",
    "ยอดซื้อทั้งหมด": "ยอดซื้อ\nทั้งหมด",
    "วันที่ใบกำกับภาษี": "วันที่\nใบกำกับภาษี",
    "เลขที่ใบกำกับภาษี": "เลขที่\nใบกำกับภาษี",
    "ชื่อผู้ซื้อสินค้า/ผู้รับบริการ": "ชื่อผู้ซื้อสินค้า/\nผู้รับบริการ",
    "เลขประจำตัวผู้เสียภาษีอากรของผู้ซื้อ": "เลขประจำตัวผู้เสียภาษีอากร\nของผู้ซื้อ",
    "มูลค่าสินค้าหรือบริการ": "มูลค่าสินค้า\nหรือบริการ",
    "จำนวนเงินภาษีมูลค่าเพิ่ม": "จำนวนเงิน\nภาษีมูลค่าเพิ่ม",
}
_PDF_ALIGN: Final = {"text": "left", "date": "center"}


def _pdf_widths(cols: Sequence[Column], headers: list[str], width: float, bold: str) -> list[float]:
    """Column widths: each at least its header's widest line, the rest shared by weight; when
    that overflows, the text columns (names) give the room back."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    need = [max(stringWidth(line, bold, 8.5) for line in h.split("\n")) + 9 for h in headers]
    weights = [c.width for c in cols]
    widths = [max(n, width * w / sum(weights)) for n, w in zip(need, weights, strict=True)]
    over = sum(widths) - width
    text = [i for i, c in enumerate(cols) if c.kind == "text"]
    room = sum(widths[i] - need[i] for i in text)
    if over > 0 and room > 0:
        for i in text:
            widths[i] -= over * (widths[i] - need[i]) / room
    total = sum(widths)
    return [w * width / total for w in widths] if total > width else widths


def _cell(text: str, st: Any) -> Any:
    """A table cell: a shaped paragraph when the text has Thai marks, else cheap plain text
    laid out the same way (see :mod:`minichat_desktop.documents.common`)."""
    from minichat_desktop.documents import common

    if common.needs_shaping(text):
        return common.ThaiParagraph(common.esc(text), st)
    return common.Plain(text, st)
