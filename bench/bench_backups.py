"""Encrypted backups (``storage/backups.py``): how long the daily backup takes and how big it is.

Builds a temporary shop: the demo shop (``demo.fill_demo_shop``) plus ``--orders`` more orders
(default 20,000) placed through ``orders.place_order``, 500 to a transaction (building is
not what is measured). Then, ``--rounds`` times (default 3): ``backups.make_backup`` into a
folder on the same disk — snapshot with SQLite's backup API, compress and encrypt, decrypt and
``integrity_check`` — and ``backups.restore`` of it into another data folder. Prints the
database size, the backup size (compressed and encrypted), and the median wall and CPU time of
each step. Disk only; about a minute.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minichat_desktop.demo.shop import fill_demo_shop  # noqa: E402
from minichat_desktop.domain.catalog import products as catalog  # noqa: E402
from minichat_desktop.domain.models import Channel  # noqa: E402
from minichat_desktop.domain.sales import orders  # noqa: E402
from minichat_desktop.storage import backups  # noqa: E402
from minichat_desktop.storage.db import Database  # noqa: E402


def build(folder: Path, n_orders: int) -> Database:
    db = Database.open(folder, backup=False)
    fill_demo_shop(db)
    with db.write() as s:
        catalog.save_product(
            s,
            catalog.ProductInput(
                sku="BENCH-1", name_th="สินค้าทดสอบ", price_satang=9900, stock=10**9
            ),
            "bench",
        )
    for start in range(0, n_orders, 500):  # 500 orders a transaction: building is quick
        with db.write() as s:
            for _ in range(min(500, n_orders - start)):
                orders.place_order(
                    s,
                    orders.NewOrder(Channel.LINE, [orders.LineInput(quantity=1, sku="BENCH-1")]),
                    "bench",
                )
    return db


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        db = build(root / "shop", args.orders)
        print(f"built the shop in {time.perf_counter() - t0:.1f} s")
        out = root / "usb"
        out.mkdir()
        key = backups.new_key()
        made, restored, size = [], [], 0
        for i in range(args.rounds):
            w, c = time.perf_counter(), time.process_time()
            result = backups.make_backup(db, out, key)
            made.append((time.perf_counter() - w, time.process_time() - c))
            assert result.verified, result.check
            size = result.size
            w, c = time.perf_counter(), time.process_time()
            backups.restore(root / f"restored{i}", result.path, key)
            restored.append((time.perf_counter() - w, time.process_time() - c))
            result.path.unlink()
        m = result.manifest
        print(
            f"database {m.db_bytes / 1e6:.1f} MB ({m.products} products, {m.orders} orders, "
            f"{m.customers} customers); backup {size / 1e6:.2f} MB "
            f"({100 * size / m.db_bytes:.0f} % of the database)"
        )
        for name, runs in (("backup + verify", made), ("restore", restored)):
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(f"{name}: median {wall:.2f} s wall, {cpu:.2f} s CPU over {len(runs)} rounds")
        print(f"load average {os.getloadavg()[0]:.1f}")
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
