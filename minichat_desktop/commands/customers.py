"""``minichat customers rfm|export`` and ``minichat broadcasts list|send-due``.

- ``customers rfm``: recompute the RFM scores and segments from the orders; prints the count
  per segment as JSON.
- ``customers export OUT [--status S] [--segment S] [--tag T] [--search Q]``: the customers
  matching the filters to OUT (.xlsx or .csv, Thai headers).
- ``broadcasts list``: every broadcast with its recipient counts, as JSON lines.
- ``broadcasts send-due``: resolve the broadcasts that are due and queue all their messages
  in the outbox (they leave when the app is connected to the relay); prints what was queued.

Exit codes as for every command: 0 done, 2 a usage error (bad extension, unknown segment),
1 the environment (disk, locked database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from minichat_desktop.commands.common import CommandSet
from minichat_desktop.errors import UserError

_SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
    "none",
)


def cmd_rfm(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.customers import rfm
    from minichat_desktop.storage.db import Database

    db = Database.open(args.data_path)
    try:
        with db.write() as s:
            result = rfm.recompute(s, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    print(
        json.dumps(
            {
                "customers": result.customers,
                "segments": dict(sorted(result.segments.items())),
                "monetary_by_quintile": result.monetary_by_quintile,
            },
            ensure_ascii=False,
        )
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from minichat_desktop.app import customer_book
    from minichat_desktop.storage.db import Database

    out = Path(args.out)
    if out.is_dir():
        raise UserError("cli.out_is_folder", f"{out} is a folder; give the file to write")
    if args.segment and args.segment not in _SEGMENTS:
        raise UserError(
            "cli.bad_segment",
            f"unknown segment {args.segment!r}; use one of {', '.join(_SEGMENTS)}",
        )
    db = Database.open(args.data_path)
    try:
        with db.read() as s:
            result = customer_book.export_customers(
                s, out, search=args.search, status=args.status, tag=args.tag,
                segment=args.segment,
            )  # fmt: skip
    finally:
        db.dispose()
    print(json.dumps({"file": str(result.path), "rows": result.rows}, ensure_ascii=False))
    return 0


def cmd_broadcasts_list(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.marketing import broadcasts
    from minichat_desktop.storage.db import Database

    db = Database.open(args.data_path)
    try:
        with db.read() as s:
            views = broadcasts.list_broadcasts(s)
    finally:
        db.dispose()
    for b in views:
        print(
            json.dumps(
                {
                    "id": b.id,
                    "title": b.title,
                    "status": b.status,
                    "scheduled_at": b.scheduled_at.isoformat() if b.scheduled_at else None,
                    "sent_at": b.sent_at.isoformat() if b.sent_at else None,
                    "recipients": b.recipients,
                },
                ensure_ascii=False,
            )
        )
    return 0


def cmd_send_due(args: argparse.Namespace) -> int:
    from minichat_desktop.app import marketing
    from minichat_desktop.storage.db import Database

    db = Database.open(args.data_path)
    try:
        report = marketing.send_due_broadcasts(db, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    print(
        json.dumps(
            {
                "queued": report.queued,
                "started": list(report.started),
                "finished": list(report.finished),
            }
        )
    )
    return 0


def register(commands: CommandSet) -> None:
    add = commands.add
    cust = commands.group("customers", "customers: RFM segments and export")
    add("rfm", cmd_rfm, "recompute RFM scores and segments from the orders", cust)
    e = add("export", cmd_export, "write the customers to an .xlsx or .csv file", cust)
    e.add_argument("out", metavar="OUT", help="the file to write (.xlsx or .csv)")
    e.add_argument("--status", help="pipeline status: new, contacted, qualified, converted, lost")
    e.add_argument("--segment", help="RFM segment (none: never bought)")
    e.add_argument("--tag", help="customers with this tag")
    e.add_argument("--search", default="", help="name, phone, e-mail or notes")
    bro = commands.group("broadcasts", "broadcasts to customers through the widget and LINE")
    add("list", cmd_broadcasts_list, "every broadcast with its recipient counts (JSON)", bro)
    add("send-due", cmd_send_due, "queue the messages of broadcasts that are due", bro)
