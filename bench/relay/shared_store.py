"""Relayed messages/s and round-trip latency on the shared store (ADR 0010), measured in one
run: 1 relay process on SQLite, 1 on PostgreSQL, 2 on the same PostgreSQL database.

Shoppers are spread over many shops (the relay's shape: many small shops; one shop's writes
are serialized across processes by its lock), each shop's desktop answers every message and
acks its stream. With 2 processes, shop s's desktop is on process s % 2 and its shoppers are
either split over both ("spread": half the round trips cross processes, NOTIFY + a read of the
row, and both processes write every shop) or with the desktop ("shop-affine": what a load
balancer hashing on the shop id gives; the processes rarely wait for each other's locks).
Also: the cost of one statement and of one durable COMMIT on the PostgreSQL server (the
relay's event loop waits for every statement: its store calls are synchronous; not for the
COMMIT, answered while the next batch gathers), and for each PostgreSQL run the time the
processes waited for shops' locks (the metrics' store_lock_wait_seconds). In process, the
store calls of one round trip alone: bench/relay/pg_store_calls.py.

PostgreSQL is Debian's, started by the benchmark in a temporary folder
(tests/support/postgres.py). Loopback only; about a minute.

On a machine of few cores the relays, PostgreSQL and the 1,000 shoppers share them: with 2,
two relay processes fill the machine and cannot show what a second process adds where it
has a core of its own. ``--relay-cpus X`` holds every relay process to X cores with a cgroup
CPU quota (what ``cpus: X`` in a compose file or ``CPUQuota=`` in a systemd unit gives), in
every run alike, so that the runs compare processes of the same size and the rest of the
machine is left to PostgreSQL and the load. It needs root and a writable /sys/fs/cgroup
(cgroup v2 with the cpu controller, or v1's cpu hierarchy).

    .venv/bin/python bench/relay/shared_store.py [--shoppers 1000] [--shops 20] [--seconds 8]
        [--relay-cpus X]
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
import urllib.request
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
    metrics: str  # its /metrics
    cgroup: Path | None = None  # the cgroup holding it to --relay-cpus


class CpuLimitError(Exception):
    """--relay-cpus cannot be applied on this machine."""


def cpu_cgroup_root() -> tuple[Path, bool]:
    """Where new CPU cgroups go, and whether it is cgroup v2 (else v1's cpu hierarchy)."""
    unified = Path("/sys/fs/cgroup")
    controllers = unified / "cgroup.controllers"
    if controllers.exists():
        if "cpu" not in controllers.read_text().split():
            raise CpuLimitError("cgroup v2 without the cpu controller")
        subtree = unified / "cgroup.subtree_control"
        if "cpu" not in subtree.read_text().split():
            subtree.write_text("+cpu")
        return unified, True
    v1 = unified / "cpu"
    if (v1 / "cpu.cfs_quota_us").exists():
        return v1, False
    raise CpuLimitError("no cgroup CPU controller under /sys/fs/cgroup")


def limit_cpu(pid: int, cores: float, name: str) -> Path:
    """Hold process ``pid`` (all its threads) to ``cores`` CPUs: a new cgroup with a CFS
    quota of ``cores`` x 100 ms per 100 ms. Returns the cgroup, to remove after."""
    try:
        root, v2 = cpu_cgroup_root()
        group = root / name
        group.mkdir()
        quota = round(cores * 100_000)
        if v2:
            (group / "cpu.max").write_text(f"{quota} 100000")
        else:
            (group / "cpu.cfs_period_us").write_text("100000")
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cgroup.procs").write_text(str(pid))
    except OSError as exc:
        raise CpuLimitError(f"{exc.strerror or exc}: {exc.filename or ''}") from exc
    return group


def throttled_seconds(group: Path) -> float:
    """Seconds the cgroup's processes were held back by the quota so far."""
    for line in (group / "cpu.stat").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "throttled_usec":
            return int(value) / 1e6
        if key == "throttled_time":  # (v1: nanoseconds)
            return int(value) / 1e9
    return 0.0


def lock_wait(p: Proc) -> tuple[float, float]:
    """(shop locks taken, seconds waited for them) so far, from the process's metrics."""
    got = {"count": 0.0, "sum": 0.0}
    with urllib.request.urlopen(p.metrics, timeout=10) as answer:
        for line in answer.read().decode().splitlines():
            name, _, value = line.partition(" ")
            for part in got:
                if name == f"minichat_relay_store_lock_wait_seconds_{part}":
                    got[part] = float(value)
    return got["count"], got["sum"]


def start_relay(data_dir: Path, store: str | None, env: dict[str, str]) -> Proc:
    cmd = [PYTHON, "-m", "relay", "--data-dir", str(data_dir), "--log-level", "WARNING"]
    cmd += ["serve", "--port", "0", "--ip-rate", "0", "--ip-sockets", "0", "--shopper-rate", "0"]
    cmd += ["--metrics-port", "0"]
    if store:
        cmd += ["--store", store]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **env}
    )
    assert proc.stdout is not None
    listening = json.loads(proc.stdout.readline())
    metrics = f"http://127.0.0.1:{listening['metrics_port']}/metrics"
    return Proc(proc, f"ws://127.0.0.1:{listening['port']}", metrics)


def stop(p: Proc) -> None:
    p.proc.terminate()
    p.proc.wait(30)
    if p.proc.stdout:
        p.proc.stdout.close()
    if p.cgroup is not None:
        for _ in range(50):  # (empty once the process is reaped)
            try:
                p.cgroup.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children now alive (PostgreSQL: the postmaster and its
    backends, one per relay connection)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Window:
    """CPU seconds used during the measured window, by who."""

    relays: float = 0.0
    postgres: float = 0.0
    load: float = 0.0


def cpu_now(relay_pids: list[int], pg_pid: int | None) -> tuple[float, float, float]:
    usage = os.times()
    return (
        sum(cpu_seconds(pid) for pid in relay_pids),
        tree_cpu(pg_pid) if pg_pid else 0.0,
        usage.user + usage.system,
    )


async def measure_cpu(
    relay_pids: list[int], pg_pid: int | None, start: float, stop: float, into: Window
) -> None:
    """Fill ``into`` with the CPU used from ``start`` to ``stop`` (perf_counter times)."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    before = cpu_now(relay_pids, pg_pid)
    await asyncio.sleep(max(0.0, stop - time.perf_counter()))
    after = cpu_now(relay_pids, pg_pid)
    into.relays, into.postgres, into.load = (a - b for a, b in zip(after, before, strict=True))


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
    pg_pid: int | None,
    window: Window,
) -> list[float]:
    rtts: list[float] = []
    start = time.perf_counter() + 5  # connecting 1,000 sockets first
    measure_from, stop_at = start + warm, start + warm + seconds
    pids = [p.proc.pid for p in procs]
    cpu = asyncio.create_task(measure_cpu(pids, pg_pid, measure_from, stop_at, window))
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
    await cpu
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
    pg_pid: int | None,
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
    window = Window()
    pg = pg_pid if url else None
    try:
        if args.relay_cpus:
            for i, proc in enumerate(procs):
                name = f"minichat-bench-{os.getpid()}-{len(RESULTS)}-{i}"
                proc.cgroup = limit_cpu(proc.proc.pid, args.relay_cpus, name)
        rtts = uvloop_run(
            load(procs, shops, args.shoppers, args.warmup, args.seconds, affine, pg, window)
        )
        locks = [lock_wait(p) for p in procs] if url else []
        held = [throttled_seconds(p.cgroup) for p in procs if p.cgroup is not None]
    finally:
        for p in procs:
            stop(p)
    rate = 2 * len(rtts) / args.seconds
    lost, LOST[0] = LOST[0], 0
    per = window.relays / max(1, 2 * len(rtts)) * 1e6
    used = (window.relays + window.postgres + window.load) / args.seconds
    print(
        f"{label:<36}: {rate:7,.0f} relayed messages/s, round trip p50 {fmt_ms(pct(rtts, 50))},"
        f" p99 {fmt_ms(pct(rtts, 99))}" + (f"; {lost} round trips NEVER ANSWERED" if lost else ""),
        flush=True,
    )
    print(
        f"{'':<36}  CPU while measured: relay {window.relays / args.seconds:.2f} cores"
        f" ({per:,.0f} us per relayed message), PostgreSQL {window.postgres / args.seconds:.2f},"
        f" load generator {window.load / args.seconds:.2f}; {used:.2f} of"
        f" {os.cpu_count()} cores busy",
        flush=True,
    )
    if held:
        print(
            f"{'':<36}  held to {args.relay_cpus:g} cores each by the quota: held back"
            f" {', '.join(f'{h:.1f}' for h in held)} s (whole run, warm-up too)",
            flush=True,
        )
    if locks:
        taken, waited = (sum(x) for x in zip(*locks, strict=True))
        print(
            f"{'':<36}  shop locks (whole run, warm-up too): {taken:,.0f} taken,"
            f" {waited:.2f} s waited for ({waited / max(1.0, taken) * 1e6:,.0f} us per lock)",
            flush=True,
        )
    RESULTS[label] = rate
    PER_MESSAGE[label] = per


RESULTS: dict[str, float] = {}
PER_MESSAGE: dict[str, float] = {}  # relay CPU microseconds per relayed message
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
    ap.add_argument(
        "--relay-cpus",
        type=float,
        metavar="X",
        help="hold every relay process to X cores (a cgroup CPU quota; needs root)",
    )
    args = ap.parse_args()
    if args.relay_cpus is not None and not 0.05 <= args.relay_cpus <= (os.cpu_count() or 1):
        ap.error(f"--relay-cpus: between 0.05 and {os.cpu_count()} cores")
    if args.relay_cpus:
        try:
            cpu_cgroup_root()
        except (CpuLimitError, OSError) as exc:
            ap.error(f"--relay-cpus needs root and a writable /sys/fs/cgroup: {exc}")
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
                + (
                    f"; every relay process held to {args.relay_cpus:g} cores"
                    if args.relay_cpus
                    else ""
                )
            )
            pid = pg.pid()
            run("1 process, SQLite", 1, None, tmp, args, key, None)
            run("1 process, PostgreSQL", 1, pg.new_database(), tmp, args, key, pid)
            run("2 processes, PostgreSQL, spread", 2, pg.new_database(), tmp, args, key, pid)
            affine = "2 processes, PostgreSQL, shop-affine"
            run(affine, 2, pg.new_database(), tmp, args, key, pid, True)
    except CpuLimitError as exc:
        print(f"shared_store.py: --relay-cpus: cannot hold a relay process: {exc}", file=sys.stderr)
        sys.exit(2)
    finally:
        pg.remove()
    one, one_cpu = RESULTS["1 process, PostgreSQL"], PER_MESSAGE["1 process, PostgreSQL"]
    for how in ("spread", "shop-affine"):
        label = f"2 processes, PostgreSQL, {how}"
        two = RESULTS[label]
        print(
            f"2 processes ({how}) / 1 on PostgreSQL: {two / one:.2f}x (goal >= 1.7x);"
            f" relay CPU per relayed message {PER_MESSAGE[label] / one_cpu:.2f}x"
            " one process's (1.00x: a second process costs nothing extra per message, so with"
            " a core each it would give 2x)"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
