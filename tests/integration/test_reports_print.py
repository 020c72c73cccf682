"""XLSX reports and exports as an accountant opens and prints them, on the demo shop (a real
SQLite file filled through the use cases): dates are real dates shown in the Buddhist era,
every sheet prints on A4 one page wide with its header row on every page and page numbers,
the worksheet XML keeps the element order Excel insists on, and LibreOffice (headless, to PDF)
prints the VAT report with B.E. years and every column on every page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from minichat_desktop.demo.shop import fill_demo_shop
from minichat_desktop.documents import reports as report_files
from minichat_desktop.domain.reporting import reports
from minichat_desktop.formats import exporter, xlsx
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database.open(tmp_path_factory.mktemp("demo"))
    fill_demo_shop(db, seed=7, now=NOW)
    yield db
    db.dispose()


def header_row(ws: Any) -> int:
    """The table's header row: the one just above the frozen pane."""
    return int(re.sub(r"[A-Z]+", "", ws.freeze_panes)) - 1


def assert_prints_one_page_wide(ws: Any, *, header: int, landscape: bool, page: str) -> None:
    setup = ws.page_setup
    assert setup.paperSize == 9 or setup.paperSize == "9"  # A4
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage  # else Excel ignores fitToWidth
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.oddFooter.right.text == page
    assert ws.page_margins.left < 0.7  # narrower than Excel's default


def worksheet_order_errors(path: Path) -> list[str]:
    """Each worksheet's children against ECMA-376's CT_Worksheet order."""
    errors = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            tags = [child.tag.removeprefix(MAIN) for child in ET.fromstring(z.read(name))]
            unknown = [t for t in tags if t not in xlsx.WORKSHEET_ORDER]
            places = [xlsx.WORKSHEET_ORDER.index(t) for t in tags if t in xlsx.WORKSHEET_ORDER]
            if unknown or places != sorted(places) or len(set(places)) != len(places):
                errors.append(f"{name}: {tags}")
    return errors


def print_titles(path: Path, name: str = "_xlnm.Print_Titles") -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
    return {
        str(n.get("localSheetId")): n.text or ""
        for n in book.iter(f"{MAIN}definedName")
        if n.get("name") == name
    }


@pytest.mark.parametrize("kind", reports.KINDS)
def test_thai_reports_show_be_dates_and_print_one_page_wide(
    demo: Database, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.xlsx"
    report_files.write_report(demo, kind, *NOVEMBER, path)
    wb = openpyxl.load_workbook(path)
    dates = 0
    for ws in wb:
        header = header_row(ws)
        width = sum(ws.column_dimensions[c].width for c in ws.column_dimensions)
        wide = kind != "sales" or ws.title == "รายการคำสั่งซื้อ" or width > xlsx.PORTRAIT_WIDTH
        assert_prints_one_page_wide(ws, header=header, landscape=wide, page=xlsx.PAGE_TH)
        assert ws.oddFooter.left.text.startswith(reports.TITLES[kind])
        assert ws.cell(row=header, column=1).border.bottom.style == "thin"
        for row in ws.iter_rows(min_row=header + 1):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    assert cell.number_format == xlsx.BE_DATE, (ws.title, cell.coordinate)
                    assert NOVEMBER[0].year - 1 <= cell.value.year <= NOVEMBER[1].year
                    dates += 1
        labels = [c.value for c in ws["A"][header:]]
        assert "รวม" in labels and "Total" not in labels
    assert (dates > 0) == (kind != "products")  # products has no date column
    assert worksheet_order_errors(path) == []
    assert len(print_titles(path)) == len(wb.sheetnames)
    # Printed: the table's columns only, the lines above and the notes under it wrapped
    # within them (a long note must not widen the page and shrink the table).
    areas = print_titles(path, "_xlnm.Print_Area")
    for i, ws in enumerate(wb):
        right = re.search(r"!\$A\$1:\$([A-Z]+)\$\d+$", areas[str(i)])
        assert right is not None
        assert ws.cell(row=header_row(ws), column=ws.max_column).value is not None
        assert right[1] == openpyxl.utils.get_column_letter(ws.max_column)
        assert all(str(m).startswith("A") for m in ws.merged_cells.ranges)


def test_the_vat_dates_are_dates_an_accountant_can_sort(demo: Database, tmp_path: Path) -> None:
    path = tmp_path / "vat.xlsx"
    report_files.write_report(demo, "vat", *NOVEMBER, path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    header = header_row(ws)
    col = next(i for i, c in enumerate(reports.VAT_COLUMNS, start=1) if c.kind == "date")
    assert ws.cell(row=header, column=col).value == reports.VAT_COLUMNS[col - 1].header
    days = [
        ws.cell(row=r, column=col).value
        for r in range(header + 1, ws.max_row + 1)
        if isinstance(ws.cell(row=r, column=col).value, dt.datetime)
    ]
    assert len(days) > 30
    assert all(NOVEMBER[0] <= d.date() <= NOVEMBER[1] for d in days)  # stored in the C.E.
    assert days == sorted(days)
    assert ws.cell(row=header + 1, column=col).is_date


def test_an_english_report_keeps_the_christian_era(demo: Database, tmp_path: Path) -> None:
    path = tmp_path / "vat-en.xlsx"
    with demo.read() as session:
        built = reports.build_report(session, "vat", *NOVEMBER)
        report_files.write_built_report(dataclasses.replace(built, language="en"), path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    header = header_row(ws)
    col = next(i for i, c in enumerate(reports.VAT_COLUMNS, start=1) if c.kind == "date")
    assert ws.cell(row=header + 1, column=col).number_format == xlsx.CE_DATE
    assert ws.oddFooter.right.text == xlsx.PAGE_EN
    labels = [ws.cell(row=r, column=1).value for r in range(header + 1, ws.max_row + 1)]
    assert "Total" in labels and "รวม" not in labels


def test_the_orders_export_shows_be_times_and_prints_one_page_wide(
    demo: Database, tmp_path: Path
) -> None:
    path = tmp_path / "orders.xlsx"
    with demo.read() as session:
        result = exporter.export_orders(session, path)
    assert result.rows > 100
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["คำสั่งซื้อ", "รายการสินค้า"]
    for ws in wb:
        assert_prints_one_page_wide(ws, header=1, landscape=True, page=xlsx.PAGE_TH)
        assert ws.print_options.gridLines
        assert ws.cell(row=1, column=2).value == "วันที่ (เวลาไทย)"
        when = ws.cell(row=2, column=2)
        assert isinstance(when.value, dt.datetime) and when.is_date
        assert when.number_format == xlsx.BE_DATE_TIME
    assert worksheet_order_errors(path) == []
    assert print_titles(path) == {"0": "'คำสั่งซื้อ'!$1:$1", "1": "'รายการสินค้า'!$1:$1"}


def test_customers_and_products_exports_print_set_up(demo: Database, tmp_path: Path) -> None:
    with demo.read() as session:
        exporter.export_products(session, tmp_path / "products.xlsx")
    day = dt.datetime(2026, 11, 3, 8, 15, tzinfo=dt.UTC)
    row: list[Any] = [1, "สมชาย", "0812345678", None, "ลูกค้า", "ลูกค้าใหม่", 5, 1, 2, 1,
                      12_300, day, "LINE", None, "ไม่", "กรุงเทพมหานคร", None, day]  # fmt: skip
    exporter.write_customers([row], tmp_path / "customers.xlsx")
    for name in ("products", "customers"):
        ws = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active
        assert ws is not None
        assert_prints_one_page_wide(ws, header=1, landscape=True, page=xlsx.PAGE_TH)
        assert worksheet_order_errors(tmp_path / f"{name}.xlsx") == []
    ws = openpyxl.load_workbook(tmp_path / "customers.xlsx").active
    assert ws is not None
    assert ws["L2"].value == dt.datetime(2026, 11, 3, 15, 15)  # Bangkok
    assert ws["L2"].number_format == xlsx.BE_DATE_TIME


def soffice_pdf(path: Path, out: Path) -> Path:
    """``path`` converted to PDF by LibreOffice headless, with a profile of its own (two
    conversions at once would otherwise share one and one would fail)."""
    profile = out / "lo-profile"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf = out / f"{path.stem}.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    return pdf


def page_text(pdf: Path, page: int) -> str:
    """One page's text, whitespace collapsed."""
    done = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return " ".join(done.stdout.split())


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, after checking the pages are A4 landscape."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = re.search(r"Pages:\s+(\d+)", info.stdout)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    assert pages is not None and size is not None, info.stdout
    assert (round(float(size[1])), round(float(size[2]))) == (842, 595)
    return [page_text(pdf, i) for i in range(1, int(pages[1]) + 1)]


def test_libreoffice_prints_the_vat_report_in_be_one_page_wide(
    demo: Database, tmp_path: Path
) -> None:
    path = tmp_path / "vat.xlsx"
    result = report_files.write_report(demo, "vat", *NOVEMBER, path)
    pages = pdf_pages(soffice_pdf(path, tmp_path))  # A4 landscape, checked there
    first, last = reports.VAT_COLUMNS[0].header, reports.VAT_COLUMNS[-1].header
    for n, text in enumerate(pages, start=1):
        assert first in text and last in text, f"page {n} lacks a column's header"
        assert f"หน้า {n} / {len(pages)}" in text
        assert re.search(r"\b\d\d/11/2569\b", text), f"page {n} has no B.E. date"
        assert "/11/2026" not in text
    assert "พฤศจิกายน 2569" in pages[0]
    # All columns on one page width: pages grow with the rows only (LibreOffice fits about
    # 36 rows on the first page, 43 on the next); split columns would double the pages.
    assert math.ceil(result.rows / 45) <= len(pages) <= math.ceil((result.rows + 2) / 30)
    assert str(result.rows) in pages[-1].split()  # the last row's number, on the last page
