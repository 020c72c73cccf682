"""The relay's SQLite store alone: its cost per relayed round trip, in process.

Replays the store calls a round trip of bench/relay/shoppers_roundtrip.py (``ride`` clients)
makes, in the order relay/app.py and relay/server.py make them: the widget's ack riding in its
send (``conversation_state``, ``widget_ack``), the shopper's message with its riding receipt
(``add_shopper_message_delivering``), the desktop's reply (``has_session``, ``add_history``),
and once per commit the desktop's riding ack (``ack_stream``) and the COMMIT; a commit holds
``--batch`` round trips (250: about 500 stream items, as a saturated relay's loop turn does).
No sockets, no JSON decoding: only what the store does, on a real file in a temp folder.

Reports, per round trip: CPU of the calling thread (the event loop's share), CPU of the whole
process (adds the checkpoint thread), the COMMIT's share, the write system calls of the calling
thread (two per WAL frame: frame header and page) and the WAL pages per commit.

    .venv/bin/python bench/relay/store_roundtrip.py [--conversations 1000] [--trips 30000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from relay import protocol as p  # noqa: E402
from relay.storage import Store, now_iso  # noqa: E402

QUESTION = "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"
ANSWER = "มีค่ะ ราคา 290 บาท"


def thread_writes(tid: int) -> int:
    """Write system calls made so far by one thread of this process."""
    with open(f"/proc/self/task/{tid}/io") as f:
        for line in f:
            if line.startswith("syscw:"):
                return int(line.split()[1])
    return 0


class Replay:
    """The relay's side of round trips, store calls only (see the module's docstring)."""

    def __init__(self, store: Store, shop_id: str, sids: list[str], read: bool) -> None:
        self.store = store
        self.shop_id = shop_id
        self.sids = sids
        self.read = read
        self.widget_has: dict[str, int] = {}  # conversation -> cseq of the last reply shown
        self.desktop_has = 0  # the highest stream seq the desktop was sent
        self.n = 0

    def widget_send(self, sid: str) -> None:
        store, shop_id, conv = self.store, self.shop_id, f"widget:{sid}"
        delivered: tuple[int, int] | None = None
        read: tuple[int, int, tuple[str, ...]] | None = None
        ack = self.widget_has.get(conv)
        if ack is not None:  # relay/app.py _widget_ack with riding, once per mark
            had = store.conversation_state(shop_id, conv)[0]
            ids = store.widget_ack(shop_id, conv, ack, read=False)
            if [i for i in ids if not i.startswith("relay-")]:
                delivered = (had, store.conversation_state(shop_id, conv)[0])
            if self.read:
                had = store.conversation_state(shop_id, conv)[1]
                ids = store.widget_ack(shop_id, conv, ack, read=True)
                ids_t = tuple(i for i in ids if not i.startswith("relay-"))
                if ids_t:
                    read = (had, store.conversation_state(shop_id, conv)[1], ids_t)
        self.n += 1
        msg = p.Message(f"b{self.n}", p.Text(QUESTION)).with_at(now_iso())
        text = p.encode_obj(msg.to_obj())
        if delivered is None and read is None:
            _, _, seq = store.add_shopper_message(shop_id, conv, msg, text)
        else:
            _, _, seq, _ = store.add_shopper_message_delivering(
                shop_id, conv, msg, text, delivered, read
            )
        self.desktop_has = max(self.desktop_has, seq)

    def desktop_reply(self, sid: str) -> None:
        store, shop_id, conv = self.store, self.shop_id, f"widget:{sid}"
        store.has_session(shop_id, sid)
        msg = p.Message(f"re-b{self.n}", p.Text(ANSWER)).with_at(now_iso())
        cseq, _ = store.add_history(shop_id, conv, p.Origin.SHOP, msg, p.encode_obj(msg.to_obj()))
        self.widget_has[conv] = cseq

    def batch(self, first: int, size: int) -> float:
        """``size`` round trips from conversation ``first`` on, then the ack and the commit;
        returns the commit's seconds."""
        acked = self.desktop_has  # what the desktop had when it wrote these replies
        for k in range(first, first + size):
            sid = self.sids[k % len(self.sids)]
            self.widget_send(sid)
            self.desktop_reply(sid)
        self.store.ack_stream(self.shop_id, acked)
        t = time.perf_counter()
        self.store.commit()
        return time.perf_counter() - t


def run(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    store = Store(folder)
    shop_id, _ = store.add_shop("ร้านทดสอบ")
    sids = [store.new_session(shop_id)[0] for _ in range(args.conversations)]
    store.commit()
    replay = Replay(store, shop_id, sids, args.read)
    k = 0
    while k < args.warmup:
        replay.batch(k, args.batch)
        k += args.batch
    tid = threading.get_native_id()
    w0, c0, p0, t0 = (
        thread_writes(tid),
        time.thread_time(),
        time.process_time(),
        time.perf_counter(),
    )
    commit_s, commits, done = 0.0, 0, 0
    while done < args.trips:
        commit_s += replay.batch(k + done, args.batch)
        done += args.batch
        commits += 1
        if args.rate:  # as a relay doing other work between its commits
            time.sleep(max(0.0, t0 + done / args.rate - time.perf_counter()))
    wall = time.perf_counter() - t0
    cpu, proc, writes = time.thread_time() - c0, time.process_time() - p0, thread_writes(tid) - w0
    size = (folder / "relay.sqlite3").stat().st_size
    store.close()
    return {
        "trips": done,
        "us_thread": cpu / done * 1e6,
        "us_process": proc / done * 1e6,
        "us_commit": commit_s / done * 1e6,
        "us_wall": wall / done * 1e6,
        "writes": writes / done,
        "pages_per_commit": writes / 2 / commits,
        "db_mb": size / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--trips", type=int, default=30_000, help="round trips measured")
    ap.add_argument("--warmup", type=int, default=10_000, help="round trips before measuring")
    ap.add_argument("--batch", type=int, default=250, help="round trips per commit")
    ap.add_argument("--read", action="store_true", help="the read mark rides too")
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="round trips per second offered (0: as fast as it goes); at the relay's rate the"
        " checkpoint thread's share per round trip is the relay's",
    )
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"# {args.conversations} conversations, {args.batch} round trips per commit")
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="store-rt-") as tmp:
            r = run(args, Path(tmp))
        print(
            f"{r['us_thread']:6.1f} µs/trip loop thread, {r['us_process']:6.1f} with the"
            f" checkpointer, COMMIT {r['us_commit']:5.1f} µs/trip (wall), "
            f"{r['writes']:5.2f} write calls/trip, {r['pages_per_commit']:6.1f} WAL pages"
            f"/commit ({r['pages_per_commit'] / args.batch:4.2f}/trip), db {r['db_mb']:.1f} MB,"
            f" {1e6 / r['us_wall']:,.0f} trips/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
