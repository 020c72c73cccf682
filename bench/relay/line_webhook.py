"""Signed LINE webhooks acknowledged: latency of the 200, p50/p99.

Target (issue 3): p99 < 300 ms. 2,000 webhook POSTs (one text event each, a unique
webhookEventId, signed with the channel secret) from 20 concurrent senders while a desktop is
connected and receiving; the relay verifies the signature on the raw body, stores the body,
commits, answers 200, and processes after. LINE's API is a local stand-in (replies/pushes are
not part of the figure). Loopback only; about 15 s.

    .venv/bin/python bench/relay/line_webhook.py [--posts 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import aiohttp
import websockets
from _common import PYTHON, ROOT, RelayProc, fmt_ms, pct, uvloop_run
from aiohttp import web

SECRET = "bench-channel-secret"
USER = "U" + "ab" * 16


async def fake_line() -> tuple[web.AppRunner, str]:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def body_for(i: int) -> bytes:
    return json.dumps(
        {
            "destination": "U0",
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": int(time.time() * 1000),
                    "source": {"type": "user", "userId": USER},
                    "webhookEventId": f"01BENCH{i:08d}",
                    "deliveryContext": {"isRedelivery": False},
                    "replyToken": f"rt{i}",
                    "message": {
                        "id": str(10_000_000 + i),
                        "type": "text",
                        "text": f"สวัสดีค่ะ ข้อความที่ {i}",
                    },
                }
            ],
        },
        ensure_ascii=False,
    ).encode()


async def run(relay: RelayProc, posts: int, concurrency: int) -> None:
    hook = f"{relay.url}/line/{relay.shop_id}/webhook"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    received = 0
    async with websockets.connect(
        f"{relay.ws}/ws/desktop",
        compression=None,
        additional_headers={"Authorization": f"Bearer {relay.token}"},
    ) as desk:
        await desk.send(json.dumps({"type": "hello", "protocol": [1]}))
        await desk.recv()

        async def desktop() -> None:
            nonlocal received
            async for raw in desk:
                f = json.loads(raw)
                if f["type"] == "message":
                    received += 1
                    await desk.send(json.dumps({"type": "ack", "seq": f["seq"]}))

        dtask = asyncio.create_task(desktop())
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(posts):
            queue.put_nowait(i)
        async with aiohttp.ClientSession() as http:

            async def sender() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    body = body_for(i)
                    sig = base64.b64encode(
                        hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
                    ).decode()
                    t0 = time.perf_counter()
                    async with http.post(
                        hook,
                        data=body,
                        headers={"X-Line-Signature": sig, "Content-Type": "application/json"},
                    ) as r:
                        await r.read()
                        latencies.append(time.perf_counter() - t0)
                        statuses[r.status] = statuses.get(r.status, 0) + 1

            t0 = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(concurrency)))
            took = time.perf_counter() - t0
        for _ in range(1200):  # processing runs after the 200s; give it up to 60 s
            if received >= posts:
                break
            await asyncio.sleep(0.05)
        processed = time.perf_counter() - t0
        dtask.cancel()
    print(
        f"webhooks             : {posts:,} signed POSTs, {concurrency} at a time,"
        f" {posts / took:,.0f}/s; "
        f"statuses {statuses}"
    )
    print(
        f"200 latency          : p50 {fmt_ms(pct(latencies, 50))}, p99"
        f" {fmt_ms(pct(latencies, 99))}, "
        f"max {fmt_ms(max(latencies))}"
    )
    print(
        f"reached the desktop  : {received:,} of {posts:,}, {processed:.1f} s after the first POST"
    )
    print(
        "target p99 < 300 ms  :"
        f" {'OK' if pct(latencies, 99) < 0.3 and statuses == {200: posts} else 'MISSED'}"
    )


async def main_async(args: argparse.Namespace, tmp: Path) -> None:
    runner, line_url = await fake_line()
    relay = RelayProc(tmp, env={"MINICHAT_LINE_API_BASE": line_url})
    try:
        subprocess.run(
            [
                PYTHON,
                "-m",
                "relay",
                "--data-dir",
                str(tmp),
                "shops",
                "line",
                relay.shop_id,
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env={
                **os.environ,
                "MINICHAT_LINE_CHANNEL_SECRET": SECRET,
                "MINICHAT_LINE_CHANNEL_TOKEN": "bench-token",
            },
        )
        await run(relay, args.posts, args.concurrency)
    finally:
        relay.stop()
        await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uvloop_run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    main()
