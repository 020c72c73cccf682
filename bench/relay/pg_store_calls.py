"""CPU and wall time of the PostgreSQL store calls one widget round trip makes (a shopper's
message, the shop's reply, the widget's ack of it and its "delivered" receipt, the events the
other processes are told, the desktop's stream ack now and then), in process: the store's own
cost, without sockets, JSON frames or the event loop (bench/relay/shared_store.py measures
the whole relay). The relay's CPU on PostgreSQL goes mostly to the round trips these calls
make (a send, a poll, a receive each), so this is the figure to watch when changing
relay/store_pg.py; compare a checkout before and after in the same session.

PostgreSQL is Debian's, started in a temporary folder (tests/support/postgres.py).

    .venv/bin/python bench/relay/pg_store_calls.py [--rounds 3000] [--per-commit 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relay.store_pg import PgStore

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

SHOPS, CONVERSATIONS = 20, 5
RECEIPT = '{"type":"receipt","status":"delivered","ids":["x"]}'


def round_trips(
    store: PgStore, shops: list[str], sids: dict[str, list[str]], args: argparse.Namespace
) -> None:
    """``args.rounds`` round trips over the shops' conversations, as relay/app.py makes the
    store calls, committing every ``args.per_commit``."""
    from relay import protocol as p

    last: dict[str, int] = {}
    for i in range(args.rounds):
        shop = shops[i % SHOPS]
        sid = sids[shop][(i // SHOPS) % CONVERSATIONS]
        conv = f"widget:{sid}"
        m = p.Message(f"{args.tag}-{i}", p.Text("สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"))
        cseq, _, seq = store.add_shopper_message(shop, conv, m, p.encode_obj(m.to_obj()))
        store.notify({"k": "msg", "s": shop, "c": conv, "n": cseq})
        store.has_session(shop, sid)
        r = p.Message(f"re-{args.tag}-{i}", p.Text("มีค่ะ ราคา 290 บาท"))
        reply, _ = store.add_history(shop, conv, p.Origin.SHOP, r, p.encode_obj(r.to_obj()))
        store.notify({"k": "msg", "s": shop, "c": conv, "n": reply})
        had = store.conversation_state(shop, conv)[0]
        if store.widget_ack(shop, conv, reply, read=False):
            store.conversation_state(shop, conv)
            store.mark_delivered(shop, conv, had, reply)
        store.notify({"k": "frame", "s": shop, "sid": sid, "text": RECEIPT})
        last[shop] = seq
        if i % args.per_commit == args.per_commit - 1:
            for s, q in last.items():
                store.notify({"k": "stream", "s": s, "seq": q})
            if (i // args.per_commit) % 5 == 0:  # the desktops ack now and then
                for s in shops:
                    store.ack_stream(s, store.last_seq(s))
            store.commit()
            last = {}
    store.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3000)
    ap.add_argument("--per-commit", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from cryptography.fernet import Fernet
    from support.postgres import start_postgres

    from relay.store_pg import PgStore

    os.environ["MINICHAT_RELAY_KEY"] = Fernet.generate_key().decode()
    pg = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = PgStore(pg.new_database(), Path(tmp))
            shops = [store.add_shop(f"ร้าน {i}")[0] for i in range(SHOPS)]
            sids = {s: [store.new_session(s)[0] for _ in range(CONVERSATIONS)] for s in shops}
            store.commit()
            for run in range(args.runs):
                args.tag = f"r{run}"
                cpu, wall = time.process_time(), time.perf_counter()
                round_trips(store, shops, sids, args)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                print(
                    f"run {run}: {cpu / args.rounds * 1e6:5.0f} us CPU,"
                    f" {wall / args.rounds * 1e6:6.0f} us wall per round trip"
                    f" ({args.per_commit} round trips per commit, load average"
                    f" {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
            store.close()
    finally:
        pg.remove()


if __name__ == "__main__":
    main()
