"""A desktop that reconnects to 10,000 queued messages: all delivered, in order, within 5 s.

Target (issue 3): all 10,000 received in order within 5 s of the desktop connecting. The queue
is filled by 100 widget sessions writing 100 messages each while no desktop is connected; the
time runs from opening the desktop socket until the last message has arrived (the desktop
acks every 500, as a real one would after storing them). Loopback only; about 20 s.

    .venv/bin/python bench/relay/desktop_backlog.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import websockets
from _common import RelayProc, raise_nofile, uvloop_run

SESSIONS = 100


async def fill(relay: RelayProc, total: int) -> dict[str, list[str]]:
    per = total // SESSIONS
    sent: dict[str, list[str]] = {}

    async def shopper(k: int) -> None:
        async with websockets.connect(
            f"{relay.ws}/ws/widget?shop={relay.shop_id}", compression=None
        ) as ws:
            await ws.send('{"type":"hello","protocol":[1]}')
            conv = json.loads(await ws.recv())["conversation"]
            ids = sent[conv] = []
            for i in range(per):
                mid = f"q{k}-{i:04d}"
                ids.append(mid)
                await ws.send(
                    json.dumps(
                        {
                            "type": "send",
                            "message": {
                                "id": mid,
                                "kind": "text",
                                "text": f"ข้อความที่ {i} จากลูกค้า {k}",
                            },
                        },
                        ensure_ascii=False,
                    )
                )
            got = 0
            while got < per:
                if json.loads(await ws.recv())["type"] == "accepted":
                    got += 1

    await asyncio.gather(*(shopper(k) for k in range(SESSIONS)))
    return sent


async def drain(relay: RelayProc, sent: dict[str, list[str]], total: int) -> None:
    t0 = time.perf_counter()
    async with websockets.connect(
        f"{relay.ws}/ws/desktop",
        compression=None,
        max_size=2**24,
        additional_headers={"Authorization": f"Bearer {relay.token}"},
    ) as desk:
        await desk.send(json.dumps({"type": "hello", "protocol": [1], "client": "bench"}))
        welcome = json.loads(await desk.recv())
        first_frame = None
        seen: dict[str, list[str]] = {}
        last_seq = 0
        n = 0
        while n < total:
            f = json.loads(await desk.recv())
            if f["type"] != "message":
                continue
            first_frame = first_frame or time.perf_counter()
            assert f["seq"] == last_seq + 1, f"gap or reorder at seq {f['seq']} after {last_seq}"
            last_seq = f["seq"]
            seen.setdefault(f["conversation"], []).append(f["message"]["id"])
            n += 1
            if n % 500 == 0:
                await desk.send(json.dumps({"type": "ack", "seq": last_seq}))
        took = time.perf_counter() - t0
        await desk.send(json.dumps({"type": "ack", "seq": last_seq}))
    in_order = all(seen.get(conv) == ids for conv, ids in sent.items())
    print(
        f"queued               : {welcome['pending']:,} messages from {len(sent)} shoppers"
        " while the desktop was away"
    )
    print(f"first message after  : {(first_frame - t0) * 1000:.0f} ms")
    print(
        f"all {total:,} delivered in: {took:.2f} s ({total / took:,.0f} msg/s), seq strictly"
        f" 1..{last_seq}, "
        f"per-conversation order {'kept' if in_order else 'BROKEN'}"
    )
    print(f"target <= 5 s        : {'OK' if took <= 5 and in_order else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    args = ap.parse_args()
    raise_nofile(4096)
    with tempfile.TemporaryDirectory() as tmp:
        relay = RelayProc(Path(tmp))
        try:
            t0 = time.perf_counter()
            sent = uvloop_run(fill(relay, args.messages))
            print(f"filled the queue in  : {time.perf_counter() - t0:.1f} s")
            # a fresh process, as after a night: the queue comes from SQLite, not memory
            relay.stop()
            relay.restart()
            uvloop_run(drain(relay, sent, args.messages))
        finally:
            relay.stop()


if __name__ == "__main__":
    main()
