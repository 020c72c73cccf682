"""``minichat-relay move-to`` of a relay database of real size into PostgreSQL, through the CLI.

The database is made as in bench/relay/backup_restore.py (``--messages`` history rows,
default 1,000,000: about 300 MB, over 20,000 conversations of one shop) and ``--pictures``
pictures the shoppers sent (default 200 of 2 MB: payment slips are 200 KB-5 MB). The CLI then
checks
the move (no ``--yes``: everything copied, read back, compared, rolled back) and makes it
(``--yes``). Prints each command's wall time and the largest memory the process used: the
relays are stopped while it runs, and the machine doing it may be a small one.

PostgreSQL is Debian's, started by the benchmark in a temporary folder
(tests/support/postgres.py). Loopback only.

    .venv/bin/python bench/relay/move_size.py [--messages 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PYTHON, ROOT
from backup_restore import make_database

sys.path.insert(0, str(ROOT / "tests"))


def move(data: Path, url: str, *extra: str) -> tuple[float, float, dict[str, object]]:
    """(seconds, MB of memory at most, the command's summary)."""
    t = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "-m", "relay", "--data-dir", str(data), "move-to", url, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # (the largest child)
    return took, peak, json.loads(out.stdout.strip().splitlines()[-1])


def add_pictures(data: Path, count: int, size: int) -> None:
    """``count`` pictures of ``size`` bytes each (random: they do not compress) in the
    relay's media table, as the widget's uploads leave them."""
    db = sqlite3.connect(data / "relay.sqlite3")
    shop = db.execute("SELECT id FROM shops").fetchone()[0]
    with db:
        for i in range(count):
            db.execute(
                "INSERT INTO media(id, shop_id, mime, width, height, size, data, created_at)"
                " VALUES(?, ?, 'image/jpeg', 1080, 1920, ?, ?, ?)",
                (f"slip-{i}", shop, size, os.urandom(size), time.time()),
            )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--pictures", type=int, default=200)
    ap.add_argument("--picture-mb", type=float, default=2.0)
    args = ap.parse_args()
    from cryptography.fernet import Fernet
    from support.postgres import start_postgres

    os.environ["MINICHAT_RELAY_KEY"] = Fernet.generate_key().decode()
    pg = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            make_database(data, args.messages)
            add_pictures(data, args.pictures, round(args.picture_mb * 2**20))
            size = (data / "relay.sqlite3").stat().st_size
            print(
                f"relay database: {size / 2**20:,.0f} MB, {args.messages:,} messages,"
                f" {args.pictures} pictures of {args.picture_mb:g} MB"
            )
            url = pg.new_database()
            for label, extra in (("check (no --yes)", ()), ("move (--yes)", ("--yes",))):
                took, peak, summary = move(data, url, *extra)
                assert summary["messages"] == args.messages, summary
                print(
                    f"{label:<17}: {took:5.1f} s ({args.messages / took:,.0f} messages/s),"
                    f" at most {peak:,.0f} MB of memory"
                )
    finally:
        pg.remove()


if __name__ == "__main__":
    main()
