"""Relayed messages/s and round-trip latency on the shared store (ADR 0010), measured in one
run: 1 relay process on SQLite, 1 on PostgreSQL, 2 on the same PostgreSQL database.

Shoppers are spread over many shops (the relay's shape: many small shops; one shop's writes
are serialized across processes by its lock), each shop's desktop answers every message and
acks its stream. With 2 processes, shop s's desktop is on process s % 2 and its shoppers are
either split over both ("spread": half the round trips cross processes, NOTIFY + a read of the
row, and both processes write every shop) or with the desktop ("shop-affine": what a load
balancer hashing on the shop id gives; the processes rarely wait for each other's locks).
Also: the cost of one statement and of one durable COMMIT on the PostgreSQL server, which the
relay's event loop waits for (its store calls are synchronous).

PostgreSQL is Debian's, started by the benchmark in a temporary folder
(tests/support/postgres.py). Loopback only; about a minute.

    .venv/bin/python bench/relay/shared_store.py [--shoppers 1000] [--shops 20] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import websockets
from _common import PYTHON, ROOT, fmt_ms, pct, raise_nofile, uvloop_run

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

TEXT = "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"
REPLY = "มีค่ะ ราคา 290 บาท"


@dataclass
class Proc:
    proc: subprocess.Popen[str]
    ws: str


def start_relay(data_dir: Path, store: str | None, env: dict[str, str]) -> Proc:
    cmd = [PYTHON, "-m", "relay", "--data-dir", str(data_dir), "--log-level", "WARNING"]
    cmd += ["serve", "--port", "0", "--ip-rate", "0", "--shopper-rate", "0"]
    if store:
        cmd += ["--store", store]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **env}
    )
    assert proc.stdout is not None
    port = json.loads(proc.stdout.readline())["port"]
    return Proc(proc, f"ws://127.0.0.1:{port}")


def stop(p: Proc) -> None:
    p.proc.terminate()
    p.proc.wait(30)
    if p.proc.stdout:
        p.proc.stdout.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def desktop(url: str, token: str, stop_at: float) -> None:
    """Answer every shopper message of the shop; ack the stream every 50 ms."""
    async with websockets.connect(
        f"{url}/ws/desktop",
        compression=None,
        max_size=2**24,
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as desk:
        await desk.send(json.dumps({"type": "hello", "protocol": [1], "client": "bench"}))
        json.loads(await desk.recv())
        acked = last = 0
        next_ack = time.perf_counter() + 0.05
        while time.perf_counter() < stop_at + 1:
            try:
                raw = await asyncio.wait_for(desk.recv(), 0.5)
            except TimeoutError:
                continue
            f = json.loads(raw)
            if f["type"] == "message":
                reply = {"id": "re-" + f["message"]["id"], "kind": "text", "text": REPLY}
                frame = {"type": "send", "conversation": f["conversation"], "message": reply}
                await desk.send(json.dumps(frame, ensure_ascii=False))
            last = max(last, int(f.get("seq") or 0))
            now = time.perf_counter()
            if last > acked and (now >= next_ack or last - acked >= 200):
                await desk.send(json.dumps({"type": "ack", "seq": last}))
                acked, next_ack = last, now + 0.05


async def shopper(
    url: str, shop_id: str, k: int, measure_from: float, stop_at: float, rtts: list[float]
) -> None:
    async with websockets.connect(
        f"{url}/ws/widget?shop={shop_id}", compression=None, open_timeout=60
    ) as ws:
        await ws.send('{"type":"hello","protocol":[1]}')
        json.loads(await ws.recv())
        i = 0
        while (now := time.perf_counter()) < stop_at:
            i += 1
            msg = {"id": f"b{k}-{i}", "kind": "text", "text": TEXT}
            await ws.send(json.dumps({"type": "send", "message": msg}, ensure_ascii=False))
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), 30)
                except TimeoutError:
                    LOST[0] += 1  # no answer in 30 s: counted, not waited for
                    return
                if raw.startswith('{"type":"message"') and '"from":"shop"' in raw[:60]:
                    await ws.send(f'{{"type":"ack","seq":{json.loads(raw)["seq"]}}}')
                    break
                if raw.startswith('{"type":"error"'):
                    raise RuntimeError(raw)
            if now >= measure_from:
                rtts.append(time.perf_counter() - now)


async def load(
    procs: list[Proc],
    shops: list[tuple[str, str]],
    n: int,
    warm: float,
    seconds: float,
    affine: bool,
) -> list[float]:
    rtts: list[float] = []
    start = time.perf_counter() + 5  # connecting 1,000 sockets first
    measure_from, stop_at = start + warm, start + warm + seconds
    desks = [
        asyncio.create_task(desktop(procs[s % len(procs)].ws, token, stop_at))
        for s, (_, token) in enumerate(shops)
    ]
    sem = asyncio.Semaphore(100)

    async def one(k: int) -> None:
        shop_id = shops[k % len(shops)][0]
        # affine: with its shop's desktop (a load balancer hashing on the shop id); else
        # spread over the processes whatever the shop
        s = k % len(shops)
        url = procs[(s if affine else k // len(shops)) % len(procs)].ws
        async with sem:
            await asyncio.sleep(0)
        await shopper(url, shop_id, k, measure_from, stop_at, rtts)

    await asyncio.gather(*(one(k) for k in range(n)))
    for d in desks:
        d.cancel()
    await asyncio.gather(*desks, return_exceptions=True)
    return rtts


def make_shops(count: int, store: object) -> list[tuple[str, str]]:
    made = [store.add_shop(f"ร้าน {i}") for i in range(count)]  # type: ignore[attr-defined]
    store.close()  # type: ignore[attr-defined]
    return made


def run(
    label: str,
    n_procs: int,
    url: str | None,
    tmp: Path,
    args: argparse.Namespace,
    key: str,
    affine: bool = False,
) -> None:
    from relay.storage import Store
    from relay.store_pg import PgStore

    env = {"MINICHAT_RELAY_KEY": key}
    os.environ["MINICHAT_RELAY_KEY"] = key
    data = tmp / label.replace(" ", "_").replace(",", "")
    data.mkdir()
    shops = make_shops(args.shops, PgStore(url, data) if url else Store(data))
    # (the SQLite relay opens the file the shops were made in)
    procs = [start_relay(data if i == 0 else data / f"p{i}", url, env) for i in range(n_procs)]
    try:
        c0 = sum(cpu_seconds(p.proc.pid) for p in procs)
        rtts = uvloop_run(load(procs, shops, args.shoppers, args.warmup, args.seconds, affine))
        cpu = sum(cpu_seconds(p.proc.pid) for p in procs) - c0
    finally:
        for p in procs:
            stop(p)
    rate = 2 * len(rtts) / args.seconds
    lost, LOST[0] = LOST[0], 0
    print(
        f"{label:<36}: {rate:7,.0f} relayed messages/s, round trip p50 {fmt_ms(pct(rtts, 50))},"
        f" p99 {fmt_ms(pct(rtts, 99))}; relay CPU {cpu:.1f} s over the whole run"
        + (f"; {lost} round trips NEVER ANSWERED" if lost else ""),
        flush=True,
    )
    RESULTS[label] = rate


RESULTS: dict[str, float] = {}
LOST = [0]  # round trips that never completed


def statement_costs(url: str, tmp: Path) -> None:
    """What one store call waits for: a statement's round trip, a durable COMMIT."""
    from relay.store_pg import PgStore

    store = PgStore(url, tmp / "costs")
    shop_id, _ = store.add_shop("ร้านวัด")
    n = 2000
    t = time.perf_counter()
    for _ in range(n):
        store.pending_count(shop_id)
    one = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for i in range(200):
        store.set_presence(shop_id, store.shop(shop_id).presence)
        store.append_stream(shop_id, lambda seq: f'{{"type":"x","seq":{seq}}}')
        store.commit()
        del i
    commit = (time.perf_counter() - t) / 200
    store.close()
    print(f"PostgreSQL: one read statement {one * 1e6:,.0f} us round trip; a small write")
    print(
        f"  transaction (lock, 2 writes, COMMIT with synchronous_commit on) {commit * 1e6:,.0f} us"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=1000)
    ap.add_argument("--shops", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    args = ap.parse_args()
    raise_nofile(6 * args.shoppers + 1000)
    from cryptography.fernet import Fernet
    from support.postgres import start_postgres

    key = Fernet.generate_key().decode()
    # a SIGTERM (a timeout) still stops the PostgreSQL server below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    pg = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            statement_costs(pg.new_database(), tmp)
            print(
                f"{args.shoppers} shoppers over {args.shops} shops, {args.seconds:.0f} s measured"
                f" after {args.warmup:.0f} s warm-up; {os.cpu_count()} CPUs, load average"
                f" {os.getloadavg()[0]:.2f} (other work on the machine skews the figures)"
            )
            run("1 process, SQLite", 1, None, tmp, args, key)
            run("1 process, PostgreSQL", 1, pg.new_database(), tmp, args, key)
            run("2 processes, PostgreSQL, spread", 2, pg.new_database(), tmp, args, key)
            run("2 processes, PostgreSQL, shop-affine", 2, pg.new_database(), tmp, args, key, True)
    finally:
        pg.remove()
    one = RESULTS["1 process, PostgreSQL"]
    for how in ("spread", "shop-affine"):
        two = RESULTS[f"2 processes, PostgreSQL, {how}"]
        print(f"2 processes ({how}) / 1 on PostgreSQL: {two / one:.2f}x (goal >= 1.7x)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
