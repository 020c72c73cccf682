"""The streaming XLSX writer, read back with openpyxl (values, types, styles, sheet views) and
checked part by part as XML."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from minichat_desktop.formats import xlsx
from minichat_desktop.formats.xlsx import Style, XlsxBook


def test_values_come_back_with_their_types(tmp_path: Path) -> None:
    """Text (Thai, markup characters, edge spaces), numbers, booleans, dates and times read
    back as written; None and "" leave the cell empty."""
    out = tmp_path / "v.xlsx"
    with XlsxBook(out) as book:
        sheet = book.add_sheet("ค่า")
        sheet.append(["เสื้อยืด <สีแดง> & ฟ้า", 42, True, Decimal("1250.50"), 0.25])
        sheet.append([dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 18, 30), None, "", "  x  "])
        sheet.append([-7, Decimal("-0.01"), False, "=SUM(A1:A2)", "เสื้อยืด <สีแดง> & ฟ้า"])
    ws = openpyxl.load_workbook(out)["ค่า"]
    assert [c.value for c in ws[1]] == ["เสื้อยืด <สีแดง> & ฟ้า", 42, True, 1250.5, 0.25]
    assert ws["A2"].value == dt.datetime(2026, 3, 1)  # openpyxl reads dates as datetimes
    assert ws["A2"].number_format == "yyyy-mm-dd"  # a date unstyled is still shown as one
    assert ws["B2"].value == dt.datetime(2026, 3, 1, 18, 30)
    assert ws["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["C2"].value is None and ws["D2"].value is None
    assert ws["E2"].value == "  x  "
    assert [c.value for c in ws[3]] == [-7, -0.01, False, "=SUM(A1:A2)", "เสื้อยืด <สีแดง> & ฟ้า"]
    assert ws["D3"].data_type == "s"  # text that looks like a formula stays text
    with zipfile.ZipFile(out) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert sst.count("เสื้อยืด") == 1  # one shared string for the repeated text
    assert 'count="4" uniqueCount="3"' in sst


def test_row_writer_turns_satang_into_baht_with_styles(tmp_path: Path) -> None:
    """Money columns take integer satang and hold baht; every column keeps its number
    format; a date column holds real dates."""
    out = tmp_path / "m.xlsx"
    with XlsxBook(out) as book:
        money = book.style(Style(number_format="#,##0.00"))
        day = book.style(Style(number_format="dd/mm/yyyy"))
        count = book.style(Style(number_format="#,##0"))
        sheet = book.add_sheet("ยอดขาย", [12, 14, 10, 20])
        write = sheet.row_writer([day, money, count, None], [False, True, False, False])
        write((dt.date(2026, 1, 31), 123456, 3, "ขายหน้าร้าน"))
        write([dt.date(2026, 2, 1), -5, 0, None])
        write([None, 0, -2, "สาขา 2"])
        with pytest.raises(ValueError, match="a row of 2 values for 4 columns"):
            write([1, 2])  # a row of the wrong shape is a bug, not a short row
    ws = openpyxl.load_workbook(out)["ยอดขาย"]
    assert ws["A1"].value == dt.datetime(2026, 1, 31) and ws["A1"].number_format == "dd/mm/yyyy"
    assert ws["B1"].value == 1234.56 and ws["B1"].number_format == "#,##0.00"
    assert ws["C1"].value == 3 and ws["C1"].number_format == "#,##0"
    assert ws["D1"].value == "ขายหน้าร้าน" and ws["D1"].number_format == "General"
    assert [c.value for c in ws[2]][:3] == [dt.datetime(2026, 2, 1), -0.05, 0]
    assert [c.value for c in ws[3]] == [None, 0, -2, "สาขา 2"]
    assert [ws.column_dimensions[x].width for x in "ABCD"] == [12, 14, 10, 20]
    assert ws.max_row == 3


def test_styles_freeze_and_autofilter(tmp_path: Path) -> None:
    """Bold, size, fill, wrapping and formats are one style each; the header is frozen and
    filtered, with Excel's hidden filter name in the workbook."""
    out = tmp_path / "s.xlsx"
    with XlsxBook(out) as book:
        title = book.style(Style(bold=True, size=14))
        head = book.style(Style(bold=True, fill="e6f4ef", wrap=True))
        pct = book.style(Style(number_format="0.0%"))
        assert book.style(Style(bold=True, size=14)) == title
        sheet = book.add_sheet("รายงาน", [20, 10], freeze_rows=3)
        sheet.append(["รายงานยอดขาย"], title)
        sheet.append([])
        sheet.append(["สินค้า", "สัดส่วน"], head)
        sheet.append(["ชาไทย", Decimal("0.125")], [None, pct])
        sheet.auto_filter(3, 4, 2)
    wb = openpyxl.load_workbook(out)
    ws = wb["รายงาน"]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["A3"].font.b and ws["B3"].fill.fgColor.rgb == "FFE6F4EF"
    assert ws["A3"].alignment.wrap_text and ws["A3"].alignment.vertical == "center"
    assert ws["B4"].value == 0.125 and ws["B4"].number_format == "0.0%"
    assert not ws["A4"].font.b
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:B4"
    with zipfile.ZipFile(out) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "_xlnm._FilterDatabase" in workbook and "'รายงาน'!$A$3:$B$4" in workbook


def test_sheet_titles_are_made_valid_and_unique(tmp_path: Path) -> None:
    """Characters Excel refuses are replaced, titles cut to 31 characters, repeats numbered."""
    out = tmp_path / "t.xlsx"
    long = "ยอดขายตามวิธีชำระเงินและช่องทางการขายทั้งหมด"
    with XlsxBook(out) as book:
        for name in ["a/b:c", long, long, "A/B:C", "'x'"]:
            book.add_sheet(name).append([name])
    names = openpyxl.load_workbook(out).sheetnames
    assert names[0] == "a b c"
    assert names[1] == long[:31] and len(names[2]) == 31 and names[2].endswith(" (2)")
    assert names[3] == "A B C (2)"  # Excel compares sheet names without case
    assert names[4] == "x"


def test_every_part_is_well_formed_and_declared(tmp_path: Path) -> None:
    """Each part parses as XML, every sheet has a content type and a relationship, and
    characters XML cannot hold are dropped rather than breaking the file."""
    out = tmp_path / "p.xlsx"
    with XlsxBook(out) as book:
        book.add_sheet("one").append(["bell\x07 and\x00 nul", "x" * 40_000])
        book.add_sheet("two").append([1])
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        for name in names:
            etree.fromstring(z.read(name))  # raises on malformed XML
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= names
    for n in (1, 2):
        assert f"/xl/worksheets/sheet{n}.xml" in types and f"worksheets/sheet{n}.xml" in rels
    ws = openpyxl.load_workbook(out)["one"]
    assert ws["A1"].value == "bell and nul"
    assert len(ws["B1"].value) == xlsx.MAX_TEXT


def test_an_empty_book_still_opens(tmp_path: Path) -> None:
    """A book closed with no sheets gets one empty sheet (Excel refuses a book without)."""
    out = tmp_path / "e.xlsx"
    XlsxBook(out).close()
    assert openpyxl.load_workbook(out).sheetnames == ["Sheet"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), ValueError),
        (float("nan"), ValueError),
        (Decimal("Infinity"), ValueError),
        (object(), TypeError),
        (b"bytes", TypeError),
    ],
)
def test_values_a_cell_cannot_hold_are_refused(
    tmp_path: Path, value: object, error: type[Exception]
) -> None:
    """Aware times, NaN, infinity and other types raise instead of writing a broken cell."""
    with XlsxBook(tmp_path / "x.xlsx") as book:
        sheet = book.add_sheet("x")
        with pytest.raises(error):
            sheet.append([value])
        sheet.append(["still fine"])
    assert openpyxl.load_workbook(tmp_path / "x.xlsx")["x"]["A2"].value == "still fine"


def test_a_closed_sheet_takes_no_more_rows(tmp_path: Path) -> None:
    """Starting the next sheet closes the one before; writing to it is a bug."""
    with XlsxBook(tmp_path / "c.xlsx") as book:
        first = book.add_sheet("1")
        book.add_sheet("2")
        with pytest.raises(ValueError, match="closed"):
            first.append([1])


def test_column_letters() -> None:
    assert [xlsx.column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        xlsx.column_letter(0)


def test_page_setup_prints_one_page_wide_with_titles_and_page_numbers(tmp_path: Path) -> None:
    """A4 landscape fitted to one page wide, the header row on every page (a Print_Titles
    name per sheet), a footer whose literal "&" is doubled, bordered empty cells, and the
    worksheet's elements in the schema's order (Excel refuses them out of order)."""
    out = tmp_path / "p.xlsx"
    page = xlsx.PageSetup(
        landscape=True,
        title_rows=(3, 3),
        columns=2,
        footer_left="ขาย & คืน",
        page_text=xlsx.PAGE_TH,
    )
    with XlsxBook(out) as book:
        boxed = book.style(Style(border=True, number_format=xlsx.BE_DATE))
        sheet = book.add_sheet("ภาษี 'ขาย' 11", [10, 12], freeze_rows=3, page=page)
        sheet.merge(sheet.append(["หัวรายงานที่ยาวกว่าตาราง"], book.style(Style(wrap=True))), 2)
        sheet.append([])
        sheet.append(["วันที่", "เลขที่"], book.style(Style(bold=True, border=True)))
        sheet.row_writer([boxed, boxed])([dt.date(2026, 12, 6), None])
        sheet.auto_filter(3, 4, 2)
        book.add_sheet("plain").append([1])
    ws = openpyxl.load_workbook(out)["ภาษี 'ขาย' 11"]
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3"
    assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == ("ขาย && คืน", "หน้า &P / &N")
    assert ws["A4"].value == dt.datetime(2026, 12, 6) and ws["A4"].is_date
    assert ws["A4"].number_format == "[$-1070000]dd/mm/yyyy"
    assert ws["B4"].value is None and ws["B4"].border.left.style == "thin"
    with zipfile.ZipFile(out) as z:
        names = etree.fromstring(z.read("xl/workbook.xml")).findall(".//{*}definedName")
        tags = [etree.QName(e).localname for e in etree.fromstring(z.read(ws_path(1)))]
        plain = etree.fromstring(z.read(ws_path(2)))
    titles = [n.text for n in names if n.get("name") == "_xlnm.Print_Titles"]
    assert titles == ["'ภาษี ''ขาย'' 11'!$3:$3"]  # the plain sheet has none
    areas = [n.text for n in names if n.get("name") == "_xlnm.Print_Area"]
    assert areas == ["'ภาษี ''ขาย'' 11'!$A$1:$B$4"]
    assert [str(m) for m in ws.merged_cells.ranges] == ["A1:B1"]
    assert tags == ["sheetPr", "sheetViews", "sheetFormatPr", "cols", "sheetData", "autoFilter",
                    "mergeCells", "printOptions", "pageMargins", "pageSetup",
                    "headerFooter"]  # fmt: skip
    assert [xlsx.WORKSHEET_ORDER.index(t) for t in tags] == sorted(
        xlsx.WORKSHEET_ORDER.index(t) for t in tags
    )
    assert plain.find("{*}pageSetup") is None and plain.find("{*}pageMargins") is not None


def ws_path(n: int) -> str:
    return f"xl/worksheets/sheet{n}.xml"
