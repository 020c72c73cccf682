"""``minichat orders list|export``: orders from the command line.

- ``list``: newest first, filtered by status, channel, Bangkok dates (``--from``/``--to``,
  both inclusive) and a search; ``--json`` prints totals as exact numbers and times in
  Bangkok.
- ``export FILE``: orders and their items to XLSX or CSV, optionally between dates.
- ``refund NUMBER``: give back some units (``--line SKU:QTY``), an amount off a line
  (``--amount SKU:BAHT``, a price reduction), the shipping (``--shipping``), or with
  ``--all`` everything still refundable; ``--restock`` puts returned units back into stock.
  A sale with a tax invoice gets a credit note for exactly that refund (its buyer from
  ``--buyer-name``/``--buyer-address`` when the invoice names nobody).

Exit codes as for every command: 0 done, 2 a user error (a bad date or range, an unknown
status, more refunded than a line has left), 1 the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from minichat_desktop.commands.common import (
    EXIT_OK,
    CommandSet,
    SubParsers,
    UsageError,
    bangkok_range,
    bangkok_text,
    open_db,
    print_json,
)
from minichat_desktop.errors import UserError

if TYPE_CHECKING:
    from minichat_desktop.domain.sales.refunds import RefundView
    from minichat_desktop.domain.sales.tax_documents import Buyer
    from minichat_desktop.storage.db import Database

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
    _register_refund(commands, ords)


def _register_refund(commands: CommandSet, ords: SubParsers) -> None:
    rf = commands.add(
        "refund",
        cmd_orders_refund,
        "refund part or all of a paid order; a sale with a tax invoice gets a credit note for "
        "exactly the refund",
        ords,
    )
    rf.add_argument("number", metavar="ORDER_NUMBER", help="e.g. MC-2026-000123")
    rf.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="SKU:QTY",
        help="give back QTY units of the line with this SKU (repeat for more lines)",
    )
    rf.add_argument(
        "--amount",
        action="append",
        default=[],
        metavar="SKU:BAHT",
        help="take BAHT off the line with this SKU, no goods back (a price reduction)",
    )
    rf.add_argument("--shipping", action="store_true", help="refund the shipping too")
    rf.add_argument("--all", action="store_true", help="refund everything still refundable")
    rf.add_argument("--reason", required=True, help="why (printed on the credit note)")
    rf.add_argument("--restock", action="store_true", help="the returned units go back into stock")
    rf.add_argument("--buyer-name", metavar="NAME", help="buyer on the credit note")
    rf.add_argument("--buyer-address", metavar="ADDRESS", help="the buyer's address")
    rf.add_argument("--json", action="store_true", help="print JSON")


def _pairs(values: list[str], option: str, parse: Callable[[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for text in values:
        sku, sep, value = text.rpartition(":")
        if not sep or not sku.strip():
            raise UsageError(
                "cli.bad_refund_line",
                f"{option} {text!r} should be SKU:{'QTY' if option == '--line' else 'BAHT'}",
                value=text,
            )
        out[sku.strip()] = out.get(sku.strip(), 0) + parse(value.strip(), text)
    return out


def _quantity(value: str, text: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise UsageError(
            "cli.bad_refund_line", f"--line {text!r}: the quantity is a whole number of units"
        )
    return int(value)


def _satang(value: str, text: str) -> int:
    from minichat_desktop.domain.thai import ThaiFormatError, parse_baht

    try:
        return parse_baht(value)
    except ThaiFormatError as exc:
        raise UsageError("cli.bad_amount", f"--amount {text!r}: {exc}", value=text) from exc


def _refund(
    db: Database,
    args: argparse.Namespace,
    units: dict[str, int],
    money: dict[str, int],
    buyer: Buyer | None,
) -> RefundView:
    from minichat_desktop.domain.models import OrderStatus
    from minichat_desktop.domain.sales import orders, refunds

    with db.write() as session:
        if args.all:
            order_id = orders.get_order_by_number(session, args.number).id
            orders.change_status(
                session, order_id, OrderStatus.REFUNDED, "cli", args.reason, buyer=buyer
            )
            done = refunds.list_refunds(session, order_id)[-1]
        else:
            left = refunds.refundable(session, args.number)
            request = refunds.RefundRequest(
                quantities={left.line_by_sku(k).item_id: v for k, v in units.items()},
                amounts={left.line_by_sku(k).item_id: v for k, v in money.items()},
                shipping=args.shipping,
                reason=args.reason,
                restock=args.restock,
            )
            done = refunds.refund_order(session, args.number, request, "cli", buyer=buyer)
    return done


def cmd_orders_refund(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales.tax_documents import Buyer
    from minichat_desktop.domain.thai import format_baht, satang_to_decimal

    given = (args.buyer_name, args.buyer_address)
    buyer = (
        Buyer(name=args.buyer_name or "", address=args.buyer_address or "")
        if any(v is not None for v in given)
        else None
    )
    units = _pairs(args.line, "--line", _quantity)
    money = _pairs(args.amount, "--amount", _satang)
    if args.all and (units or money or args.shipping):
        raise UsageError("cli.refund_all", "--all refunds everything: give no --line or --amount")
    db = open_db(args)
    try:
        done = _refund(db, args, units, money, buyer)
    except UserError as exc:
        if exc.code != "document.credit_note_buyer_required":
            raise
        raise UserError(
            exc.code,
            f"{exc.message}; give them with --buyer-name and --buyer-address",
            **dict(exc.params),
        ) from exc
    if args.json:
        print_json(
            {
                "order": done.order_number,
                "amount": satang_to_decimal(done.amount_satang),
                "vat": satang_to_decimal(done.vat_satang),
                "credit_note": done.credit_note,
                "order_refunded": done.completes,
                "restocked": done.restocked,
                "lines": [
                    {
                        "sku": ln.sku,
                        "description": ln.description,
                        "quantity": ln.quantity,
                        "amount": satang_to_decimal(ln.amount_satang),
                    }
                    for ln in done.lines
                ],
            }
        )
        return EXIT_OK
    credit = f"; credit note {done.credit_note}" if done.credit_note else "; no credit note"
    whole = " (the order is now refunded in full)" if done.completes else ""
    print(
        f"refunded {format_baht(done.amount_satang, symbol=True)} "
        f"(VAT {format_baht(done.vat_satang, symbol=True)}) on {done.order_number}"
        f"{credit}{whole}"
    )
    return EXIT_OK


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
                    "refunded": satang_to_decimal(o.refunded_satang),
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
