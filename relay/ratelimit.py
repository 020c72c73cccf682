"""Token buckets keyed by shopper session or client IP."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable


class RateLimiter:
    """``burst`` actions at once, refilled at ``rate`` per second. ``rate <= 0`` disables it.

    Memory and time stay bounded whatever the number of keys (a flood from many IPv6
    addresses): once the table has grown by ``max_keys // 2`` keys since it was last cleaned,
    full buckets are forgotten (a key seen again starts full, as it would have been); if more
    than ``max_keys`` are still in use, only the ``max_keys`` most recently used are kept. So
    the table holds at most 1.5 × ``max_keys`` keys, and a clean-up, which reads the whole
    table, comes at most once per ``max_keys // 2`` new keys: O(1) a call on average.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        on_refuse: Callable[[], None] | None = None,
    ) -> None:
        self.rate = rate
        self._on_refuse = on_refuse  # counts refusals (relay.metrics)
        self._clock = clock
        self.burst = max(burst, 1.0)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._clean_at = max_keys  # clean up once the table is this big
        self.cleanups = 0  # (how many: the tests read it)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def allow(self, key: str, cost: float = 1.0) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < cost:
            self._buckets[key] = (tokens, now)
            if self._on_refuse is not None:
                self._on_refuse()
            return False
        self._buckets[key] = (tokens - cost, now)
        if len(self._buckets) > self._clean_at:
            self._prune(now)
        return True

    def retry_after(self, key: str) -> float:
        tokens, _ = self._buckets.get(key, (self.burst, 0.0))
        return max(0.0, (1.0 - tokens) / self.rate) if self.rate > 0 else 0.0

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        kept = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
        if len(kept) > self.max_keys:  # all in use: the least recently used go
            recent = sorted(kept.items(), key=lambda kv: kv[1][1])[-self.max_keys :]
            kept = dict(recent)
        self._buckets = kept
        self._clean_at = len(kept) + max(1, self.max_keys // 2)
        self.cleanups += 1


def ip_key(address: str) -> str:
    """What a per-IP limit counts for ``address``: an IPv4 address itself (also written as
    IPv6, ``::ffff:a.b.c.d``), an IPv6 address its /64 network. One subscriber (a phone, a
    home) gets a whole /64 and may use any address in it: counted one by one, every new
    address would start with a full allowance. Anything else as given."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # (a zone: fe80::1%eth0)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
