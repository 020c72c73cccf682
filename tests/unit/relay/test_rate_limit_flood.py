"""The per-IP limits under a flood of keys (every connection from a new IPv6 address): the
limiter's table stays bounded and cleaning it stays rare, while the keys in use keep their limits;
an IPv6 subscriber counts as its /64."""

from __future__ import annotations

from relay.ratelimit import RateLimiter, ip_key


def test_a_flood_of_new_keys_keeps_the_table_bounded_and_its_cleanups_rare() -> None:
    now = [0.0]
    # the relay's IP limit: 60 at once, 2 a second (a bucket is full again after 30 s)
    rl = RateLimiter(rate=2, burst=60, max_keys=1000, clock=lambda: now[0])
    biggest = 0
    for i in range(20_000):  # 20,000 addresses within 2 s: every bucket still in use
        now[0] += 0.0001
        assert rl.allow(f"2001:db8::{i:x}")
        biggest = max(biggest, len(rl._buckets))
    assert biggest <= 1500
    # one clean-up per 500 new keys at most (it reads the whole table): the old limiter
    # cleaned on every call once past 1,000 keys in use, ~19,000 times here
    assert 1 <= rl.cleanups <= 20_000 // 500 + 1
    # the most recent addresses keep their buckets: one that spent its burst is refused
    last = "2001:db8::4e1f"  # (i = 19,999)
    assert all(rl.allow(last) for _ in range(59))
    assert not rl.allow(last)
    for i in range(600):  # a clean-up comes (500 more keys) and keeps the spent bucket
        now[0] += 0.0001
        rl.allow(f"2001:db9::{i:x}")
    assert not rl.allow(last)


def test_full_buckets_go_first_and_keys_in_use_keep_their_limits() -> None:
    now = [0.0]
    rl = RateLimiter(rate=10, burst=3, max_keys=100, clock=lambda: now[0])
    for _ in range(3):
        assert rl.allow("busy")
    assert not rl.allow("busy")  # spent
    for i in range(80):  # quiet shoppers, once each
        rl.allow(f"quiet-{i}")
    now[0] += 0.05  # "busy" has half a token back; the quiet ones are not full yet either
    assert not rl.allow("busy")
    now[0] += 1.0  # every quiet bucket is full again (3 tokens at 10/s: 0.3 s)
    for _ in range(3):
        assert rl.allow("busy")
    assert not rl.allow("busy")
    for i in range(30):  # past 100 keys: a clean-up forgets the full (quiet) buckets only
        rl.allow(f"new-{i}")
    assert rl.cleanups >= 1
    assert not any(k.startswith("quiet-") for k in rl._buckets)
    assert "busy" in rl._buckets
    assert not rl.allow("busy")  # still spent


def test_the_per_ip_limits_count_an_ipv6_subscriber_as_its_64() -> None:
    """A phone or a home gets a whole /64 and may take a new address in it at will: counted
    address by address, each would come with a full allowance."""
    keys = {
        a: ip_key(a)
        for a in (
            "2001:db8:ab:cd::1",
            "2001:DB8:AB:CD:1234:5678:9abc:def0",
            "2001:db8:ab:ce::1",
            "::ffff:203.0.113.9",
            "203.0.113.9",
            "fe80::1%eth0",
            "?",
        )
    }
    assert keys == {
        "2001:db8:ab:cd::1": "2001:db8:ab:cd::/64",
        "2001:DB8:AB:CD:1234:5678:9abc:def0": "2001:db8:ab:cd::/64",
        "2001:db8:ab:ce::1": "2001:db8:ab:ce::/64",
        "::ffff:203.0.113.9": "203.0.113.9",  # (IPv4 as a dual-stack socket shows it)
        "203.0.113.9": "203.0.113.9",
        "fe80::1%eth0": "fe80::/64",
        "?": "?",  # (not an address: as given)
    }
