"""Two processes placing orders for the last units of a product at once: nothing is oversold,
a refused order leaves nothing behind, and order numbers have no gaps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database

WORKER = r"""
import json, sys
from pathlib import Path
from minichat_desktop.storage.db import Database
from minichat_desktop.domain.sales import orders
from minichat_desktop.errors import OutOfStock
from minichat_desktop.domain.models import Channel

db = Database.open(Path(sys.argv[1]), backup=False)
sold = refused = 0
print("ready", flush=True)
sys.stdin.readline()  # start together
for _ in range(int(sys.argv[2])):
    try:
        with db.write() as s:
            orders.place_order(s, orders.NewOrder(channel=Channel.WIDGET,
                               lines=[orders.LineInput(quantity=1, sku="LAST"),
                                      orders.LineInput(quantity=2, sku="MANY")]), sys.argv[3])
        sold += 1
    except OutOfStock:
        refused += 1
print(json.dumps({"sold": sold, "refused": refused}), flush=True)
"""


def test_two_processes_never_oversell(tmp_path: Path) -> None:
    """100 attempts at 60 units: exactly 60 orders, numbered 1-60, and the refused orders'
    other line took nothing."""
    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        shop.ensure_defaults(s)
        view = catalog.save_product(
            s, catalog.ProductInput(sku="LAST", name_th="ชิ้นสุดท้าย", price_satang=100, stock=60), "o"
        )
        many = catalog.save_product(
            s, catalog.ProductInput(sku="MANY", name_th="มีเยอะ", price_satang=50, stock=500), "o"
        )
    vid, many_vid = view.variants[0].id, many.variants[0].id
    attempts = 50  # 2 × 50 = 100 attempts for 60 units
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(folder), str(attempts), f"p{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=90)
        assert p.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["sold"] for r in results) == 60
    assert sum(r["refused"] for r in results) == 40
    assert all(r["sold"] > 0 for r in results), results  # both really raced
    with db.read() as s:
        assert stock.level(s, vid).stock == 0
        assert stock.level(s, many_vid).stock == 500 - 2 * 60
        assert stock.ledger_sums(s) == {vid: 0, many_vid: 500 - 2 * 60}
        placed = orders.list_orders(s, limit=1000)
        kinds = [n.kind for n in notifications.list_notifications(s, limit=1000)]
    year = placed[0].number.split("-")[1]
    assert sorted(o.number for o in placed) == [f"MC-{year}-{n:06d}" for n in range(1, 61)]
    assert {o.item_count for o in placed} == {3}
    # One "new order" each, and one low-stock warning as LAST crossed its threshold (5).
    assert kinds.count("new_order") == 60
    assert kinds.count("low_stock") == 1
    db.dispose()
