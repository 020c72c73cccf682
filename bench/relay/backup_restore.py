"""``minichat-relay backup`` and ``restore`` of a relay database of real size, through the CLI.

A relay that has served for years keeps every conversation's messages: the database is made
here with ``--messages`` history rows (default 1,000,000: about 300 MB) over 20,000
conversations of one shop, each a Thai question with emoji as the widget sends it; then the
CLI backs it up into a folder (as the nightly timer does), and restores that backup into the
same folder (the database it replaces put aside). Prints the database size and each
command's wall time and throughput.

    .venv/bin/python bench/relay/backup_restore.py [--messages 1000000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from _common import PYTHON, ROOT

MESSAGE = (
    '{"id":"m%d","kind":"text","text":"มีเสื้อยืดสีแดงไซซ์ M ไหมคะ 👕🙏 ราคาเท่าไหร่",'
    '"at":"2026-12-06T02:00:00.000Z"}'
)
PER_CONVERSATION = 50


def relay(data: Path, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [PYTHON, "-m", "relay", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def make_database(data: Path, messages: int) -> None:
    shop = relay(data, "shops", "add", "ร้านที่ขายมาหลายปี")["shop_id"]
    db = sqlite3.connect(data / "relay.sqlite3")
    now = time.time()
    rows = (
        (shop, f"widget:c{c}", k, "shopper", f"m{c}-{k}", MESSAGE % k, None, now)
        for c in range(messages // PER_CONVERSATION)
        for k in range(1, PER_CONVERSATION + 1)
    )
    with db:
        db.executemany(
            "INSERT INTO history(shop_id, conversation, cseq, origin, msg_id, message, status,"
            " created_at) VALUES(?,?,?,?,?,?,?,?)",
            rows,
        )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, backups = Path(tmp) / "data", Path(tmp) / "backups"
        data.mkdir()
        backups.mkdir()
        make_database(data, args.messages)
        size = (data / "relay.sqlite3").stat().st_size
        print(f"relay database: {size / 2**20:,.0f} MB, {args.messages:,} messages")
        t = time.perf_counter()
        made = relay(data, "backup", str(backups), "--keep", "3")["backup"]
        took = time.perf_counter() - t
        print(f"backup  : {took:5.1f} s ({size / 2**20 / took:,.0f} MB/s), checked, one file")
        t = time.perf_counter()
        relay(data, "restore", str(made))
        took = time.perf_counter() - t
        print(f"restore : {took:5.1f} s ({size / 2**20 / took:,.0f} MB/s), the old one put aside")


if __name__ == "__main__":
    main()
