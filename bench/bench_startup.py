"""Opening an existing shop database in a fresh process.

A database with the demo shop (``demo.fill_demo_shop``) is made once; then ``--runs`` (default
10) fresh ``.venv/bin/python -c …`` processes each import ``Database`` and call
``Database.open(folder)`` (which checks the schema revision and would migrate), timing inside
the child from before the import to after ``open`` returns, and then the first query.

Reports medians of: "import + open", "open only", "first query" (a count of orders through a
read session, which opens the SQLite connection), and the child's whole wall time as the
parent sees it (interpreter start included).

Target: import + open ≤ 200 ms (median of 10).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 200.0

CHILD = """
import time
t0 = time.perf_counter()
from pathlib import Path
from minichat_desktop.storage.db import Database
t1 = time.perf_counter()
db = Database.open(Path({folder!r}))
t2 = time.perf_counter()
from sqlalchemy import text
with db.read() as s:
    n = s.execute(text("SELECT count(*) FROM orders")).scalar_one()
t3 = time.perf_counter()
import json, sys
print(json.dumps({{"import": t1 - t0, "open": t2 - t1, "query": t3 - t2, "orders": n,
                  "modules": len(sys.modules)}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    python = Path(sys.executable)
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="minichat-bench-startup-"))
    try:
        from minichat_desktop.demo.shop import fill_demo_shop
        from minichat_desktop.storage.db import Database

        t = time.perf_counter()
        db = Database.open(folder)
        summary = fill_demo_shop(db)
        db.dispose()
        print(
            f"demo database: {summary.products} products, {summary.orders} orders, "
            f"{summary.customers} customers (made in {time.perf_counter() - t:.1f} s)"
        )
        code = CHILD.format(folder=str(folder))
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
        rows = []
        for _ in range(args.runs + 1):  # the first run warms the OS file cache and .pyc files
            t = time.perf_counter()
            out = subprocess.run(
                [str(python), "-c", code],
                capture_output=True,
                text=True,
                cwd=root,
                env=env,
                timeout=60,
                check=True,
            )
            wall = time.perf_counter() - t
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["wall"] = wall
            rows.append(row)
        rows = rows[1:]

        def med(key: str) -> float:
            return statistics.median(r[key] for r in rows) * 1000

        imp_open = statistics.median((r["import"] + r["open"]) for r in rows) * 1000
        print(f"runs: {len(rows)} fresh processes ({python})")
        print(
            f"  import + open      median {imp_open:7.1f} ms   "
            f"(min {min(r['import'] + r['open'] for r in rows) * 1000:.1f}, "
            f"max {max(r['import'] + r['open'] for r in rows) * 1000:.1f})"
        )
        print(f"    import Database  median {med('import'):7.1f} ms")
        print(f"    open only        median {med('open'):7.1f} ms")
        print(f"  first query        median {med('query'):7.1f} ms")
        print(f"  child wall time    median {med('wall'):7.1f} ms (interpreter start included)")
        print(f"  modules loaded: {rows[0]['modules']}")
        print()
        print(
            f"import + open: {imp_open:.1f} ms (target ≤ {TARGET_MS:.0f} ms) "
            f"{'OK' if imp_open <= TARGET_MS else 'MISSED'}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
