"""The sales report over 100,000 orders to XLSX: ``documents.reports.write_report`` against
openpyxl's own write-only loop over the same rows.

The orders are made as in ``bench_import_export.py`` (Core bulk inserts, ~2.5 items each,
every channel and status, a year from 2026-01-01). The report covers the whole year: six
sheets (by day, by product, by channel, by payment method, the ~91,000 orders that are not
cancelled, and the refunds — none here: bulk-made orders have no refund records).

The baseline appends the very same values (built beforehand in memory, money as Decimal baht,
dates as dates) to the same six openpyxl write-only sheets with no styles. The report itself
is written by our streaming writer (``formats/xlsx.py``, ADR 0006) with SQL, number formats,
title rows and totals included, so the ratio is below 1 — openpyxl's loop alone misses 10 s
on this machine.

Targets: ≤ 10 s, and ≤ 1.2 × the bare loop. Wall and CPU seconds are printed (compare CPU on a
shared machine).

    .venv/bin/python bench/bench_reports.py [--orders 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import_export import Took, make_orders, timed

from minichat_desktop.documents import reports as report_files
from minichat_desktop.domain.reporting import reports
from minichat_desktop.storage.db import Database

TARGET_S = 10.0
TARGET_RATIO = 1.2
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def same_rows(db: Database) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Every sheet's header and rows, as the XLSX holds them (money in baht)."""
    out = []
    with db.read() as s:
        report = reports.build_report(s, "sales", *YEAR)
        for table in report.tables:
            money = [i for i, c in enumerate(table.columns) if c.kind == "money"]
            rows = []
            for row in table.rows:
                values = list(row)
                for i in money:
                    if values[i] is not None:
                        values[i] = Decimal(values[i]).scaleb(-2)
                rows.append(values)
            out.append((table.title, [c.header for c in table.columns], rows))
    return out


def bare_loop(path: Path, sheets: list[tuple[str, list[str], list[list[Any]]]]) -> None:
    wb = openpyxl.Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append(header)
        for r in rows:
            ws.append(r)
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        t = time.perf_counter()
        db = make_orders(work / "db", args.orders)
        print(f"{args.orders:,} orders made in {time.perf_counter() - t:.1f} s")
        gc.collect()
        took, result = timed(
            lambda: report_files.write_report(db, "sales", *YEAR, work / "sales.xlsx"), args.repeat
        )
        sheets = same_rows(db)
        n = sum(len(rows) for _, _, rows in sheets)
        gc.collect()
        gc.freeze()
        bare: Took
        bare, _ = timed(lambda: bare_loop(work / "bare.xlsx", sheets), args.repeat)
        gc.unfreeze()
        ok = "ok" if took.wall <= TARGET_S else "MISSED"
        ratio, cpu_ratio = took.wall / bare.wall, took.cpu / bare.cpu
        ok_ratio = "ok" if min(ratio, cpu_ratio) <= TARGET_RATIO else "MISSED"
        print(f"  sales report → XLSX: {took}  ({result.rows:,} rows in {result.tables} sheets)")
        print(f"     target ≤ {TARGET_S:.0f} s: {ok}")
        print(f"  bare write-only loop over the same {n:,} rows: {bare}")
        print(
            f"  ratio {ratio:.2f} wall, {cpu_ratio:.2f} cpu (target ≤ {TARGET_RATIO}: {ok_ratio})"
        )
        t_csv, _ = timed(lambda: report_files.write_report(db, "sales", *YEAR, work / "s.csv"), 1)
        print(f"  sales report → CSV: {t_csv}")
        t_pdf, _ = timed(lambda: report_files.write_report(db, "sales", *YEAR, work / "s.pdf"), 1)
        print(f"  sales report → PDF (summaries): {t_pdf}")
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
