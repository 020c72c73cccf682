"""``minichat order-messages show|set|reset``: the messages a shopper gets in their chat when
their order moves (see :mod:`minichat_desktop.domain.sales.order_notify`). ``set EVENT TEXT`` checks
the placeholders first: an unknown one (or a stray brace) exits 2 naming it, nothing stored."""

from __future__ import annotations

import argparse

from minichat_desktop.commands.common import CommandSet


def cmd_show(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales import order_notify
    from minichat_desktop.storage.db import Database

    db = Database.open(args.data_path)
    try:
        with db.read() as s:
            templates = order_notify.get_templates(s)
    finally:
        db.dispose()
    for event in order_notify.EVENTS:
        mark = "" if templates[event] == order_notify.DEFAULT_TEMPLATES[event] else " (edited)"
        print(f"[{event}]{mark}")
        print(templates[event])
        print()
    print("placeholders: " + " ".join("{" + n + "}" for n in order_notify.PLACEHOLDERS))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales import order_notify
    from minichat_desktop.storage.db import Database

    text = args.text.replace("\\n", "\n")
    order_notify.validate_template(args.event, text)  # before opening the database
    db = Database.open(args.data_path)
    try:
        with db.write() as s:
            order_notify.save_templates(s, {args.event: text})
    finally:
        db.dispose()
    print(f"message for {args.event} saved")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.sales import order_notify
    from minichat_desktop.storage.db import Database

    db = Database.open(args.data_path)
    try:
        with db.write() as s:
            if args.event:
                order_notify.validate_template(args.event, "-")  # a known event?
                order_notify.save_templates(
                    s, {args.event: order_notify.DEFAULT_TEMPLATES[args.event]}
                )
            else:
                order_notify.reset_templates(s)
    finally:
        db.dispose()
    print(f"standard message restored for {args.event or 'every event'}")
    return 0


def register(commands: CommandSet) -> None:
    add = commands.add
    msub = commands.group("order-messages", "messages sent to shoppers as orders move")
    add("show", cmd_show, "print every event's message", msub)
    sp = add("set", cmd_set, "set one event's message (\\n for a new line)", msub)
    sp.add_argument("event", help="confirmed, paid, processing, shipped, tracking, …")
    sp.add_argument("text", help="the message, with placeholders such as {order_number}")
    rp = add("reset", cmd_reset, "go back to the standard message", msub)
    rp.add_argument("event", nargs="?", help="one event (default: all)")
