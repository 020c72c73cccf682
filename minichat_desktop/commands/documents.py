"""``minichat invoice``, ``minichat credit-note``, ``minichat receipt`` and ``minichat label``:
an order's documents as PDF files. Several order numbers make one PDF. The file is written
whole or not at all (a temporary file renamed into place)."""

from __future__ import annotations

import argparse
from pathlib import Path

from minichat_desktop.commands.common import CommandSet, open_db
from minichat_desktop.errors import UserError


def _out(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.is_dir():
        raise UserError(
            "cli.out_is_folder", f"{out} is a folder; give the PDF file to write, e.g. {out}/x.pdf"
        )
    return out


def _done(out: Path, what: str, n: int) -> int:
    print(f"{what} for {n} order{'s' if n != 1 else ''} written to {out}")
    return 0


def cmd_invoice(args: argparse.Namespace) -> int:
    from minichat_desktop.documents import api
    from minichat_desktop.domain.sales.tax_documents import Buyer

    out = _out(args)
    given = [args.buyer_name, args.buyer_address, args.buyer_tax_id, args.buyer_branch]
    if any(v is not None for v in given):
        if len(args.orders) != 1:
            raise UserError(
                "cli.buyer_for_one", "--buyer-… options go with one order number at a time"
            )
        buyer = Buyer(
            name=args.buyer_name or "",
            address=args.buyer_address or "",
            tax_id=args.buyer_tax_id or "",
            branch=args.buyer_branch or "",
        )
        pdf = api.invoice_pdf(
            open_db(args), args.orders[0], actor="cli", buyer=buyer, copy=args.copy
        )
    else:
        try:
            pdf = api.invoices_pdf(open_db(args), args.orders, actor="cli", copy=args.copy)
        except UserError as exc:
            if exc.code != "document.buyer_required":
                raise
            raise UserError(
                exc.code,
                f"{exc.message}; give them with --buyer-name and --buyer-address",
                **dict(exc.params),
            ) from exc
    api.write_atomically(out, pdf)
    return _done(out, "invoice", len(args.orders))


def cmd_credit_note(args: argparse.Namespace) -> int:
    from minichat_desktop.documents import api
    from minichat_desktop.domain.sales.tax_documents import DocumentKind

    out = _out(args)
    db = open_db(args)
    parts = [
        api.credit_note_pdf(db, ref, actor="cli", copy=args.copy)
        if ref.strip().upper().startswith("CN")  # by number; else the order's newest
        else api.invoice_pdf(db, ref, actor="cli", kind=DocumentKind.CREDIT_NOTE, copy=args.copy)
        for ref in args.orders
    ]
    api.write_atomically(out, api.merge_pdfs(parts))
    return _done(out, "credit note", len(args.orders))


def cmd_receipt(args: argparse.Namespace) -> int:
    from minichat_desktop.documents import api

    out = _out(args)
    pdf = api.receipts_pdf(open_db(args), args.orders, width=args.width, actor="cli")
    api.write_atomically(out, pdf)
    return _done(out, f"{args.width} mm receipt", len(args.orders))


def cmd_label(args: argparse.Namespace) -> int:
    from minichat_desktop.documents import api

    out = _out(args)
    pdf = api.labels_pdf(open_db(args), args.orders, four_up=args.four_up)
    api.write_atomically(out, pdf)
    return _done(out, "shipping label" + (" (4 per A4)" if args.four_up else ""), len(args.orders))


def _order_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("orders", nargs="+", metavar="ORDER_NUMBER", help="e.g. MC-2026-000123")
    p.add_argument("out", metavar="OUT.pdf", help="the PDF file to write")


def register(commands: CommandSet) -> None:
    add = commands.add
    inv = add(
        "invoice",
        cmd_invoice,
        "write the A4 tax invoice (or receipt, for a shop without VAT) of paid orders to a PDF; "
        "a number is issued the first time, reprints keep it",
    )
    _order_args(inv)
    inv.add_argument("--copy", action="store_true", help="mark it as a copy (สำเนา)")
    inv.add_argument("--buyer-name", metavar="NAME", help="buyer on a full tax invoice issued now")
    inv.add_argument("--buyer-address", metavar="ADDRESS", help="the buyer's address")
    inv.add_argument("--buyer-tax-id", metavar="ID", help="the buyer's 13-digit tax ID")
    inv.add_argument(
        "--buyer-branch", metavar="BRANCH", help="the buyer's branch (00000: head office)"
    )
    cn = add(
        "credit-note",
        cmd_credit_note,
        "write A4 credit notes (ใบลดหนี้) to a PDF: by number (CN2026-000002), or an order's "
        "newest; each refund of a sale that had a tax invoice issues one",
    )
    cn.add_argument(
        "orders",
        nargs="+",
        metavar="NUMBER",
        help="a credit note number (CN…) or an order number (its newest credit note)",
    )
    cn.add_argument("out", metavar="OUT.pdf", help="the PDF file to write")
    cn.add_argument("--copy", action="store_true", help="mark it as a copy (สำเนา)")
    rec = add(
        "receipt",
        cmd_receipt,
        "write the counter receipt (abbreviated tax invoice for a VAT shop) of paid orders to a "
        "PDF on an 80 or 58 mm roll",
    )
    _order_args(rec)
    rec.add_argument("--width", type=int, choices=(80, 58), default=80, help="paper width, mm")
    lab = add(
        "label",
        cmd_label,
        "write 100 x 150 mm shipping labels of orders to one PDF",
    )
    _order_args(lab)
    lab.add_argument("--four-up", action="store_true", help="four labels on each A4 sheet")
