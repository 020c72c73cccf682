"""``minichat report …`` as a real process on the demo shop: files written and read back, the
VAT report's sums checked against the database with plain SQL, exit codes for bad input."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=90
    )


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "shop"
    done = run(folder, "demo-data")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(demo_template, folder)
    return folder


def _busiest_month(data: Path) -> str:
    con = sqlite3.connect(data / "minichat.sqlite3")
    try:
        (month,) = con.execute(
            "SELECT strftime('%Y-%m', created_at, '+7 hours') FROM orders"
            " GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return str(month)


def _expected_vat(data: Path, month: str) -> tuple[int, int]:
    """(value before VAT, VAT) of the month by the Revenue Code's rules, straight from SQL:
    each sale in the month of its tax point — the first of its payment and its delivery (a
    counter sale is both at once; the demo prints no tax invoice before either) — less the
    credit notes issued in the month."""
    con = sqlite3.connect(data / "minichat.sqlite3")
    try:
        point = "min(coalesce(paid_at, '9999'), coalesce(delivered_at, '9999'))"
        sales = con.execute(
            "SELECT COALESCE(SUM(total_satang - vat_satang), 0), COALESCE(SUM(vat_satang), 0)"
            f" FROM orders WHERE {point} < '9999'"
            f" AND strftime('%Y-%m', {point}, '+7 hours') = ?",
            (month,),
        ).fetchone()
        refunds = con.execute(
            "SELECT COALESCE(SUM(o.total_satang - o.vat_satang), 0), COALESCE(SUM(o.vat_satang), 0)"
            " FROM tax_documents d JOIN orders o ON o.id = d.order_id"
            " WHERE d.kind = 'credit_note' AND strftime('%Y-%m', d.issued_at, '+7 hours') = ?",
            (month,),
        ).fetchone()
        # the recorded tax point is that first event, for every sale
        (moved,) = con.execute(
            f"SELECT COUNT(*) FROM orders WHERE {point} < '9999' AND tax_point_at <> {point}"
        ).fetchone()
        assert moved == 0
    finally:
        con.close()
    return sales[0] - refunds[0], sales[1] - refunds[1]


def test_vat_month_to_xlsx_matches_the_database(demo: Path, tmp_path: Path) -> None:
    month = _busiest_month(demo)
    out = tmp_path / "vat.xlsx"
    done = run(demo, "report", "vat", "--month", month, str(out))
    assert done.returncode == 0, done.stderr
    assert "รายงานภาษีขาย" in done.stdout and str(out) in done.stdout
    ws = openpyxl.load_workbook(out)["รายงานภาษีขาย"]
    assert ws["A2"].value.startswith("เดือนภาษี ")
    assert ws["A2"].value.endswith(str(int(month[:4]) + 543))
    rows = [r for r in ws.iter_rows(min_row=8, values_only=True) if r[0] is not None]
    body = [r for r in rows if isinstance(r[0], int)]
    (totals,) = [r for r in rows if r[0] == "รวม"]
    assert len(body) > 10
    net, vat = _expected_vat(demo, month)
    assert Decimal(str(totals[6])) == Decimal(net).scaleb(-2)
    assert Decimal(str(totals[7])) == Decimal(vat).scaleb(-2)
    assert sum(Decimal(str(r[7])) for r in body) == Decimal(vat).scaleb(-2)


def test_sales_csv_and_pdf(demo: Path, tmp_path: Path) -> None:
    month = _busiest_month(demo)
    first = f"{month}-01"
    last = f"{month}-28"
    csv_out, pdf_out = tmp_path / "sales.csv", tmp_path / "sales.pdf"
    assert run(demo, "report", "sales", "--from", first, "--to", last, str(csv_out)).returncode == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(csv_out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["ยอดขายรายวัน"]
    assert rows[1][:2] == ["วันที่", "จำนวนออเดอร์"]
    days = rows[2 : rows.index([])]  # the first table, up to the blank line before the next
    assert [r[0] for r in days[:-1]] == [f"{month}-{d:02d}" for d in range(1, 29)]
    assert days[-1][0] == "รวม"
    assert int(days[-1][1]) == sum(int(r[1]) for r in days[:-1])
    done = run(demo, "report", "sales", "--from", first, "--to", last, str(pdf_out))
    assert done.returncode == 0, done.stderr
    assert pdf_out.read_bytes().startswith(b"%PDF")
    for kind in ("products", "customers"):
        out = tmp_path / f"{kind}.xlsx"
        done = run(demo, "report", kind, "--from", first, "--to", last, str(out))
        assert done.returncode == 0, done.stderr
        assert openpyxl.load_workbook(out).worksheets[0].max_row > 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sales", "--from", "2026-02-30", "--to", "2026-03-01"], "--from '2026-02-30' is not a"),
        (["sales", "--from", "2026-03-01", "--to", "2026-02-01"], "is after --to"),
        (["sales", "--from", "2026-03-01"], "say which dates"),
        (["vat", "--month", "03/2026"], "is not a month; use YYYY-MM"),
        (["vat", "--month", "2026-03", "--from", "2026-03-01"], "either --month or --from"),
    ],
)
def test_bad_dates_exit_2(demo: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "r.xlsx"
    done = run(demo, "report", *args, str(out))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_bad_extension_and_folder_exit_2(demo: Path, tmp_path: Path) -> None:
    done = run(demo, "report", "sales", "--from", "2026-03-01", "--to", "2026-03-31",
               str(tmp_path / "r.docx"))  # fmt: skip
    assert done.returncode == 2
    assert "use a .xlsx, .csv or .pdf file name" in done.stderr
    done = run(demo, "report", "vat", "--month", "2026-03", str(tmp_path / "no" / "r.pdf"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "shop"]
