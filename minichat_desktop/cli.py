"""``minichat``: the app, and sub-commands for headless work.

Exit codes: 0 success; 2 a user error (the message says what and where, no traceback); 1 an
environment problem (disk, locks, a file that cannot be read) or an internal error (logged, with
the log's path printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

from minichat_desktop import paths
from minichat_desktop.domain.errors import EnvironmentProblem, UserError

log = logging.getLogger("minichat")

EXIT_OK, EXIT_ENV, EXIT_USER = 0, 1, 2


class UsageError(UserError):
    """Bad arguments on the command line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------------------- helpers


def _open_db(args: argparse.Namespace) -> Any:
    from minichat_desktop.storage.db import Database

    return Database.open(args.data_path)


def _json_money(obj: Any) -> Any:
    """Replace Decimal values by their exact text, marked, then unmark after dumping."""
    if isinstance(obj, Decimal):
        return f"@@DEC{format(obj, 'f')}@@"
    if isinstance(obj, dict):
        return {k: _json_money(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_money(v) for v in obj]
    return obj


def _print_json(obj: Any) -> None:
    """JSON with money as exact numbers (``1250.00``), never through float."""
    text = json.dumps(_json_money(obj), ensure_ascii=False, default=str)
    print(re.sub(r'"@@DEC(-?[0-9.]+)@@"', r"\1", text))


def _parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise UsageError(
            "cli.bad_amount", f"amount {text!r} is not a number (e.g. 1250.50)"
        ) from exc
    return value


def _parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            "cli.bad_date", f"{option} {text!r} is not a date; use YYYY-MM-DD"
        ) from exc


def _bangkok_range(
    start: str | None, end: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Bangkok calendar dates (``end`` inclusive) as aware UTC bounds."""
    from minichat_desktop.domain.shop import BANGKOK

    lo = hi = None
    if start:
        lo = dt.datetime.combine(_parse_date(start, "--from"), dt.time(), BANGKOK)
    if end:
        hi = dt.datetime.combine(
            _parse_date(end, "--to") + dt.timedelta(days=1), dt.time(), BANGKOK
        )
    if lo and hi and lo >= hi:
        raise UsageError("cli.bad_range", "--from must not be after --to")
    return lo, hi


def _bangkok_text(when: dt.datetime) -> str:
    from minichat_desktop.domain.shop import BANGKOK

    return when.astimezone(BANGKOK).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------- commands


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from minichat_desktop.storage import migrate

    db = _open_db(args)
    head, _ = migrate.known_revisions()
    print(f"database {db.path} is at schema {head}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    db = _open_db(args)
    target = db.backup_to(Path(args.file))
    print(f"backed up {db.path} to {target}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from minichat_desktop.storage.db import restore_from

    live = restore_from(args.data_path, Path(args.file))
    _open_db(args)  # a backup from an older MiniChat is brought up to date now
    print(f"restored {args.file} into {live}")
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from minichat_desktop.demo.chats import prepare_demo_shop

    db = _open_db(args)
    if not prepare_demo_shop(db):
        raise UserError(
            "demo.not_empty",
            f"{db.path} already has products; the demo shop "
            "goes into an empty data folder (choose one with --data-dir)",
        )
    print(f"demo shop written to {db.path}")
    return EXIT_OK


def cmd_products_search(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.thai import decimal_to_satang, format_baht, satang_to_decimal

    if args.limit < 1:
        raise UsageError("cli.bad_limit", "--limit must be at least 1")
    filters = catalog.SearchFilters(
        category=args.category,
        price_min_satang=decimal_to_satang(_parse_amount(args.min_price))
        if args.min_price
        else None,
        price_max_satang=decimal_to_satang(_parse_amount(args.max_price))
        if args.max_price
        else None,
        in_stock=args.in_stock,
        active_only=not args.all,
    )
    db = _open_db(args)
    with db.read() as session:
        hits = catalog.search_products(session, args.query, limit=args.limit, filters=filters)
    if args.json:
        _print_json(
            [
                {
                    "sku": h.sku,
                    "name": h.name_th,
                    "name_en": h.name_en,
                    "price": satang_to_decimal(h.price_satang),
                    "stock": h.stock,
                    "category": h.category,
                    "active": h.active,
                    "product_id": h.product_id,
                    "match": h.match,
                }
                for h in hits
            ]
        )
        return EXIT_OK
    if not hits:
        print(f"no products match {args.query!r}")
        return EXIT_OK
    for h in hits:
        print(f"{h.sku:<16} {format_baht(h.price_satang):>12}  {h.stock:>6}  {h.name_th}")
    return EXIT_OK


def cmd_products_import(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import importer

    db = _open_db(args)
    result = importer.import_products(db, Path(args.file), actor="cli")
    print(
        f"imported {result.rows} rows from {args.file}: {result.created} products created, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )
    for warning in result.warnings:
        print(f"note: {warning}")
    return EXIT_OK


def cmd_products_export(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import exporter

    db = _open_db(args)
    with db.read() as session:
        result = exporter.export_products(session, Path(args.file))
    print(f"exported {result.rows} product rows to {result.path}")
    return EXIT_OK


def cmd_products_template(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import importer

    importer.write_template(Path(args.file))
    print(f"import template written to {args.file}")
    return EXIT_OK


def cmd_orders_list(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales import orders
    from minichat_desktop.domain.thai import format_baht, satang_to_decimal

    lo, hi = _bangkok_range(args.date_from, args.date_to)
    db = _open_db(args)
    with db.read() as session:
        rows = orders.list_orders(
            session,
            orders.OrderFilters(
                status=args.status,
                channel=args.channel,
                created_from=lo,
                created_to=hi,
                search=args.search or "",
            ),
            limit=args.limit,
        )
    if args.json:
        _print_json(
            [
                {
                    "number": o.number,
                    "status": o.status,
                    "total": satang_to_decimal(o.total_satang),
                    "customer": o.customer_name,
                    "phone": o.customer_phone,
                    "channel": o.channel,
                    "payment_status": o.payment_status,
                    "items": o.item_count,
                    "tracking_number": o.tracking_number,
                    "created_at": _bangkok_text(o.created_at),
                }
                for o in rows
            ]
        )
        return EXIT_OK
    if not rows:
        print("no orders")
        return EXIT_OK
    for o in rows:
        print(
            f"{o.number:<16} {_bangkok_text(o.created_at)[:16]:<17} {o.status:<11} "
            f"{o.payment_status:<8} {format_baht(o.total_satang):>12}  {o.customer_name}"
        )
    return EXIT_OK


def cmd_orders_export(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import exporter

    lo, hi = _bangkok_range(args.date_from, args.date_to)
    db = _open_db(args)
    with db.read() as session:
        result = exporter.export_orders(session, Path(args.file), created_from=lo, created_to=hi)
    print(f"exported {result.rows} orders ({result.items} items) to {result.path}")
    return EXIT_OK


def cmd_promptpay(args: argparse.Namespace) -> int:
    from minichat_desktop.domain import promptpay

    amount = _parse_amount(args.amount) if args.amount is not None else None
    try:
        payload = promptpay.promptpay_payload(args.id, amount)
        if args.png:
            promptpay.write_promptpay_qr_png(payload, args.png)
    except promptpay.PromptPayError as exc:
        raise UsageError(exc.code, str(exc)) from exc
    except OSError as exc:
        raise EnvironmentProblem(
            "env.write_failed", f"cannot write {args.png}: {exc.strerror}"
        ) from exc
    if args.png:
        print(f"QR image written to {args.png}", file=sys.stderr)
    print(payload)
    return EXIT_OK


def cmd_app(args: argparse.Namespace) -> int:
    from minichat_desktop.ui.app import run_app

    return run_app(args)


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="minichat",
        description="MiniChat Desktop: the shop's point of sale and "
        "chat manager. Without a command, opens the app.",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder (default: MINICHAT_DATA_DIR or the OS user-data folder)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="open the demo shop with a local relay and a widget test page",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    p.set_defaults(func=cmd_app)
    sub = p.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=func)
        return sp

    add("demo-data", cmd_demo_data, "fill the data folder with the demo shop")
    db = add("db", lambda a: _help(db), "database maintenance")
    dbsub = db.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    add("upgrade", cmd_db_upgrade, "bring the database schema up to date (backs up first)", dbsub)
    add(
        "backup", cmd_backup, "back up the database to FILE (safe while the app runs)"
    ).add_argument("file", metavar="FILE")
    add(
        "restore",
        cmd_restore,
        "replace the database with the backup FILE (the current one is backed up first)",
    ).add_argument("file", metavar="FILE")

    products = add("products", lambda a: _help(products), "the catalog")
    psub = products.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    add(
        "import",
        cmd_products_import,
        "import products from a CSV or XLSX file (all or nothing; upsert by SKU)",
        psub,
    ).add_argument("file", metavar="FILE")
    add("export", cmd_products_export, "export products to XLSX or CSV", psub).add_argument(
        "file", metavar="FILE"
    )
    add(
        "template", cmd_products_template, "write an import template (XLSX or CSV)", psub
    ).add_argument("file", metavar="FILE")
    s = add("search", cmd_products_search, "search products (Thai or English, SKU, barcode)", psub)
    s.add_argument("query", metavar="QUERY")
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--category")
    s.add_argument("--min-price", metavar="BAHT")
    s.add_argument("--max-price", metavar="BAHT")
    s.add_argument("--in-stock", action="store_true")
    s.add_argument("--all", action="store_true", help="include inactive products")

    ords = add("orders", lambda a: _help(ords), "orders")
    osub = ords.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    ol = add("list", cmd_orders_list, "list orders, newest first", osub)
    ol.add_argument("--status", help="one status or several, comma-separated")
    ol.add_argument("--channel", choices=["widget", "line", "pos", "manual"])
    ol.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    ol.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    ol.add_argument("--search", help="order number, phone or name")
    ol.add_argument("--limit", type=int, default=200)
    ol.add_argument("--json", action="store_true", help="print JSON")
    oe = add("export", cmd_orders_export, "export orders to XLSX or CSV", osub)
    oe.add_argument("file", metavar="FILE")
    oe.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    oe.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")

    pp = add("promptpay", cmd_promptpay, "make a PromptPay QR payload (and image)")
    pp.add_argument("--id", required=True, help="mobile number, 13-digit ID or e-wallet ID")
    pp.add_argument("--amount", help="exact amount in baht, e.g. 1250.50")
    pp.add_argument("--png", metavar="FILE", help="also write the QR code as a PNG image")

    from minichat_desktop.commands import register_all

    register_all(add, sub)
    return p


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USER


def _log_file(data_path: Path) -> Path:
    return data_path / "logs" / "minichat.log"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_path = paths.data_dir(args.data_dir)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems:
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        return EXIT_USER
    except EnvironmentProblem as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ENV
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`minichat orders list | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        path = _log_file(args.data_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} {sys.argv!r}\n")
                fh.write(traceback.format_exc())
            where = f"details are in {path}"
        except OSError:
            where = "the log could not be written"
        print(f"internal error: MiniChat hit a bug; {where}", file=sys.stderr)
        return EXIT_ENV


if __name__ == "__main__":
    sys.exit(main())
