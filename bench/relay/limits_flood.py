"""The relay's per-IP connection limit under a flood of addresses: the time each check takes
and the memory the limiter keeps, through the relay's own RateLimiter and ip_key.

An attacker with a /48 of IPv6 has 65,536 /64 networks, each a new key for the per-IP limits
(an IPv6 address counts as its /64). Here ``--addresses`` connections (default 300,000), each
from a /64 of its own, all within the 30 s a bucket takes to fill again (so every key stays in
use), go through the limiter the relay puts in front of widget connections (60 at once, then
2 a second). Prints the mean and worst time per check, the worst clean-up, the most keys the
table held and what the table takes in memory at that size.

Target: the mean check stays in microseconds and no single check takes more than 0.2 s (a
clean-up reads the whole table: it must come rarely, not on every check); the table stays at
most 1.5 × the limiter's 100,000 keys.

    .venv/bin/python bench/relay/limits_flood.py [--addresses 300000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from relay.ratelimit import RateLimiter, ip_key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addresses", type=int, default=300_000)
    args = ap.parse_args()
    now = [0.0]
    limiter = RateLimiter(2.0, 60.0, clock=lambda: now[0])  # the relay's --ip-rate, --ip-burst
    step = 20.0 / args.addresses  # all of them within 20 s (a bucket refills in 30 s)
    keys = [ip_key(f"2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::1") for i in range(args.addresses)]
    worst = total = 0.0
    biggest = 0
    for key in keys:
        now[0] += step
        t = time.perf_counter()
        if not limiter.allow(key):
            raise SystemExit(f"{key} refused: a new address starts with a full bucket")
        dt = time.perf_counter() - t
        total += dt
        worst = max(worst, dt)
        biggest = max(biggest, len(limiter._buckets))
    tracemalloc.start()
    probe = RateLimiter(2.0, 60.0, max_keys=biggest + 1, clock=lambda: 0.0)
    for key in keys[:biggest]:
        probe.allow(key)
    table = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"addresses (each its own /64): {args.addresses:,} within 20 s")
    print(
        f"check: mean {total / args.addresses * 1e6:.2f} us, worst {worst * 1e3:.1f} ms"
        f" (a clean-up), clean-ups {limiter.cleanups}"
    )
    print(
        f"table: at most {biggest:,} keys (bound {int(limiter.max_keys * 1.5):,}),"
        f" {table / 2**20:.1f} MB at that size ({table / biggest:.0f} bytes a key)"
    )
    ok = worst < 0.2 and biggest <= limiter.max_keys * 1.5
    print(f"target (worst check < 0.2 s, table <= 1.5 x max_keys): {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
