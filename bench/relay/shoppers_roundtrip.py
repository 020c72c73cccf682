"""1,000 concurrent shoppers whose messages a simulated desktop answers, against a bare
`websockets` echo server measured in the same run (the Python floor).

Targets (issue 3): round-trip p99 ≤ 3× the bare echo's p99; ≥ 3,000 relayed messages/s on
2 cores. A round trip is shopper → relay → desktop → relay → shopper; "relayed messages" counts
both directions (2 per round trip). Every shopper acks what it is shown and the desktop acks
its stream, as the real ones do, so the relay does its full work (SQLite writes, receipts).

The relay is measured twice in the same run: with clients that speak version 1 as it was
(every ack and notice its own frame) and with clients that offer the ``ride`` feature
(docs/adr/0011-fewer-frames.md: acks ride in the next send, the relay packs what it sends a
socket in one turn and lets notices wait a moment for a frame to ride on). ``--modes`` picks.

The server runs on CPU 0 and this load generator on CPU 1 when there are 2 or more.
Loopback only; about 70 s a round. ``--rounds N`` measures the echo and the relay N times in
turn and prints the median of the rounds' ratios: on a shared machine the echo's p99 alone
moves by a third from one run to the next.

    .venv/bin/python bench/relay/shoppers_roundtrip.py [--shoppers 1000] [--seconds 10] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets
from _common import (
    PYTHON,
    ROOT,
    RelayProc,
    fmt_ms,
    metric,
    pct,
    raise_nofile,
    uvloop_run,
    write_syscalls,
)

ECHO_SERVER = r"""
import asyncio, json, sys, uvloop
from websockets.asyncio.server import serve
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with serve(echo, "127.0.0.1", 0, compression=None, max_queue=64) as s:
        print(json.dumps({"port": s.sockets[0].getsockname()[1]}), flush=True)
        await asyncio.Future()
uvloop.run(main())
"""


RELAY_CPU: list[float] = []
THINK = 0.0  # seconds a shopper waits between round trips (0: as fast as possible)
READ = [False]  # ride widgets also send their read mark (a chat open and visible)
LOAD_CPU: list[float] = []
ECHO_CPU: list[float] = []  # the echo server's, then the generator's, in cores while measured
# WebSocket frames (messages) the shoppers and the desktop sent and received, counted on the
# clients' side of the wire; and what the relay's store and kernel report, both read at the start
# and the end of the measurement
FRAMES = [0]
COMPLETED = [0]  # relay round trips completed (whenever they started): the per-round-trip base
WINDOW: dict[str, float] = {}
ROWS_METRIC = "minichat_relay_sqlite_rows_written_total"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_pressure() -> str:
    """Linux PSI: how much of the time runnable tasks waited for a CPU (other work skews us)."""
    try:
        some = Path("/proc/pressure/cpu").read_text().split()[1]
        return f"CPU pressure {some.split('=')[1]}% (avg10: tasks waiting for a CPU)"
    except (OSError, IndexError):
        return "CPU pressure unknown"


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {cpu})


async def connect_all(
    urls: list[str], headers: dict[str, str] | None = None
) -> list[websockets.ClientConnection]:
    sem = asyncio.Semaphore(100)

    async def one(u: str) -> websockets.ClientConnection:
        async with sem:
            return await websockets.connect(
                u, compression=None, additional_headers=headers, open_timeout=30
            )

    return list(await asyncio.gather(*(one(u) for u in urls)))


async def run_echo(
    port: int, pid: int, n: int, warm: float, seconds: float
) -> tuple[list[float], int]:
    conns = await connect_all([f"ws://127.0.0.1:{port}/"] * n)
    rtts: list[float] = []
    start = time.perf_counter()
    measure_from, stop_at = start + warm, start + warm + seconds
    payload = json.dumps(
        {"type": "send", "message": {"id": "x", "kind": "text", "text": "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"}},
        ensure_ascii=False,
    )

    async def loop(ws: websockets.ClientConnection) -> int:
        count = 0
        while (now := time.perf_counter()) < stop_at:
            await ws.send(payload)
            await ws.recv()
            done = time.perf_counter()
            if now >= measure_from:
                rtts.append(done - now)
                count += 1
            if THINK:
                await asyncio.sleep(THINK * random.uniform(0.5, 1.5))
        return count

    async def cpu_probe() -> None:  # the echo server's and this generator's CPU, measured
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        t0, l0 = cpu_seconds(pid), time.process_time()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        ECHO_CPU.append((cpu_seconds(pid) - t0) / seconds)
        ECHO_CPU.append((time.process_time() - l0) / seconds)

    probe = asyncio.create_task(cpu_probe())
    counts = await asyncio.gather(*(loop(ws) for ws in conns))
    await probe
    await asyncio.gather(*(ws.close() for ws in conns))
    return rtts, sum(counts)


def frames_in(raw: str | bytes) -> list[dict[str, object]]:
    """The frames one WebSocket message holds: those riding in its ``with`` list, then it."""
    f = json.loads(raw)
    return [*f.pop("with", []), f]


async def run_desktop(desk: websockets.ClientConnection, ride: bool) -> None:
    """The shop's side: answer every shopper message at once, ack the stream (v1: alone,
    every 50 ms or 200 items; ride: inside the next send, alone after 50 ms without one)."""
    last_seq = 0
    acked = 0
    next_ack = time.perf_counter() + 0.05

    async def ack_alone() -> None:
        nonlocal acked
        while True:
            await asyncio.sleep(0.05)
            if last_seq > acked:
                FRAMES[0] += 1
                acked = last_seq
                await desk.send(json.dumps({"type": "ack", "seq": acked}))

    idle = asyncio.create_task(ack_alone()) if ride else None
    try:
        async for raw in desk:
            FRAMES[0] += 1
            for f in frames_in(raw):
                if isinstance(f.get("seq"), int):
                    last_seq = max(last_seq, f["seq"])  # type: ignore[call-overload]
                if f["type"] != "message":
                    continue
                reply: dict[str, object] = {
                    "type": "send",
                    "conversation": f["conversation"],
                    "message": {
                        "id": "re-" + f["message"]["id"],  # type: ignore[index]
                        "kind": "text",
                        "text": "มีค่ะ ราคา 290 บาท",
                    },
                }
                if ride and last_seq > acked:
                    reply["ack"] = acked = last_seq
                FRAMES[0] += 1
                await desk.send(json.dumps(reply, ensure_ascii=False))
            now = time.perf_counter()
            if not ride and last_seq > acked and (now >= next_ack or last_seq - acked >= 200):
                FRAMES[0] += 1
                await desk.send(json.dumps({"type": "ack", "seq": last_seq}))
                acked, next_ack = last_seq, now + 0.05
    finally:
        if idle is not None:
            idle.cancel()


async def run_relay(
    relay: RelayProc, n: int, warm: float, seconds: float, ride: bool
) -> tuple[list[float], int]:
    desk = await websockets.connect(
        f"{relay.ws}/ws/desktop",
        compression=None,
        max_size=2**24,
        additional_headers={"Authorization": f"Bearer {relay.token}"},
    )
    features = ',"features":["ride"]' if ride else ""
    await desk.send(f'{{"type":"hello","protocol":[1],"client":"bench"{features}}}')
    welcome = json.loads(await desk.recv())
    if ride and "ride" not in welcome.get("features", []):
        raise SystemExit("this relay does not grant the ride feature")
    stop = asyncio.Event()

    dtask = asyncio.create_task(run_desktop(desk, ride))
    conns = await connect_all([f"{relay.ws}/ws/widget?shop={relay.shop_id}"] * n)
    for ws in conns:
        await ws.send(f'{{"type":"hello","protocol":[1]{features}}}')
    for ws in conns:
        json.loads(await ws.recv())
    rtts: list[float] = []
    start = time.perf_counter()
    measure_from, stop_at = start + warm, start + warm + seconds

    async def loop(k: int, ws: websockets.ClientConnection) -> int:
        count = 0
        i = 0
        ack: int | None = None  # ride: the ack that goes inside the next send
        while (now := time.perf_counter()) < stop_at:
            mid = f"b{k}-{i}"
            i += 1
            send: dict[str, object] = {
                "type": "send",
                "message": {"id": mid, "kind": "text", "text": "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"},
            }
            if ack is not None:
                if READ[0]:
                    send["read"] = ack
                send["ack"], ack = ack, None
            FRAMES[0] += 1
            await ws.send(json.dumps(send, ensure_ascii=False))
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), 60)
                except TimeoutError:
                    desk_state = dtask.exception() if dtask.done() else "the desktop still runs"
                    msg = f"shopper {k}: no reply to {mid} in 60 s ({desk_state})"
                    raise RuntimeError(msg) from None
                FRAMES[0] += 1
                if raw.startswith('{"type":"error"'):
                    raise RuntimeError(raw)
                if not ride:
                    if raw.startswith('{"type":"message"') and '"from":"shop"' in raw[:60]:
                        FRAMES[0] += 1
                        await ws.send(f'{{"type":"ack","seq":{json.loads(raw)["seq"]}}}')
                        break
                    continue
                shop = [f for f in frames_in(raw) if f["type"] == "message" and f["from"] == "shop"]
                if shop:
                    ack = shop[-1]["seq"]  # type: ignore[assignment]
                    if THINK > 0.1:  # the widget acks alone after 100 ms without a send
                        FRAMES[0] += 1
                        await ws.send(f'{{"type":"ack","seq":{ack}}}')
                        ack = None
                    break
            done = time.perf_counter()
            if now >= measure_from:
                rtts.append(done - now)
                count += 1
            COMPLETED[0] += 1
            if THINK:
                await asyncio.sleep(THINK * random.uniform(0.5, 1.5))
        return count

    async def cpu_probe() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        t0, l0 = cpu_seconds(relay.pid), time.process_time()
        f0, w0, c0 = FRAMES[0], write_syscalls(relay.pid), COMPLETED[0]
        r0 = await rows()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu_used.append((cpu_seconds(relay.pid) - t0) / seconds)
        LOAD_CPU.append((time.process_time() - l0) / seconds)
        WINDOW["frames"] = FRAMES[0] - f0
        WINDOW["completed"] = COMPLETED[0] - c0
        WINDOW["writes"] = write_syscalls(relay.pid) - w0
        WINDOW["rows"] = await rows() - r0

    async def rows() -> float:
        port = relay.metrics_port
        if port is None:
            return float("nan")
        return await asyncio.to_thread(metric, port, ROWS_METRIC)

    cpu_used: list[float] = []
    probe = asyncio.create_task(cpu_probe())
    counts = await asyncio.gather(*(loop(k, ws) for k, ws in enumerate(conns)))
    await probe
    RELAY_CPU.extend(cpu_used)
    stop.set()
    await asyncio.gather(*(ws.close() for ws in conns))
    await desk.close()
    dtask.cancel()
    return rtts, sum(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument(
        "--modes",
        default="v1,ride",
        help="comma-separated: v1 (acks and notices alone) and/or ride (ADR 0010)",
    )
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each shopper waits between messages, jittered ±50%% "
        "(0: saturate; 1.0 offers about 1,000 round trips/s)",
    )
    ap.add_argument(
        "--read",
        action="store_true",
        help="ride widgets send their read mark with their ack (the chat open and visible)",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the echo and then the relay this many times in turn and print the"
        " median ratio (the echo's p99 moves by a third between runs on a shared machine)",
    )
    args = ap.parse_args()
    global THINK
    THINK = args.think
    READ[0] = args.read
    raise_nofile(4 * args.shoppers + 1000)
    two = (os.cpu_count() or 1) >= 2
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    mode = (
        f"think time {args.think:g} s" if args.think else "closed loop, no think time (saturating)"
    )
    print(f"mode: {mode}")
    print(
        f"shoppers: {args.shoppers}, measured {args.seconds:.0f} s after {args.warmup:.0f} s"
        " warm-up, "
        f"{'server on CPU 0, load on CPU 1' if two else 'one CPU'}"
    )
    ratios: dict[str, list[float]] = {m: [] for m in modes}
    for n in range(1, max(1, args.rounds) + 1):
        if args.rounds > 1:
            print(f"=== round {n} of {args.rounds}")
        e99 = measure_echo(args, two)
        for name in modes:
            res = measure_relay(name == "ride", args, two)
            report(name, res, e99, args.seconds)
            ratios[name].append(pct(res["rtts"], 99) / e99)
        print(f"machine load average : {os.getloadavg()[0]:.2f}; {cpu_pressure()}", flush=True)
    if args.rounds > 1:
        print("=== all rounds")
        for name, rs in ratios.items():
            mid = statistics.median(rs)
            print(
                f"{name}: p99 ratio relay/echo per round "
                f"{', '.join(f'{r:.2f}x' for r in rs)}; median {mid:.2f}x (target <= 3x)  "
                f"{'OK' if mid <= 3 else 'MISSED'}"
            )


def measure_echo(args: argparse.Namespace, two: bool) -> float:
    """The bare echo server, measured and reported; returns its round-trip p99."""
    ECHO_CPU.clear()
    echo = subprocess.Popen(
        ["taskset", "-c", "0", PYTHON, "-c", ECHO_SERVER] if two else [PYTHON, "-c", ECHO_SERVER],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert echo.stdout is not None
    port = json.loads(echo.stdout.readline())["port"]
    pin(1)
    try:
        e_rtts, e_n = uvloop_run(run_echo(port, echo.pid, args.shoppers, args.warmup, args.seconds))
    finally:
        echo.terminate()
        echo.wait()
        echo.stdout.close()
    e99 = pct(e_rtts, 99)
    print(
        f"bare websockets echo : p50 {fmt_ms(pct(e_rtts, 50))}, p99 {fmt_ms(e99)}, "
        f"{e_n / args.seconds:,.0f} round trips/s"
    )
    if len(ECHO_CPU) == 2:
        e_cpu, e_load = ECHO_CPU
        print(
            f"echo server CPU      : {e_cpu * 100:.0f}% of one core, "
            f"{e_cpu * args.seconds / max(e_n, 1) * 1e6:,.0f} us per round trip; "
            f"load generator CPU {e_load * 100:.0f}%"
        )
    return e99


def measure_relay(ride: bool, args: argparse.Namespace, two: bool) -> dict[str, Any]:
    """One relay process on a fresh data folder, measured with v1 or ride clients."""
    FRAMES[0] = COMPLETED[0] = 0
    WINDOW.clear()
    RELAY_CPU.clear()
    LOAD_CPU.clear()
    with tempfile.TemporaryDirectory() as tmp:
        relay = RelayProc(Path(tmp), "--metrics-port", "0", cpu=0 if two else None)
        try:
            rtts, n = uvloop_run(run_relay(relay, args.shoppers, args.warmup, args.seconds, ride))
        finally:
            relay.stop()
    return {
        "rtts": rtts,
        "n": n,
        "busy": RELAY_CPU[0] if RELAY_CPU else float("nan"),
        "load": LOAD_CPU[0] if LOAD_CPU else float("nan"),
        "window": dict(WINDOW),
    }


def report(name: str, res: dict[str, Any], e99: float, seconds: float) -> None:
    rtts, r_n, busy, window = res["rtts"], res["n"], res["busy"], res["window"]
    r99 = pct(rtts, 99)
    print(f"--- relay, {'clients with ride (ADR 0010)' if name == 'ride' else 'v1 clients'}")
    print(
        f"relay round trip     : p50 {fmt_ms(pct(rtts, 50))}, p99 {fmt_ms(r99)}, "
        f"{r_n / seconds:,.0f} round trips/s = {2 * r_n / seconds:,.0f} relayed messages/s"
    )
    # per round trip: the counters read at the window's ends over the round trips completed
    # between those reads (the same window: in-flight ones balance out in a steady state)
    per = max(window.get("completed", 0), 1)
    print(
        f"relay process CPU    : {busy * 100:.0f}% of one core during the measurement "
        f"(=> about {2 * r_n / seconds / busy:,.0f} relayed messages/s at 100%)"
    )
    print(
        f"relay CPU per round trip: {busy * seconds / per * 1e6:,.0f} us "
        "(2 messages, SQLite writes and receipts included)"
    )
    print(
        f"per round trip       : {window.get('frames', 0) / per:.2f} WebSocket frames (counted"
        f" by the clients), {window.get('rows', float('nan')) / per:.2f} SQLite rows written"
        f" (inserted, updated or deleted: SQLite's total_changes), "
        f"{window.get('writes', 0) / per:.2f} write system calls by the relay (/proc/PID/io)"
    )
    print(
        f"load generator CPU   : {res['load'] * 100:.0f}% of one core (the shoppers + the desktop)"
    )
    print(
        f"p99 ratio relay/echo : {r99 / e99:.2f}x (target <= 3x)  "
        f"{'OK' if r99 <= 3 * e99 else 'MISSED'}"
    )
    print(
        f"relayed messages/s   : {2 * r_n / seconds:,.0f} (target >= 3,000)  "
        f"{'OK' if 2 * r_n / seconds >= 3000 else 'MISSED'}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
