"""``minichat orders list|export``: orders from the command line.

- ``list``: newest first, filtered by status, channel, Bangkok dates (``--from``/``--to``,
  both inclusive) and a search; ``--json`` prints totals as exact numbers and times in
  Bangkok.
- ``export FILE``: orders and their items to XLSX or CSV, optionally between dates.

Exit codes as for every command: 0 done, 2 a user error (a bad date or range, an unknown
status), 1 the environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minichat_desktop.commands.common import (
    EXIT_OK,
    CommandSet,
    UsageError,
    bangkok_range,
    bangkok_text,
    open_db,
    print_json,
)

DEFAULT_LIMIT = 200


def register(commands: CommandSet) -> None:
    ords = commands.group("orders", "orders")
    ol = commands.add("list", cmd_orders_list, "list orders, newest first", ords)
    ol.add_argument("--status", help="one status or several, comma-separated")
    ol.add_argument("--channel", choices=["widget", "line", "pos", "manual"])
    ol.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    ol.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    ol.add_argument("--search", help="order number, phone or name")
    ol.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show the newest N orders (default {DEFAULT_LIMIT}; 0 = all). When more orders "
        "match, standard error says how many were left out",
    )
    ol.add_argument("--json", action="store_true", help="print JSON")
    oe = commands.add("export", cmd_orders_export, "export orders to XLSX or CSV", ords)
    oe.add_argument("file", metavar="FILE")
    oe.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    oe.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")


def cmd_orders_list(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales import orders
    from minichat_desktop.domain.thai import format_baht, satang_to_decimal

    if args.limit < 0:
        raise UsageError("cli.bad_limit", "--limit must be 0 (all) or more")
    lo, hi = bangkok_range(args.date_from, args.date_to)
    filters = orders.OrderFilters(
        status=args.status,
        channel=args.channel,
        created_from=lo,
        created_to=hi,
        search=args.search or "",
    )
    db = open_db(args)
    with db.read() as session:
        rows = orders.list_orders(session, filters, limit=args.limit + 1 if args.limit else None)
        if args.limit and len(rows) > args.limit:
            rows = rows[: args.limit]
            total = orders.count_orders(session, filters)
            print(
                f"showing the newest {args.limit} of {total:,} orders; "
                "--limit 0 shows all (or --limit N, --from/--to, --status to narrow)",
                file=sys.stderr,
            )
    if args.json:
        print_json(
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
                    "created_at": bangkok_text(o.created_at),
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
            f"{o.number:<16} {bangkok_text(o.created_at)[:16]:<17} {o.status:<11} "
            f"{o.payment_status:<8} {format_baht(o.total_satang):>12}  {o.customer_name}"
        )
    return EXIT_OK


def cmd_orders_export(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import exporter

    lo, hi = bangkok_range(args.date_from, args.date_to)
    db = open_db(args)
    with db.read() as session:
        result = exporter.export_orders(session, Path(args.file), created_from=lo, created_to=hi)
    print(f"exported {result.rows} orders ({result.items} items) to {result.path}")
    return EXIT_OK
