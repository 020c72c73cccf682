"""Placing orders with stock reserved: ``orders.place_order``, one order per unit of work.

A catalog of ``--products`` products (default 1,000, made with ``catalog.save_product``) on a
disk database (WAL, ``synchronous=FULL``, as the app runs it). Each order has 2–3 lines and is
its own ``Database.write()`` transaction (BEGIN IMMEDIATE … COMMIT with an fsync).

0. The disk's ceiling: bare synced commits/s — one small row per ``BEGIN IMMEDIATE … COMMIT``
   on a plain ``sqlite3`` connection with the same pragmas, in the same folder. Disks differ,
   and a shared one is noisy: read the order figures against this one from the same run.
1. One process: orders/s and p50/p95/p99 latency per order (the whole unit of work, commit
   included; out-of-stock refusals are counted in the latencies, not in orders/s), and the
   process's CPU time per order — what the code costs, apart from the disk and the machine.
2. Two processes placing orders on the same file at once: total orders/s, latency, and a check
   that nothing was oversold — a few "scarce" variants start with little stock, both processes
   fight for them, and afterwards every variant's stock is ≥ 0, equals its ledger, and equals
   its opening stock minus what the orders hold.

Targets (issue 12 item 5): ≥ 1,500 orders/s and p99 ≤ 5 ms per order in one process, and
nothing oversold with two. The exit status is 1 only when something was oversold; a missed
speed target is printed as MISSED.

``--sync off`` runs every connection with ``synchronous=OFF``: no fsync, so the figures show
what the code costs when the shared disk's fsync times swamp it (the targets are for ``full``).

Bounded: ``--orders`` per run (default 2,000) and ``--seconds`` (default 15) whichever comes first.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import Channel, OrderItem, ProductVariant
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import OutOfStock
from minichat_desktop.storage.db import Database

TARGET_RATE = 1500.0
TARGET_P99_MS = 5.0
SCARCE_STOCK = 40
N_SCARCE = 6


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))]


def build(folder: Path, n_products: int) -> tuple[list[int], list[int], dict[int, int]]:
    """The catalog; returns (plentiful variant ids, scarce variant ids, opening stock by id)."""
    db = Database.open(folder, backup=False)
    rng = random.Random(5)
    with db.write() as s:
        for i in range(n_products):
            sizes = ("S", "M", "L") if i % 3 == 0 else ()
            scarce = i < N_SCARCE
            qty = SCARCE_STOCK if scarce else 1_000_000
            catalog.save_product(
                s,
                ProductInput(
                    sku=f"B{i:05d}",
                    name_th=f"สินค้าทดสอบ {i}",
                    name_en=f"Bench item {i}",
                    price_satang=rng.choice((199, 290, 590)) * 100,
                    category="ทดสอบ",
                    stock=0 if sizes else qty,
                    option_names=["ไซส์"] if sizes else [],
                    variants=[
                        VariantInput(sku=f"B{i:05d}-{z}", options={"ไซส์": z}, stock=qty)
                        for z in sizes
                    ],
                ),
                "bench",
            )
    with db.read() as s:
        opening = {r[0]: r[1] for r in s.execute(select(ProductVariant.id, ProductVariant.stock))}
    scarce_ids = [vid for vid, q in opening.items() if q == SCARCE_STOCK]
    plenty = [vid for vid, q in opening.items() if q != SCARCE_STOCK]
    db.dispose()
    return plenty, scarce_ids, opening


def bare_commits(folder: Path, n: int, seconds: float, sync: str) -> tuple[list[float], float]:
    """Up to ``n`` one-row synced transactions; returns (latencies ms, elapsed s)."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "bare.sqlite3", isolation_level=None)
    for pragma in ("journal_mode = WAL", f"synchronous = {sync.upper()}", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    lat: list[float] = []
    start = time.perf_counter()
    for k in range(n):
        t0 = time.perf_counter_ns()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {k}",))
        conn.execute("COMMIT")
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        if time.perf_counter() - start > seconds:
            break
    elapsed = time.perf_counter() - start
    conn.close()
    return lat, elapsed


def place_many(
    folder: str,
    plenty: list[int],
    scarce: list[int],
    n: int,
    seconds: float,
    seed: int,
    scarce_share: float,
    sync: str = "full",
) -> tuple[list[float], int, float]:
    """Place up to ``n`` orders; returns (latencies ms, out-of-stock refusals, elapsed s)."""
    db = Database.open(Path(folder), migrate=False)
    if sync != "full":
        # The writer engine keeps its one connection: set once, it holds for every order.
        with db.writer.connect() as conn:
            conn.connection.driver_connection.execute(f"PRAGMA synchronous = {sync.upper()}")
    rng = random.Random(seed)
    lat: list[float] = []
    refused = 0
    start = time.perf_counter()
    for k in range(n):
        picks = rng.sample(plenty, rng.choice((2, 3)))
        if scarce and rng.random() < scarce_share:
            picks[0] = rng.choice(scarce)
        new = NewOrder(
            channel=Channel.WIDGET,
            lines=[LineInput(quantity=rng.choice((1, 1, 2)), variant_id=v) for v in picks],
            customer_name="ลูกค้าทดสอบ",
            customer_phone="0812345678",
            ship_name="ลูกค้าทดสอบ",
            ship_address="1 ถนนพระรามที่ 4",
            ship_province="กรุงเทพมหานคร",
            ship_postcode="10330",
            shipping_satang=5000,
            conversation_ref=f"bench:{seed}:{k}",
        )
        t0 = time.perf_counter_ns()
        try:
            with db.write() as s:
                orders.place_order(s, new, "bench")
        except OutOfStock:
            refused += 1
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        if time.perf_counter() - start > seconds:
            break
    elapsed = time.perf_counter() - start
    db.dispose()
    return lat, refused, elapsed


def _worker(
    args: tuple[str, list[int], list[int], int, float, int, float, str],
) -> tuple[list[float], int, float]:
    return place_many(*args)


def check_no_oversell(folder: Path, opening: dict[int, int]) -> tuple[bool, str]:
    db = Database.open(folder, migrate=False)
    with db.read() as s:
        levels = {r[0]: r[1] for r in s.execute(select(ProductVariant.id, ProductVariant.stock))}
        held = {
            r[0]: r[1]
            for r in s.execute(
                select(OrderItem.variant_id, func.sum(OrderItem.quantity)).group_by(
                    OrderItem.variant_id
                )
            )
        }
        ledger = stock.ledger_sums(s)
    db.dispose()
    negative = [v for v, q in levels.items() if q < 0]
    mismatched = [v for v, q in levels.items() if ledger.get(v, 0) != q]
    wrong = [v for v, q in levels.items() if opening[v] - held.get(v, 0) != q]
    ok = not (negative or mismatched or wrong)
    return ok, (
        f"negative={len(negative)} ledger≠stock={len(mismatched)} "
        f"opening−ordered≠stock={len(wrong)}"
    )


def report(
    label: str, lat: list[float], elapsed: float, placed: int, what: str = "orders"
) -> float:
    rate = placed / elapsed
    print(
        f"{label:<26} {placed:>6} {what:<7} in {elapsed:5.2f} s = {rate:7.0f} {what}/s   "
        f"p50 {pct(lat, 50):5.2f}  p95 {pct(lat, 95):5.2f}  p99 {pct(lat, 99):5.2f}  "
        f"max {max(lat):6.2f} ms"
    )
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--sync", choices=("full", "off"), default="full")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="minichat-bench-orders-"))
    try:
        t0 = time.perf_counter()
        single = root / "single"
        plenty, scarce, opening = build(single, args.products)
        shutil.copytree(single, root / "double")  # closed and checkpointed: a plain copy is safe
        print(
            f"catalog: {args.products:,} products, {len(opening):,} variants "
            f"(built in {time.perf_counter() - t0:.1f} s)"
        )

        bare_lat, bare_elapsed = bare_commits(root / "bare", args.orders, args.seconds, args.sync)
        report(f"bare commits ({args.sync})", bare_lat, bare_elapsed, len(bare_lat), "commits")

        cpu0 = time.process_time()
        lat, refused, elapsed = place_many(
            str(single), plenty, [], args.orders, args.seconds, 1, 0.0, args.sync
        )
        cpu_ms = (time.process_time() - cpu0) * 1000 / len(lat)
        rate = report("one process", lat, elapsed, len(lat) - refused)
        print(
            f"{'':<26} CPU {cpu_ms:.2f} of {elapsed * 1000 / len(lat):.2f} ms per order; "
            "the rest is waiting (fsync, other processes)"
        )
        ok1, detail1 = check_no_oversell(single, opening)

        ctx = mp.get_context("spawn")
        jobs = [
            (
                str(root / "double"),
                plenty,
                scarce,
                args.orders,
                args.seconds,
                100 + i,
                0.25,
                args.sync,
            )
            for i in range(2)
        ]
        t0 = time.perf_counter()
        with ctx.Pool(2) as pool:
            results = pool.map(_worker, jobs)
        wall = time.perf_counter() - t0
        all_lat = [x for r in results for x in r[0]]
        refused2 = sum(r[1] for r in results)
        for i, (lat_i, ref_i, el_i) in enumerate(results):
            report(f"  process {i + 1}", lat_i, el_i, len(lat_i) - ref_i)
        placed2 = len(all_lat) - refused2
        busiest = max(r[2] for r in results)
        report("two processes, total", all_lat, busiest, placed2)
        ok2, detail2 = check_no_oversell(root / "double", opening)
        sold_scarce = sum(opening[v] for v in scarce)
        print(
            f"  scarce variants: {len(scarce)} × {SCARCE_STOCK} units; {refused2} orders refused "
            f"out of stock (wall {wall:.1f} s incl. process start)"
        )
        print()
        if args.sync != "full":
            print(f"synchronous={args.sync}: the targets are for synchronous=full")
        p99 = pct(lat, 99)
        print(
            f"one process: {rate:.0f} orders/s (target ≥ {TARGET_RATE:.0f}) "
            f"{'OK' if rate >= TARGET_RATE else 'MISSED'}; p99 {p99:.2f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f}) {'OK' if p99 <= TARGET_P99_MS else 'MISSED'}"
        )
        print(f"oversold, one process: {'no' if ok1 else 'YES'} ({detail1})")
        print(
            f"oversold, two processes: {'no' if ok2 else 'YES'} ({detail2}; "
            f"{sold_scarce} scarce units in total)"
        )
        return 0 if ok1 and ok2 else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
