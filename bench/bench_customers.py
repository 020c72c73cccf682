"""RFM and broadcasts on a busy shop: ``rfm.recompute``, ``broadcasts.preview_audience`` and
``broadcasts.send_due``.

A fresh disk database with ``--customers`` customers (default 30,000), ``--orders`` orders
(default 100,000, over a year, ~85 % paid) and one chat for ~60 % of the customers (widget or
LINE, a few blocked the shop), inserted with Core bulk inserts.

Printed: ``rfm.recompute`` median of ``--repeat`` runs (target ≤ 1 s for 100k orders) and
``rfm.refresh`` finding the scores fresh (target ≤ 50 ms: every opening of the Customers
screen asks it, off the UI thread, holding the write lock); the
audience preview for everyone and for two segments (target ≤ 300 ms: it runs as the owner
ticks boxes); one ``send_due`` batch of 500 recipients (target ≤ 1 s: it holds the write
lock) and the whole resolve of a broadcast to every customer.

    .venv/bin/python bench/bench_customers.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from minichat_desktop.domain.customers import rfm
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.models import Conversation, Customer, Order
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 12, 31, 5, 0, tzinfo=dt.UTC)


def build(db: Database, n_customers: int, n_orders: int, rng: random.Random) -> None:
    with db.write() as s:
        s.execute(
            insert(Customer),
            [
                {
                    "id": i,
                    "name": f"ลูกค้า {i}",
                    "phone": f"08{i:08d}",
                    "status": rng.choice(["new", "contacted", "qualified", "converted", "lost"]),
                    "tags": rng.choice([[], ["vip"], ["ขายส่ง"], ["vip", "ขายส่ง"]]),
                    "opted_out": rng.random() < 0.03,
                    "created_at": NOW - dt.timedelta(days=400),
                }
                for i in range(1, n_customers + 1)
            ],
        )
        # a few loyal buyers buy most (as in a real shop)
        weights = [1.0 / (1 + (i % 97)) for i in range(n_customers)]
        buyers = rng.choices(range(1, n_customers + 1), weights=weights, k=n_orders)
        s.execute(
            insert(Order),
            [
                {
                    "number": f"MC{k:07d}",
                    "channel": "line",
                    "status": "delivered",
                    "customer_id": cid,
                    "subtotal_satang": (amount := rng.randint(100, 5000) * 100),
                    "total_satang": amount,
                    "payment_method": "promptpay",
                    "payment_status": "paid" if rng.random() < 0.85 else "pending",
                    "created_at": NOW - dt.timedelta(seconds=rng.randint(0, 365 * 86400)),
                }
                for k, cid in enumerate(buyers)
            ],
        )
        convs = []
        for i in range(1, n_customers + 1):
            if rng.random() < 0.6:
                line = rng.random() < 0.5
                convs.append(
                    {
                        "ref": f"line:U{i:032x}" if line else f"widget:s{i:010d}",
                        "channel": "line" if line else "widget",
                        "customer_id": i,
                        "following": not (line and rng.random() < 0.05),
                        "tags": [],
                        "last_message_at": NOW - dt.timedelta(minutes=rng.randint(1, 500_000)),
                        "created_at": NOW - dt.timedelta(days=300),
                    }
                )
        s.execute(insert(Conversation), convs)


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=30_000)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-customers-"))
    try:
        db = Database.open(folder, backup=False)
        t0 = time.perf_counter()
        build(db, args.customers, args.orders, random.Random(7))
        print(f"built {args.customers:,} customers, {args.orders:,} orders in {ms(t0):,.0f} ms")

        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with db.write() as s:
                result = rfm.recompute(s, NOW)
            times.append(ms(t0))
        print(
            f"rfm.recompute: median {statistics.median(times):,.0f} ms, max {max(times):,.0f} ms"
            f" ({result.customers:,} scored; quintiles={result.monetary_by_quintile}) target 1000"
        )
        print("  segments:", dict(sorted(result.segments.items())))
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with db.write() as s:
                assert rfm.refresh(s, NOW) is None  # fresh: the Customers screen's every open
            times.append(ms(t0))
        print(f"rfm.refresh when fresh: median {statistics.median(times):,.1f} ms target 50")

        for label, audience in (
            ("everyone", bc.Audience()),
            ("at_risk+cant_lose", bc.Audience(segments=("at_risk", "cant_lose"))),
            ("tag vip, LINE only", bc.Audience(tags=("vip",), channels=("line",))),
        ):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with db.read() as s:
                    pre = bc.preview_audience(s, audience, NOW)
                times.append(ms(t0))
            print(
                f"preview {label}: median {statistics.median(times):,.0f} ms "
                f"({pre.recipients:,} recipients, {pre.opted_out:,} opted out) target 300"
            )

        with db.write() as s:
            b = bc.create_broadcast(s, "bench", title="bench", text="ลดทั้งร้าน 20%")
            bc.send_now(s, b.id, "bench", NOW)
        t0 = time.perf_counter()
        with db.write() as s:
            first = bc.send_due(s, NOW, limit=0)
        print(f"resolve a broadcast to everyone: {ms(t0):,.0f} ms")
        batches = []
        queued = 0
        more = True
        while more:
            t0 = time.perf_counter()
            with db.write() as s:
                rep = bc.send_due(s, NOW)
            batches.append(ms(t0))
            queued += rep.queued
            more = rep.more
        print(
            f"send_due batches of {bc.BATCH}: median {statistics.median(batches):,.0f} ms, "
            f"max {max(batches):,.0f} ms, {queued:,} queued in {len(batches)} batches "
            f"(started {first.started}) target 1000"
        )
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
