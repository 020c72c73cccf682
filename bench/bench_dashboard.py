"""The dashboard over a year of data: ``dashboard.dashboard`` refresh time.

A fresh disk database with a year (2026, Bangkok) of a busy shop: ``--orders`` orders (default
100,000; ~2.5 lines each, 500 products, every channel, some cancelled and refunded), 30,000
customers, ``--conversations`` chats (default 40,000; 4–16 messages each from the shopper, the
bot and sometimes the owner; most orders come from a chat). Everything is inserted with Core
bulk inserts (not through the use cases) so the build takes seconds.

Then for each range (the whole year, the last 30 days, the last 7 days, one day; "today" is
2026-12-31), as the screen does: the first load with an empty ``DashboardCache`` (answered
directly; three times, each with a new cache: the median is printed), the cache's warm-up
(the screen runs it in the background after showing), then ``--repeat`` refreshes (default
15), each after a change (a counter sale and a chat message today). Printed: refresh median
and p95, the first load, and the same figures computed without the day cache (every row read
again). Target: a refresh ≤ 300 ms for the whole year.

``--data DIR`` keeps the built database in DIR and, when DIR already holds one, runs on a copy
of it instead of building (the build takes about a minute).

    .venv/bin/python bench/bench_dashboard.py [--data /tmp/bench-dashboard-data]
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
from typing import Any

from sqlalchemy import insert

from minichat_desktop.domain.models import (
    ChatMessage,
    Conversation,
    Customer,
    Order,
    OrderItem,
    Product,
    ProductVariant,
)
from minichat_desktop.domain.reporting import dashboard
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.paths import database_path
from minichat_desktop.storage.db import Database

TARGET_MS = 300.0
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=BANGKOK).astimezone(dt.UTC)
YEAR_SECONDS = 365 * 86400
WORDS = ["เสื้อยืด", "กางเกง", "ชาไทย", "กาแฟ", "สบู่", "แชมพู", "กระเป๋า", "รองเท้า", "หมวก"]
STATUSES = ["delivered"] * 7 + ["shipped", "pending", "confirmed", "cancelled", "refunded"]
METHODS = ["promptpay", "promptpay", "bank_transfer", "cash", "cod", "card"]


def _when(rng: random.Random) -> dt.datetime:
    # Busier in the evening: a shop's chats peak 19:00-22:00.
    return YEAR_START + dt.timedelta(seconds=rng.randint(0, YEAR_SECONDS - 1))


def build(folder: Path, n_orders: int, n_conversations: int, seed: int = 3) -> Database:
    db = Database.open(folder, backup=False)
    rng = random.Random(seed)
    with db.write() as s:
        products = [
            {"id": i, "sku": f"P{i:04d}", "name_th": f"{rng.choice(WORDS)} รุ่น {i}",
             "price_satang": rng.randint(50, 2500) * 100, "search_name": ""}
            for i in range(1, 501)
        ]  # fmt: skip
        s.execute(insert(Product), products)
        s.execute(
            insert(ProductVariant),
            [
                {"id": p["id"], "product_id": p["id"], "sku": p["sku"], "stock": 100}
                for p in products
            ],
        )
        # Ids follow time, as in a live database (rows are inserted as things happen).
        joined = sorted(_when(rng) for _ in range(30_000))
        customers = [
            {"id": i, "name": f"ลูกค้า {i}", "phone": f"08{i:08d}", "tags": [],
             "created_at": when, "updated_at": when}
            for i, when in enumerate(joined, start=1)
        ]  # fmt: skip
        s.execute(insert(Customer), customers)
        convs: list[dict[str, Any]] = []
        msgs: list[dict[str, Any]] = []
        starts = sorted(_when(rng) for _ in range(n_conversations))
        for cid, start in enumerate(starts, start=1):
            channel = rng.choice(("line", "line", "widget"))
            t = start
            human = rng.random() < 0.25
            for k in range(rng.randint(2, 8)):
                t += dt.timedelta(seconds=rng.randint(5, 600))
                msgs.append({"conversation_id": cid, "uid": f"i{len(msgs)}", "direction": "in",
                             "author": "shopper", "kind": "text", "text": "มีไหมคะ", "body": {},
                             "created_at": t})  # fmt: skip
                t += dt.timedelta(seconds=rng.randint(1, 90))
                author = "เจ้าของร้าน" if human and k > 0 else "bot"
                msgs.append({"conversation_id": cid, "uid": f"o{len(msgs)}", "direction": "out",
                             "author": author, "kind": "text", "text": "มีค่ะ", "body": {},
                             "state": "read", "created_at": t})  # fmt: skip
            convs.append(
                {"id": cid, "ref": f"{channel}:u{cid}", "channel": channel,
                 "customer_id": rng.randint(1, 30_000),
                 "status": rng.choice(("resolved", "resolved", "active", "escalated")),
                 "mode": "human" if human else "bot", "tags": [], "last_message_at": t,
                 "taken_over_at": start if human else None, "created_at": start}
            )  # fmt: skip
        s.execute(insert(Conversation), convs)
        msgs.sort(key=lambda m: m["created_at"])
        for k in range(0, len(msgs), 50_000):
            s.execute(insert(ChatMessage), msgs[k : k + 50_000])
        del msgs
        # The events the app records with every stored message (conversations.record_inbound,
        # queue_outgoing), in the same order.
        s.connection().exec_driver_sql(
            "INSERT INTO analytics_events (kind, at, conversation_id, customer_id, data)"
            " SELECT CASE m.direction WHEN 'in' THEN 'message_received' ELSE 'message_sent' END,"
            " m.created_at, m.conversation_id, c.customer_id,"
            " CASE WHEN m.direction = 'in' THEN '{}'"
            " WHEN m.author IN ('bot', 'system') THEN '{\"author\": \"' || m.author || '\"}'"
            ' ELSE \'{"author": "human"}\' END'
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.id"
        )
        item_id = 1
        placed = sorted(_when(rng) for _ in range(n_orders))
        for base in range(0, n_orders, 10_000):
            orders_rows: list[dict[str, Any]] = []
            items_rows: list[dict[str, Any]] = []
            for oid in range(base + 1, min(n_orders, base + 10_000) + 1):
                created = placed[oid - 1]
                subtotal = 0
                for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
                    p = rng.choice(products)
                    qty = rng.randint(1, 3)
                    items_rows.append(
                        {"id": item_id, "order_id": oid, "product_id": p["id"],
                         "variant_id": p["id"], "sku": p["sku"], "name": p["name_th"],
                         "unit_price_satang": p["price_satang"], "quantity": qty,
                         "line_total_satang": p["price_satang"] * qty}
                    )  # fmt: skip
                    item_id += 1
                    subtotal += p["price_satang"] * qty
                total = subtotal + rng.choice((0, 3_500, 5_000))
                chat = rng.random() < 0.6
                conv = rng.randint(1, n_conversations) if chat else 0
                channel = convs[conv - 1]["channel"] if chat else rng.choice(("pos", "manual"))
                status = rng.choice(STATUSES)
                orders_rows.append(
                    {"id": oid, "number": f"MC-2026-{oid:06d}", "channel": channel,
                     "status": status, "customer_id": rng.randint(1, 30_000),
                     "subtotal_satang": subtotal, "shipping_satang": total - subtotal,
                     "vat_rate_bp": 700, "vat_satang": total * 7 // 107, "total_satang": total,
                     "payment_method": rng.choice(METHODS),
                     "payment_status": "paid" if status in ("delivered", "shipped") else "pending",
                     "conversation_ref": convs[conv - 1]["ref"] if chat else "",
                     "created_at": created, "updated_at": created}
                )  # fmt: skip
            s.execute(insert(Order), orders_rows)
            s.execute(insert(OrderItem), items_rows)
    # No ANALYZE: the app never runs it, so SQLite plans without statistics here too.
    return db


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))]


def _change(db: Database, n: int) -> None:
    """What happens between two refreshes in a shop: an order at the counter and a chat
    message, today (the last day of the data)."""
    with db.write() as s:
        when = dt.datetime(2026, 12, 31, 12, 0, tzinfo=BANGKOK) + dt.timedelta(seconds=n)
        oid = s.connection().exec_driver_sql("SELECT MAX(id) + 1 FROM orders").scalar_one()
        s.execute(
            insert(Order),
            [{"id": oid, "number": f"MC-2026-9{oid:06d}", "channel": "pos", "status": "delivered",
              "subtotal_satang": 15_000, "vat_rate_bp": 700, "vat_satang": 981,
              "total_satang": 15_000, "payment_method": "cash", "payment_status": "paid",
              "created_at": when, "updated_at": when}],
        )  # fmt: skip
        s.execute(
            insert(OrderItem),
            [{"order_id": oid, "product_id": 1, "variant_id": 1, "sku": "P0001", "name": "x",
              "unit_price_satang": 15_000, "quantity": 1, "line_total_satang": 15_000}],
        )  # fmt: skip
        s.connection().exec_driver_sql(
            "INSERT INTO analytics_events (kind, at, conversation_id, data)"
            " VALUES ('message_received', ?, 1, '{}')",
            (when.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),),
        )


def run_ranges(db: Database, repeat: int) -> None:
    end = dt.date(2026, 12, 31)  # "today": the last day of the data
    ranges = {
        "whole year": (dt.date(2026, 1, 1), end),
        "last 30 days": (end - dt.timedelta(days=29), end),
        "last 7 days": (end - dt.timedelta(days=6), end),
        "one day": (end, end),
    }
    n = 0
    for label, (lo, hi) in ranges.items():
        direct: list[float] = []
        with db.read() as s:
            dashboard.dashboard(s, lo, hi)  # the connection and page cache warm
        for _ in range(max(3, repeat // 3) if label == "whole year" else repeat):
            w = time.perf_counter()
            with db.read() as s:
                data = dashboard.dashboard(s, lo, hi)
            direct.append((time.perf_counter() - w) * 1000)
        firsts = []
        for _ in range(3):
            cache = dashboard.DashboardCache()
            w = time.perf_counter()
            with db.read() as s:
                dashboard.dashboard(s, lo, hi, cache=cache, today=end)
            firsts.append((time.perf_counter() - w) * 1000)
        first = statistics.median(firsts)
        w = time.perf_counter()
        with db.read() as s:
            cache.warm(s, lo, hi, end)  # the screen does this off the UI thread after showing
        warm = (time.perf_counter() - w) * 1000
        refresh: list[float] = []
        for _ in range(repeat):
            n += 1
            _change(db, n)
            w = time.perf_counter()
            with db.read() as s:
                data = dashboard.dashboard(s, lo, hi, cache=cache, today=end)
            refresh.append((time.perf_counter() - w) * 1000)
        med = statistics.median(refresh)
        ok = "ok" if med <= TARGET_MS else "MISSED"
        print(
            f"  {label:<13} refresh after a change {med:6.1f} ms median, p95 "
            f"{pct(refresh, 95):6.1f} ms (target ≤ {TARGET_MS:.0f} ms: {ok}); first load "
            f"{first:6.0f} ms, then the cache's warm-up {warm:6.0f} ms in the background; "
            f"every refresh without the cache {statistics.median(direct):6.0f} ms "
            f"({data.current.orders:,} orders, {data.current.conversations:,} chats)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=40_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--data", type=Path, help="keep the built database here; reuse it if there")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    kept = database_path(args.data) if args.data else None
    try:
        t = time.perf_counter()
        if kept is not None and kept.exists():
            shutil.copyfile(kept, database_path(work))
            db = Database.open(work, backup=False)
            print(f"a copy of {kept} (delete it to build afresh)")
        else:
            db = build(work, args.orders, args.conversations)
            print(
                f"built {args.orders:,} orders, {args.conversations:,} conversations in "
                f"{time.perf_counter() - t:.1f} s"
            )
            if kept is not None:
                db.dispose()
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(database_path(work), kept)
                db = Database.open(work, backup=False)
        run_ranges(db, args.repeat)
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
