"""The relay's WAL file stays bounded under steady traffic, and starting it over loses nothing.

SQLite starts the WAL over only when a writer finds every frame already copied into the
database; with the checkpoint thread racing a writer that never pauses, that never happened
and the file grew by the size of everything written (35 MB a second at 3,200 relayed messages
a second), until the disk was full. The store now has the event loop copy the last frames
itself once the WAL passes ``WAL_REWIND_BYTES`` (relay/storage.py, _Checkpointer).

A child process writes round trips through the real :class:`relay.storage.Store` with no
pause, across many conversations (Thai and emoji), printing each one once its COMMIT returned;
about 1,500 a second (each commit's fsync-free WAL write is far quicker than a checkpoint
pass, whose fsyncs take milliseconds, so the thread never catches up on its own); the
thresholds are made small so that a few seconds show several starts-over. It is killed
with SIGKILL mid-traffic; every round trip it printed must be in the database, in order.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from relay import protocol as p
from relay.storage import Store

REPO = Path(__file__).resolve().parents[3]
CONVERSATIONS = 40
REWIND_BYTES = 2 * 1024 * 1024

WRITER = f"""
import sys, time
from pathlib import Path
import relay.storage as storage
from relay import protocol as p

storage.WAL_REWIND_BYTES = {REWIND_BYTES}
storage.CHECKPOINT_EVERY = 0.1
store = storage.Store(Path(sys.argv[1]))
shop_id, _ = store.add_shop("ร้านทดสอบ")
convs = ["widget:" + store.new_session(shop_id)[0] for _ in range({CONVERSATIONS})]
store.commit()
print("shop", shop_id, *convs, flush=True)
i = 0
while True:
    i += 1
    conv = convs[i % len(convs)]
    ask = p.Message(f"w-{{i}}", p.Text(f"สวัสดีค่ะ มีเสื้อยืดสีแดงไหม 👕 {{i}}"))
    store.add_shopper_message(shop_id, conv, ask, p.encode_obj(ask.to_obj()))
    answer = p.Message(f"r-{{i}}", p.Text("มีค่ะ ราคา 290 บาท 🙏"))
    store.add_history(shop_id, conv, p.Origin.SHOP, answer)
    store.commit()
    print(i, store.wal_rewinds, store.wal[0], flush=True)
    time.sleep(0.0005)  # (about 1,500 commits a second: ~25 MB of WAL a second)
"""


def _run_writer(
    folder: Path, rewinds_wanted: int, at_least: float
) -> tuple[list[str], int, int, int]:
    """Run the writer until it started the WAL over ``rewinds_wanted`` times and ran
    ``at_least`` seconds, then SIGKILL it. ([shop id, conversations…], the last round trip
    it reported committed, times started over, the largest WAL it reported)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        head = child.stdout.readline().split()
        assert head[:1] == ["shop"], child.stderr.read()
        made = head[1:]
        last = rewinds = biggest = 0
        started = time.monotonic()
        while rewinds < rewinds_wanted or time.monotonic() - started < at_least:
            line = child.stdout.readline()
            assert line, f"the writer stopped: {child.stderr.read()}"
            last, rewinds, size = (int(x) for x in line.split())
            biggest = max(biggest, size)
            assert time.monotonic() - started < 60, f"{rewinds} starts-over in 60 s"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        for line in child.stdout:  # (printed before the kill: committed too)
            if line.endswith("\n"):
                last, rewinds, size = (int(x) for x in line.split())
                biggest = max(biggest, size)
        return made, last, rewinds, biggest
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()
        child.stderr.close()


def test_steady_writes_keep_the_wal_small_and_a_kill_loses_nothing(tmp_path: Path) -> None:
    (shop_id, *convs), last, rewinds, biggest = _run_writer(
        tmp_path, rewinds_wanted=4, at_least=4.0
    )
    assert rewinds >= 4
    # (the same writes with no start-over: a WAL holding every frame, well past this)
    assert biggest < 12 * REWIND_BYTES, f"WAL reached {biggest / 1e6:.1f} MB"
    assert last > 3 * CONVERSATIONS

    db = sqlite3.connect(tmp_path / "relay.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    store = Store(tmp_path)  # (opened as the relay would after the kill)
    try:
        asked: list[int] = []
        assert len(convs) == CONVERSATIONS
        for conv in convs:
            rows = store.history(shop_id, conv, 0, limit=10**9)
            cseqs = [row.seq for row in rows]
            assert cseqs == list(range(1, len(rows) + 1)), conv  # no gap, no repeat
            ids = [row.message.id for row in rows]
            # a question, then its answer, each round trip in the order written
            mine = [int(i[2:]) for i in ids if i.startswith("w-")]
            assert ids[: 2 * len(mine)] == [x for i in mine for x in (f"w-{i}", f"r-{i}")]
            assert rows[0].message.body == p.Text(f"สวัสดีค่ะ มีเสื้อยืดสีแดงไหม 👕 {mine[0]}")
            assert rows[1].message.body == p.Text("มีค่ะ ราคา 290 บาท 🙏")
            asked += mine
        # every round trip reported committed is there; the one after, maybe
        assert sorted(asked)[:last] == list(range(1, last + 1))
        assert len(asked) <= last + 1
    finally:
        store.close()
