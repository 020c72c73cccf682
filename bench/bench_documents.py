"""Printed documents: A4 tax invoices and batches of shipping labels, drawn with reportlab
(Thai shaped by HarfBuzz) from the demo shop.

1. Invoice PDF: ``render_invoice`` of one document (its data gathered and its number issued
   beforehand), after a warm-up; median and p95 per invoice, and the same through
   ``documents.api.invoice_pdf`` (reading the database, an issued number reused).
2. Labels: ``documents.api.labels_pdf`` of ``--labels`` orders (default 200) in one PDF,
   single 100 × 150 mm pages and four to an A4 sheet.

Targets: invoice PDF ≤ 50 ms each after warm-up (median); 200 labels in one PDF ≤ 10 s. The
CPU time per invoice is printed too: on a busy machine wall time measures the neighbours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from minichat_desktop.demo.shop import fill_demo_shop
from minichat_desktop.documents import api
from minichat_desktop.documents.invoice import render_invoice
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.storage.db import Database

TARGET_INVOICE_MS = 50.0
TARGET_LABELS_S = 10.0


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=60, help="invoices timed after warm-up")
    ap.add_argument("--labels", type=int, default=200)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    try:
        db = Database.open(folder, backup=False)
        fill_demo_shop(db, now=dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC))
        with db.read() as s:
            rows = orders.list_orders(s, limit=100_000)
        paid = [o for o in rows if o.payment_status == "paid" and o.channel != "pos"]
        shippable = [o for o in rows if o.channel != "pos"]
        with db.write() as s:
            data = [docs.issue_and_gather(s, o.id, "bench") for o in paid[:20]]

        for d in data[:5]:  # warm-up: fonts, glyph caches, imports
            render_invoice(d)
        times, cpu = [], []
        size = 0
        for i in range(args.invoices):
            t0, c0 = time.perf_counter(), time.process_time()
            pdf = render_invoice(data[i % len(data)])
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            size += len(pdf)
        med, p95 = statistics.median(times), pct(times, 95)
        print(
            f"invoice PDF (render only): median {med:.1f} ms, p95 {p95:.1f} ms "
            f"(CPU median {statistics.median(cpu):.1f} ms: the figure when other work shares "
            f"the cores), {size / len(times) / 1024:.0f} KB each ({len(times)} invoices, "
            f"{len(data)} orders)"
        )
        api_times = []
        for i in range(min(args.invoices, 40)):
            t0 = time.perf_counter()
            api.invoice_pdf(db, paid[i % len(data)].id, actor="bench")
            api_times.append((time.perf_counter() - t0) * 1000)
        print(
            f"invoice PDF (api, reprint from the database): median "
            f"{statistics.median(api_times):.1f} ms, p95 {pct(api_times, 95):.1f} ms"
        )
        print(
            f"target: invoice ≤ {TARGET_INVOICE_MS:.0f} ms each "
            f"{'OK' if med <= TARGET_INVOICE_MS else 'MISSED'}"
        )

        ids = [shippable[i % len(shippable)].id for i in range(args.labels)]
        results = {}
        for four_up in (False, True):
            t0 = time.perf_counter()
            pdf = api.labels_pdf(db, ids, four_up=four_up)
            elapsed = time.perf_counter() - t0
            results[four_up] = elapsed
            print(
                f"{len(ids)} labels in one PDF ({'4 per A4' if four_up else '100 x 150 mm'}): "
                f"{elapsed:.2f} s ({elapsed / len(ids) * 1000:.1f} ms a label, "
                f"{len(pdf) / 1024:.0f} KB)"
            )
        worst = max(results.values())
        print(
            f"target: {args.labels} labels ≤ {TARGET_LABELS_S:.0f} s "
            f"{'OK' if worst <= TARGET_LABELS_S else 'MISSED'}"
        )
        db.dispose()
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
