"""Live selling through the relay: time from a comment's webhook POST to its private reply
arriving at Meta, p50/p99, and nothing oversold.

The whole path with real parts: a relay process (port 0) whose shop has Meta set up, Meta's
Graph API as a local server (``tests/support/fake_meta.py``: it checks every Send API body and
notes when each private reply arrives), and the desktop's relay link (``RelayClient``, its own
thread and event loop) on a SQLite shop file with a live running: five codes, 100 units each
(as ``bench_live.py``). ``--comments`` comment webhooks (default 1,000), signed, from 300
commenters — Facebook Page ``feed`` comments and, one in three, Instagram ``comments`` — are
POSTed paced evenly over ``--seconds`` (default 60, the issue's "1,000 comments in 60 s"), then
again all at once (``--burst``, on a fresh relay and shop). Each latency runs from just before
the POST to the moment fake Meta accepts that comment's private reply (Facebook's at
``/me/messages``, Instagram's at ``/{ig-account-id}/messages``); comments that ask for nothing
get no reply and are counted apart. Checks every reply arrived once, at the right endpoint, and
that units reserved in carts equal the stock taken (nothing oversold). Goal: p99 ≤ 1 s.

    .venv/bin/python bench/bench_live_relay.py [--comments 1000] [--seconds 60] [--no-burst]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench" / "relay"))

import aiohttp  # noqa: E402
from _common import PYTHON, RelayProc, pct  # noqa: E402
from bench_live import CODES, STOCK, check, results_by_kind  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from support.fake_meta import FakeMeta, feed_comment, instagram_comment, sign  # noqa: E402
from support.recorder import Recorder  # noqa: E402

from minichat_desktop.app import live  # noqa: E402
from minichat_desktop.domain.catalog import products as catalog  # noqa: E402
from minichat_desktop.domain.live.selling import PickedProduct  # noqa: E402
from minichat_desktop.domain.models import LiveComment, OutboxItem  # noqa: E402
from minichat_desktop.storage.db import Database  # noqa: E402
from minichat_desktop.sync.client import RelayClient  # noqa: E402

SECRET = "bench-app-secret"
PAGE = "1122334455"
IG_ACCOUNT = "17841405555555555"
COMMENTERS = 300


@dataclass(frozen=True, slots=True)
class Posted:
    comment_id: str
    instagram: bool
    body: bytes


def comment_bodies(n: int) -> list[Posted]:
    """``n`` comment webhooks: mostly orders ("CF A12", Thai quantities), some questions and
    chatter, from 300 commenters, one in three on Instagram."""
    rnd = random.Random(19)
    out: list[Posted] = []
    for i in range(n):
        who = rnd.randrange(COMMENTERS)
        code = rnd.choice(CODES)
        text = rnd.choice(
            [f"CF {code}", f"cf {code.lower()} 2", f"เอา {code} ๒ ตัว", f"F {code}",
             f"CF {code}", f"{code} ราคาเท่าไหร่", "สวยมากค่ะ"]
        )  # fmt: skip
        if i % 3 == 2:
            cid = f"1786579934{i:07d}"
            obj = instagram_comment(IG_ACCOUNT, cid, f"178414{who:011d}", f"buyer{who}", text)
        else:
            cid = f"900100200_{i + 1}"
            obj = feed_comment(PAGE, cid, f"22334455{who:08d}", f"ลูกค้า {who}", text)
        body = json.dumps(obj, ensure_ascii=False).encode()
        out.append(Posted(cid, i % 3 == 2, body))
    return out


class Desktop:
    """The desktop's relay link on its own thread and event loop, as in the app."""

    def __init__(self, db: Database, url: str, token: str) -> None:
        self.db, self.url, self.token = db, url, token
        self.online = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: RelayClient | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        if not self.online.wait(30):
            raise SystemExit("the desktop link did not come online within 30 s")

    async def _run(self) -> None:
        rec = Recorder()
        self._loop = asyncio.get_running_loop()
        self._client = RelayClient(self.db, self.url, lambda: self.token, rec, bot=False)
        task = asyncio.create_task(self._client.run())
        await rec.online.wait()
        self.online.set()
        await task

    def stop(self) -> None:
        if self._loop is not None and self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.stop(), self._loop).result(30)
        self._thread.join(30)


async def post_all(endpoint: str, batch: list[Posted], seconds: float) -> dict[str, float]:
    """POST every body at its due time (all at once when ``seconds`` is 0); returns when each
    POST began (Unix seconds), by comment id."""
    began: dict[str, float] = {}
    gap = seconds / len(batch) if seconds else 0.0
    t0 = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(k: int, item: Posted) -> None:
            wait = t0 + k * gap - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)  # pacing the arrivals, as comments come during a live
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(SECRET, item.body),
            }
            began[item.comment_id] = time.time()  # wall clock: the shop file's times are too
            async with http.post(endpoint, data=item.body, headers=headers) as resp:
                if resp.status != 200:
                    raise SystemExit(f"webhook answered {resp.status}: {await resp.text()}")

        await asyncio.gather(*(one(k, item) for k, item in enumerate(batch)))
    return began


def shop_with_live(folder: Path) -> tuple[Database, int, list[int]]:
    db = Database.open(folder, backup=False)
    with db.write() as s:
        vids = [
            catalog.save_product(
                s,
                catalog.ProductInput(
                    sku=f"LIVE-{code}", name_th=f"ของไลฟ์ {code}", price_satang=19_900, stock=STOCK
                ),
                "bench",
            )
            .variants[0]
            .id
            for code in CODES
        ]
    picked = [PickedProduct(c, v) for c, v in zip(CODES, vids, strict=True)]
    return db, live.start_live(db, "bench", picked, 60, "bench"), vids


def set_up_meta(relay: RelayProc, token: str) -> None:
    env = {
        **os.environ,
        "MINICHAT_META_APP_SECRET": SECRET,
        "MINICHAT_META_PAGE_TOKEN": token,
        "MINICHAT_META_VERIFY_TOKEN": "bench-verify",
    }
    cmd = [PYTHON, "-m", "relay", "--data-dir", str(relay.data_dir), "shops", "meta"]
    subprocess.run([*cmd, relay.shop_id], check=True, capture_output=True, cwd=ROOT, env=env)


def wait_for(done: object, what: str, timeout: float = 300.0) -> None:
    give_up = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > give_up:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.05)


def one_run(n: int, seconds: float) -> None:
    meta = FakeMeta()
    arrived: dict[str, float] = {}
    meta.on_reply = lambda cid: arrived.setdefault(cid, time.time())
    with tempfile.TemporaryDirectory(prefix="bench-live-relay-") as tmp:
        relay = RelayProc(Path(tmp) / "relay", env={"MINICHAT_META_API_BASE": meta.url})
        desktop: Desktop | None = None
        try:
            set_up_meta(relay, meta.page_token)
            db, _live_id, vids = shop_with_live(Path(tmp) / "shop")
            desktop = Desktop(db, relay.url, relay.token)
            batch = comment_bodies(n)
            endpoint = f"{relay.url}/meta/{relay.shop_id}/webhook"
            t0 = time.perf_counter()
            began = asyncio.run(post_all(endpoint, batch, seconds))
            posting = time.perf_counter() - t0

            def worked() -> int:
                with db.read() as s:
                    return int(s.scalar(select(func.count()).select_from(LiveComment)) or 0)

            def replies_due() -> int:
                with db.read() as s:
                    return int(
                        s.scalar(
                            select(func.count())
                            .select_from(LiveComment)
                            .where(LiveComment.reply_uid != "")
                        )
                        or 0
                    )

            def outbox() -> int:
                with db.read() as s:
                    return int(s.scalar(select(func.count()).select_from(OutboxItem)) or 0)

            wait_for(lambda: worked() == n, "every comment worked")
            due = replies_due()
            wait_for(lambda: len(arrived) >= due and outbox() == 0, "every private reply")
            results = results_by_kind(db)
            reserved, taken = check(db, vids)
            with db.read() as s:
                rows = s.execute(select(LiveComment.comment_id, LiveComment.received_at))
                worked_at = {cid: _unix(at) for cid, at in rows.all()}
            desktop.stop()
            desktop = None
            db.dispose()
        finally:
            if desktop is not None:
                desktop.stop()
            relay.stop()
            meta.close()
    report(batch, began, arrived, meta, seconds, posting, results, reserved, taken)
    stages(began, worked_at, arrived)


def _unix(at: dt.datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()


def stages(began: dict[str, float], worked: dict[str, float], arrived: dict[str, float]) -> None:
    """Where the time goes: webhook POST → the comment worked on the desktop (relay inbox,
    stream, the link's store), and worked → the reply at Meta (outbox, relay, Send API)."""
    into = [worked[c] - began[c] for c in arrived]
    out = [arrived[c] - worked[c] for c in arrived]
    for name, xs in (("POST → worked on the desktop", into), ("worked → reply at Meta", out)):
        print(
            f"  {name}: p50 {statistics.median(xs) * 1000:.0f} ms, p99 {pct(xs, 99) * 1000:.0f} ms"
        )


def report(
    batch: list[Posted],
    began: dict[str, float],
    arrived: dict[str, float],
    meta: FakeMeta,
    seconds: float,
    posting: float,
    results: dict[str, int],
    reserved: int,
    taken: int,
) -> None:
    latencies = [arrived[c] - began[c] for c in arrived]
    ig = {b.comment_id for b in batch if b.instagram}
    sent = [b for b in meta.delivered() if "comment_id" in b["recipient"]]
    replied = [b["recipient"]["comment_id"] for b in sent]
    wrong = [(node, cid) for node, cid in meta.nodes if node != (IG_ACCOUNT if cid in ig else "me")]
    assert len(replied) == len(set(replied)) == len(arrived), "a comment answered twice"
    assert not wrong, f"private replies at the wrong endpoint: {wrong[:3]}"
    assert reserved == taken
    how = f"paced over {seconds:g} s" if seconds else "all at once"
    print(
        f"{len(batch)} comment webhooks {how} (posted in {posting:.1f} s), {COMMENTERS}"
        f" commenters, {len(CODES)} codes × {STOCK} in stock, {len(ig)} on Instagram"
    )
    print(
        f"webhook POST → private reply at Meta: p50 {statistics.median(latencies) * 1000:.0f} ms,"
        f" p99 {pct(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        f" ({len(latencies)} replies; {len(batch) - len(latencies)} comments asked for nothing)"
    )
    print(f"comments by result: {dict(sorted(results.items()))}")
    print(f"units reserved {reserved} = stock taken {taken}; nothing oversold; each answered once")
    print("goal p99 ≤ 1000 ms:", "met" if pct(latencies, 99) <= 1.0 else "NOT met")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--comments", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--no-burst", action="store_true", help="skip the all-at-once run")
    args = ap.parse_args()
    one_run(args.comments, args.seconds)
    if not args.no_burst and args.seconds:
        print()
        one_run(args.comments, 0.0)


if __name__ == "__main__":
    main()
