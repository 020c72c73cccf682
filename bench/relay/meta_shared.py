"""Messenger through the relay on SQLite and on the shared PostgreSQL store (ADR 0010), in one
run: signed webhooks posted as Meta posts them, the shop's desktop answering every shopper
message, the answers sent to the Graph API (the stand-in of tests/support/fake_meta.py).

Configurations: 1 process on SQLite; 1 process on PostgreSQL; 2 processes on PostgreSQL with
Meta posting to the process without the desktop (every message and every answer crosses
processes: the inbox claim, NOTIFY to the desktop's process, the outbox sent by whichever
process holds the shop's sending). Printed: webhook → desktop latency (p50 / p99), and
messages answered per second (first webhook posted → last answer at the Graph API).

    .venv/bin/python bench/relay/meta_shared.py [--shoppers 40] [--messages 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import websockets
from _common import ROOT, fmt_ms, pct
from shared_store import Proc, start_relay, stop

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

PAGE = "1122334455"


def make_shop(data: Path, url: str | None) -> str:
    """A shop with its Facebook Page set up; its desktop token."""
    from support.fake_meta import APP_SECRET

    from relay.meta_store import MetaCredentials, MetaStore
    from relay.storage import Store
    from relay.store_pg import PgStore

    store = PgStore(url, data) if url else Store(data)
    shop_id, token = store.add_shop("ร้านวัด")
    MetaStore(store).set_credentials(
        shop_id, MetaCredentials(APP_SECRET, "page-token-1", "verify-me")
    )
    store.commit()
    store.close()
    return f"{shop_id} {token}"


async def desktop(ws_url: str, token: str, seen: dict[str, float], want: int) -> None:
    """Answer every shopper message; note when each arrived."""
    from relay import protocol as p

    async with websockets.connect(
        f"{ws_url}/ws/desktop", additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        await ws.send(p.encode(p.DesktopHello((1,), "bench", 0, p.Presence.ONLINE)))
        while len(seen) < want:
            frame = p.decode_to_desktop(await ws.recv())
            if isinstance(frame, p.Inbound):
                seen[frame.message.id] = time.perf_counter()
                reply = p.Message("r" + frame.message.id[5:30], p.Text("มีค่ะ ราคา 290 บาท"))
                await ws.send(p.encode(p.Send(frame.conversation, reply)))
                await ws.send(p.encode(p.Ack(frame.seq)))


async def load(posts: list[str], ws_url: str, token: str, args: argparse.Namespace) -> None:
    from support.fake_meta import APP_SECRET, FakeMeta, sign, user_message, webhook

    from relay.meta import message_id

    meta = FAKE[0]
    assert isinstance(meta, FakeMeta)
    n = args.shoppers * args.messages
    seen: dict[str, float] = {}
    posted: dict[str, float] = {}
    sent_before = len(meta.delivered())
    desk = asyncio.create_task(desktop(ws_url, token, seen, n))
    await asyncio.sleep(0.5)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as http:

        async def shopper(k: int) -> None:
            psid = f"90000000{k:04d}"
            meta.last_in[psid] = time.time()
            for m in range(args.messages):
                mid = f"m_{k}_{m}"
                body = json.dumps(
                    webhook("page", PAGE, user_message(psid, PAGE, mid, text="มีสีแดงไหม"))
                ).encode()
                headers = {"X-Hub-Signature-256": sign(APP_SECRET, body)}
                posted[message_id(mid)] = time.perf_counter()
                async with http.post(posts[k % len(posts)], data=body, headers=headers) as r:
                    assert r.status == 200, r.status

        await asyncio.gather(*(shopper(k) for k in range(args.shoppers)))
    while len(meta.delivered()) - sent_before < n:
        await asyncio.sleep(0.01)
    took = time.perf_counter() - t0
    await asyncio.wait_for(desk, 120)  # (its closing handshake is not timed)
    lat = [seen[i] - posted[i] for i in posted]
    RESULT.append((n / took, pct(lat, 50), pct(lat, 99)))


FAKE: list[object] = []
RESULT: list[tuple[float, float, float]] = []


def run(label: str, url: str | None, n_procs: int, tmp: Path, args: argparse.Namespace) -> None:
    data = tmp / label.replace(" ", "_").replace(",", "")
    data.mkdir()
    meta = FAKE[0]
    env = {"MINICHAT_META_API_BASE": meta.url}  # type: ignore[attr-defined]
    shop_id, token = make_shop(data, url).split()
    procs: list[Proc] = [
        start_relay(data if i == 0 else data / f"p{i}", url, env) for i in range(n_procs)
    ]
    try:
        # Meta posts to the process without the desktop when there is one
        hooks = [p.ws.replace("ws://", "http://") for p in procs[1:] or procs]
        posts = [f"{h}/meta/{shop_id}/webhook" for h in hooks]
        asyncio.run(load(posts, procs[0].ws, token, args))
    finally:
        for p in procs:
            stop(p)
    rate, p50, p99 = RESULT.pop()
    print(
        f"{label:<40}: {rate:6,.0f} messages answered/s; webhook → desktop p50 {fmt_ms(p50)},"
        f" p99 {fmt_ms(p99)}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=40)
    ap.add_argument("--messages", type=int, default=10)
    args = ap.parse_args()
    from cryptography.fernet import Fernet
    from support.fake_meta import FakeMeta
    from support.postgres import start_postgres

    os.environ["MINICHAT_RELAY_KEY"] = Fernet.generate_key().decode()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    FAKE.append(FakeMeta("page-token-1"))
    pg = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            print(
                f"{args.shoppers} Messenger shoppers × {args.messages} messages, one shop;"
                f" load average {os.getloadavg()[0]:.2f}"
            )
            run("1 process, SQLite", None, 1, tmp, args)
            run("1 process, PostgreSQL", pg.new_database(), 1, tmp, args)
            run("2 processes, PostgreSQL, Meta to the other", pg.new_database(), 2, tmp, args)
    finally:
        pg.remove()
        FAKE[0].close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
