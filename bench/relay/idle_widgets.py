"""10,000 idle widget connections: the relay's memory per connection.

Target (issue 3): ≤ 60 KB per connection. Each connection is a real widget session: the
WebSocket upgrade, a hello, a welcome with the shop's config (and a new session stored in
SQLite), then silence. Memory is the relay process's RSS after all are open minus its RSS
before, divided by the number of connections. The open-file limit is raised for this process
(and the relay it starts). Loopback only; about 30-60 s.

    .venv/bin/python bench/relay/idle_widgets.py [--connections 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import RelayProc, raise_nofile, uvloop_run
from aiohttp import ClientSession, ClientTimeout, TCPConnector


async def open_all(relay: RelayProc, n: int) -> tuple[list[object], float]:
    # aiohttp's client is lighter than `websockets` for holding 10k sockets in one process
    session = ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=60))
    sem = asyncio.Semaphore(200)
    conns: list[object] = []
    t0 = time.perf_counter()

    async def one() -> None:
        async with sem:
            ws = await session.ws_connect(
                f"{relay.ws}/ws/widget?shop={relay.shop_id}",
                compress=0,
                autoping=True,
                heartbeat=None,
            )
            await ws.send_str('{"type":"hello","protocol":[1]}')
            msg = await ws.receive()
            assert '"type":"welcome"' in msg.data, msg.data
            conns.append(ws)

    await asyncio.gather(*(one() for _ in range(n)))
    took = time.perf_counter() - t0
    conns.append(session)
    return conns, took


async def main_async(relay: RelayProc, n: int) -> None:
    await asyncio.sleep(1.0)
    before = relay.rss_kb()
    conns, took = await open_all(relay, n)
    await asyncio.sleep(2.0)  # let the relay settle (commits, buffers)
    after = relay.rss_kb()
    per = (after - before) * 1024 / n
    print(
        f"connections          : {n:,} opened in {took:.1f} s ({n / took:,.0f}/s), each with"
        " hello/welcome"
    )
    print(
        f"relay RSS            : {before / 1024:.1f} MB before, {after / 1024:.1f} MB with all open"
    )
    print(
        f"memory per connection: {per / 1000:.1f} KB (target <= 60 KB) "
        f" {'OK' if per <= 60_000 else 'MISSED'}"
    )
    session = conns.pop()
    await asyncio.gather(*(ws.close() for ws in conns))  # type: ignore[attr-defined]
    await session.close()  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=10_000)
    args = ap.parse_args()
    limit = raise_nofile(2 * args.connections + 1000)
    if limit < args.connections + 100:
        sys.exit(f"open-file limit {limit} is too low for {args.connections} connections")
    with tempfile.TemporaryDirectory() as tmp:
        relay = RelayProc(Path(tmp))
        try:
            uvloop_run(main_async(relay, args.connections))
        finally:
            relay.stop()


if __name__ == "__main__":
    main()
