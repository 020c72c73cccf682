"""``minichat products import|export|template|search``: the catalog from the command line.

- ``import FILE``: products from a CSV or XLSX file, all or nothing, upserted by SKU.
- ``export FILE``: every product to XLSX or CSV (chosen by the extension).
- ``template FILE``: an empty import file with the headers and an example row.
- ``search QUERY``: products by Thai or English name, SKU or barcode, with filters; ``--json``
  prints prices as exact numbers.

Exit codes as for every command: 0 done, 2 a user error (a bad file, amount or limit), 1 the
environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minichat_desktop.commands.common import (
    EXIT_OK,
    CommandSet,
    UsageError,
    open_db,
    parse_amount,
    print_json,
)


def register(commands: CommandSet) -> None:
    products = commands.group("products", "the catalog")
    commands.add(
        "import",
        cmd_products_import,
        "import products from a CSV or XLSX file (all or nothing; upsert by SKU)",
        products,
    ).add_argument("file", metavar="FILE")
    commands.add(
        "export", cmd_products_export, "export products to XLSX or CSV", products
    ).add_argument("file", metavar="FILE")
    commands.add(
        "template", cmd_products_template, "write an import template (XLSX or CSV)", products
    ).add_argument("file", metavar="FILE")
    s = commands.add(
        "search", cmd_products_search, "search products (Thai or English, SKU, barcode)", products
    )
    s.add_argument("query", metavar="QUERY")
    s.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="show the best N matches (default 20, at most 500); standard error says when "
        "more products match",
    )
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--category")
    s.add_argument("--min-price", metavar="BAHT")
    s.add_argument("--max-price", metavar="BAHT")
    s.add_argument("--in-stock", action="store_true")
    s.add_argument("--all", action="store_true", help="include inactive products")


def cmd_products_search(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.thai import decimal_to_satang, format_baht, satang_to_decimal

    if not 1 <= args.limit <= catalog.MAX_SEARCH_LIMIT:
        raise UsageError(
            "cli.bad_limit", f"--limit must be between 1 and {catalog.MAX_SEARCH_LIMIT}"
        )
    filters = catalog.SearchFilters(
        category=args.category,
        price_min_satang=decimal_to_satang(parse_amount(args.min_price))
        if args.min_price
        else None,
        price_max_satang=decimal_to_satang(parse_amount(args.max_price))
        if args.max_price
        else None,
        in_stock=args.in_stock,
        active_only=not args.all,
    )
    db = open_db(args)
    with db.read() as session:
        hits = catalog.search_products(session, args.query, limit=args.limit + 1, filters=filters)
    if len(hits) > args.limit:
        hits = hits[: args.limit]
        print(
            f"showing the best {args.limit} matches; more products match "
            "(--limit N shows more, or narrow the search)",
            file=sys.stderr,
        )
    if args.json:
        print_json(
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

    db = open_db(args)
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

    db = open_db(args)
    with db.read() as session:
        result = exporter.export_products(session, Path(args.file))
    print(f"exported {result.rows} product rows to {result.path}")
    return EXIT_OK


def cmd_products_template(args: argparse.Namespace) -> int:
    from minichat_desktop.formats import importer

    importer.write_template(Path(args.file))
    print(f"import template written to {args.file}")
    return EXIT_OK
