"""``minichat report sales|products|customers|vat --from D --to D OUT``: a report as XLSX, CSV
or PDF, chosen by OUT's extension (see :mod:`minichat_desktop.documents.reports`).
``vat`` also takes ``--month YYYY-MM``. Bad dates, a range the wrong way round or another
extension exit 2 with the reason; the file is written whole or not at all."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from minichat_desktop.commands.common import CommandSet, parse_date
from minichat_desktop.errors import UserError

HELP = {
    "sales": "sales by day, product, channel and payment method, and the orders",
    "products": "product performance: views, carts, units, sales, profit, stock",
    "customers": "customers who bought or joined in the range",
    "vat": "the monthly VAT sales report (รายงานภาษีขาย)",
}


def _date(text: str | None, option: str) -> dt.date | None:
    return None if text is None else parse_date(text, option)


def _range(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    from minichat_desktop.domain.reporting import reports

    month = getattr(args, "month", None)
    if month is not None:
        if args.date_from or args.date_to:
            raise UserError("cli.month_and_range", "give either --month or --from/--to, not both")
        return reports.month_range(month)
    lo, hi = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if lo is None or hi is None:
        need = "--from and --to" + (" (or --month)" if args.kind == "vat" else "")
        raise UserError("cli.missing_range", f"say which dates: {need}, as YYYY-MM-DD")
    if lo > hi:
        raise UserError("cli.bad_range", f"--from {lo} is after --to {hi}")
    return lo, hi


def cmd_report(args: argparse.Namespace) -> int:
    from minichat_desktop.documents import reports as report_files
    from minichat_desktop.domain.reporting import reports
    from minichat_desktop.storage.db import Database

    out = Path(args.out)
    if out.suffix.lower().lstrip(".") not in report_files.FORMATS:
        raise UserError(
            "report.unsupported_format",
            f"cannot write a report to {out.name}: use a .xlsx, .csv or .pdf file name",
        )
    if out.is_dir():
        raise UserError("cli.out_is_folder", f"{out} is a folder; give the file to write")
    lo, hi = _range(args)
    db = Database.open(args.data_path)
    shown = [-1]

    def progress(done: int, total: int) -> None:
        if args.quiet or not sys.stderr.isatty():
            return
        pct = done * 100 // max(total, 1)
        if pct != shown[0]:
            shown[0] = pct
            print(f"\r{pct:3d}%", end="", file=sys.stderr, flush=True)

    try:
        result = report_files.write_report(db, args.kind, lo, hi, out, progress=progress)
    finally:
        if shown[0] >= 0:
            print(file=sys.stderr)
        db.dispose()
    print(
        f"{reports.TITLES[args.kind]} {lo.isoformat()} to {hi.isoformat()}: "
        f"{result.rows:,} rows written to {result.path}"
    )
    return 0


def register(commands: CommandSet) -> None:
    rsub = commands.group(
        "report", "reports as XLSX, CSV or PDF", title="reports", metavar="REPORT"
    )
    for kind, text in HELP.items():
        sp = commands.add(kind, cmd_report, text, rsub)
        sp.set_defaults(kind=kind)
        sp.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day")
        sp.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day")
        if kind == "vat":
            sp.add_argument("--month", metavar="YYYY-MM", help="the tax month instead of dates")
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress")
        sp.add_argument("out", metavar="OUT", help="the file to write: .xlsx, .csv or .pdf")
