"""Two processes racing for the last units of a product: nothing is oversold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database

WORKER = r"""
import json, sys
from pathlib import Path
from minichat_desktop.storage.db import Database
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.errors import OutOfStock
from minichat_desktop.domain.models import Channel

db = Database.open(Path(sys.argv[1]), backup=False)
sold = refused = 0
print("ready", flush=True)
sys.stdin.readline()  # start together
for _ in range(int(sys.argv[2])):
    try:
        with db.write() as s:
            orders.place_order(s, orders.NewOrder(channel=Channel.WIDGET,
                               lines=[orders.LineInput(quantity=1, sku="LAST")]), sys.argv[3])
        sold += 1
    except OutOfStock:
        refused += 1
print(json.dumps({"sold": sold, "refused": refused}), flush=True)
"""


def test_two_processes_never_oversell(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        shop.ensure_defaults(s)
        view = catalog.save_product(
            s, catalog.ProductInput(sku="LAST", name_th="ชิ้นสุดท้าย", price_satang=100, stock=60), "o"
        )
    vid = view.variants[0].id
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
        assert stock.ledger_sums(s) == {vid: 0}
        numbers = [o.number for o in orders.list_orders(s, limit=1000)]
    assert len(numbers) == len(set(numbers)) == 60
    db.dispose()
