"""``minichat bot …``: the sales bot from the command line.

``minichat bot classify TEXT [--json]`` prints what the bot understands of one message;
``minichat bot classify - [--json]`` reads one message a line from stdin and prints one result a
line (a blank line gives ``{"intent": "unknown", "confidence": 0.0, "entities": {}}``, so output
line N always answers input line N). Products are matched against the catalog of the data
folder when it has a database (``--no-catalog`` skips it; a missing database is not created).

``minichat bot recommend TEXT [--limit N] [--lang th|en] [--json]`` shows what the bot would
recommend for a message in this shop: the template text and the product cards (JSON: the
protocol message body and each recommendation's score and reasons). It needs the data folder's
database.

``minichat bot context-ttl [MINUTES]`` shows or sets how long the bot remembers a
conversation (products, budget, colour, size, stage) after its last message: 1 to 1440
minutes, default 30.

:mod:`~minichat_desktop.commands.bot_chat` adds ``chat``, ``switch`` and ``ai`` to the same
group (it comes after this module in :data:`minichat_desktop.commands.REGISTRY`).

Exit codes as for every command: 0 done, 2 a usage error (empty TEXT), 1 the environment.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minichat_desktop.commands.common import EXIT_OK, CommandSet, UsageError, open_db


def register(commands: CommandSet) -> None:
    bot = commands.group("bot", "the sales bot: understanding, recommendations, chat")
    c = commands.add(
        "classify",
        cmd_bot_classify,
        "show the intent and entities the bot reads in TEXT (-: one message a line from stdin)",
        bot,
    )
    c.add_argument("text", metavar="TEXT", help="the message, or - for stdin")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.add_argument(
        "--no-catalog", action="store_true", help="do not match products against the catalog"
    )
    r = commands.add(
        "recommend",
        cmd_bot_recommend,
        "show the products the bot recommends for TEXT, with its words and cards",
        bot,
    )
    r.add_argument("text", metavar="TEXT", help="the shopper's message")
    r.add_argument("--limit", type=int, default=3, help="how many products (1-12, default 3)")
    r.add_argument("--lang", choices=["th", "en"], default="th", help="language of the words")
    r.add_argument("--json", action="store_true", help="print JSON")
    t = commands.add(
        "context-ttl",
        cmd_bot_context_ttl,
        "show or set how many minutes the bot remembers a conversation (default 30)",
        bot,
    )
    t.add_argument("minutes", metavar="MINUTES", nargs="?", help="1 to 1440")


def _catalog(args: argparse.Namespace) -> Any:
    """The data folder's catalog matcher, or None when there is no database there."""
    if args.no_catalog:
        return None
    from minichat_desktop import paths
    from minichat_desktop.domain.bot.catalog_match import CatalogMatcher
    from minichat_desktop.storage.db import Database

    if not paths.database_path(args.data_path).exists():
        return None
    db = Database.open(args.data_path, backup=True)
    try:
        with db.read() as session:
            return CatalogMatcher.load(session)
    finally:
        db.dispose()


def _human(result: Any) -> str:
    parts = [f"{result.intent} ({result.confidence:.2f})"]
    for key, value in result.entities.items():
        if key == "product":
            value = ", ".join(f"{p['sku']} {p['name']} ({p['score']:.2f})" for p in value)
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"  {key}: {value}")
    return "\n".join(parts)


def cmd_bot_classify(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot import nlu

    if args.text != "-" and not args.text.strip():
        raise UsageError("bot.empty_text", "TEXT is empty; give a message or - to read stdin")
    catalog = _catalog(args)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # Thai, whatever the console's code page
    if args.text != "-":
        result = nlu.classify(args.text, catalog)
        print(result.to_json() if args.json else _human(result))
        return EXIT_OK
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")
    for line in stdin:
        result = nlu.classify(line.rstrip("\r\n"), catalog)
        print(result.to_json() if args.json else _human(result), flush=not args.json)
    return EXIT_OK


def cmd_bot_recommend(args: argparse.Namespace) -> int:
    from minichat_desktop import paths
    from minichat_desktop.domain.bot import nlu
    from minichat_desktop.domain.bot import recommend as rec
    from minichat_desktop.domain.bot.catalog_match import CatalogMatcher
    from minichat_desktop.domain.bot.templates import phrase_recommendations
    from minichat_desktop.domain.thai import format_baht
    from minichat_desktop.storage.db import Database

    if not args.text.strip():
        raise UsageError("bot.empty_text", "TEXT is empty; give the shopper's message")
    if not 1 <= args.limit <= 12:
        raise UsageError("bot.bad_limit", f"--limit {args.limit} is out of range (1 to 12)")
    if not paths.database_path(args.data_path).exists():
        raise UsageError(
            "bot.no_database",
            f"there is no shop database in {args.data_path}; choose the folder with --data-dir",
        )
    db = Database.open(args.data_path)
    try:
        with db.read() as session:
            result = nlu.classify(args.text, CatalogMatcher.load(session))
            criteria = rec.Criteria.from_classification(result)
            recs = rec.recommend(session, criteria, args.limit)
    finally:
        db.dispose()
    words = phrase_recommendations(recs, args.lang, criteria)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.json:
        import json

        message = rec.to_message(recs, args.lang, words)
        body = None
        if message is not None:
            body = {"kind": message.KIND.value, **message.to_obj()}
        print(
            json.dumps(
                {
                    "intent": result.intent,
                    "text": words,
                    "message": body,
                    "recommendations": [
                        {
                            "product_id": r.product_id,
                            "sku": r.sku,
                            "name": r.name(args.lang),
                            "price_satang": r.price_satang,
                            "in_stock": r.in_stock,
                            "score": r.score,
                            "reasons": list(r.reasons),
                        }
                        for r in recs
                    ],
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(words)
    for r in recs:
        stock = "" if r.stock is None else f"  stock {r.stock}"
        print(
            f"  {r.sku:<12} {format_baht(r.price_satang):>10}  score {r.score:6.1f}{stock}  "
            f"({', '.join(r.reasons)})"
        )
    return EXIT_OK


def cmd_bot_context_ttl(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot import context

    minutes: int | None = None
    if args.minutes is not None:
        try:
            minutes = int(args.minutes)
        except ValueError as exc:
            raise UsageError(
                "bot.bad_ttl", f"MINUTES {args.minutes!r} is not a whole number (e.g. 30)"
            ) from exc
    db = open_db(args)
    try:
        if minutes is None:
            with db.read() as session:
                print(
                    f"the bot remembers a conversation for {context.ttl_minutes(session)} minutes"
                )
            return EXIT_OK
        with db.write() as session:
            context.set_ttl_minutes(session, minutes)
    finally:
        db.dispose()
    print(f"the bot now remembers a conversation for {minutes} minutes")
    return EXIT_OK
