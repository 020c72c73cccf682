"""The relay's metrics as Prometheus reads them: the per-shop stream depth is capped, LINE's
answers map to a few results, and rate-limit refusals are counted where they happen."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from relay.metrics import MAX_SHOP_SERIES, LiveFigures, Metrics, line_result
from relay.ratelimit import RateLimiter


def _samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_stream_depth_shows_only_the_shops_furthest_behind() -> None:
    """Of 1,000 shops, 120 with items pending: the 50 deepest get a series each, the totals
    count all of them, and shops with nothing pending get none."""
    depth = {f"shop_{i:04d}": (i if i < 120 else 0) for i in range(1000)}
    samples = _samples(Metrics(lambda: LiveFigures(3, 40, depth)))
    shown = {
        dict(labels)["shop"]: v
        for (name, labels), v in samples.items()
        if name == "minichat_relay_stream_depth"
    }
    assert len(shown) == MAX_SHOP_SERIES == 50
    assert shown == {f"shop_{i:04d}": i for i in range(70, 120)}
    assert samples[("minichat_relay_stream_items", frozenset())] == sum(range(120))
    assert samples[("minichat_relay_shops_behind", frozenset())] == 119
    assert samples[("minichat_relay_open_sockets", frozenset({("kind", "widget")}))] == 40
    assert samples[("minichat_relay_open_sockets", frozenset({("kind", "desktop")}))] == 3


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, "ok"),
        (202, "ok"),
        (409, "duplicate"),
        (429, "rate_limited"),
        (400, "client_error"),
        (401, "client_error"),
        (500, "server_error"),
        (503, "server_error"),
        (None, "error"),
    ],
)
def test_line_answers_map_to_few_results(status: int | None, result: str) -> None:
    """Any LINE status lands in one of six results (a bounded label)."""
    assert line_result(status) == result


def test_rate_limit_refusals_are_counted_by_limit() -> None:
    """Each refusal of a limiter counts once under its name; allowed actions count nothing."""
    metrics = Metrics()
    now = [100.0]
    limiter = RateLimiter(1.0, 2.0, clock=lambda: now[0], on_refuse=metrics.refused("shopper"))
    assert [limiter.allow("s") for _ in range(4)] == [True, True, False, False]
    now[0] += 1.0
    assert limiter.allow("s") is True
    samples = _samples(metrics)
    assert samples[("minichat_relay_rate_limited_total", frozenset({("limit", "shopper")}))] == 2


def test_rows_written_is_what_sqlite_counted(tmp_path: Path) -> None:
    """The rows counter is SQLite's own count of this store's changes: adding a shop writes
    exactly one row."""
    from relay.storage import Store

    store = Store(tmp_path)
    try:
        metrics = Metrics(lambda: LiveFigures(rows_written=store.rows_written))
        before = _samples(metrics)[("minichat_relay_sqlite_rows_written_total", frozenset())]
        store.add_shop("ร้านทดสอบ")
        store.commit()
        after_shop = _samples(metrics)[("minichat_relay_sqlite_rows_written_total", frozenset())]
        assert after_shop - before == 1
    finally:
        store.close()


def test_notifications_count_by_a_few_kinds_and_time_only_those_that_carry_a_send_time() -> None:
    """A known kind is its own label value, anything else "other"; the lag is measured from
    the sender's ``at`` (a clock behind ours counts as 0, never negative) and not at all when
    the payload has no time (an older relay's, or the resync the store makes up itself)."""
    metrics = Metrics()
    metrics.notified("stream", 100.0, now=100.25)
    metrics.notified("msg", 100.5, now=100.25)  # the sender's clock is ahead of ours
    metrics.notified("resync", None, now=100.25)
    metrics.notified("something-new", True, now=100.25)
    samples = _samples(metrics)
    received = {
        dict(labels)["kind"]: v
        for (name, labels), v in samples.items()
        if name == "minichat_relay_store_notifications_received_total"
    }
    assert received == {"stream": 1, "msg": 1, "resync": 1, "other": 1}
    lag = "minichat_relay_store_notification_lag_seconds"
    assert samples[(f"{lag}_count", frozenset())] == 2
    assert samples[(f"{lag}_sum", frozenset())] == 0.25
    assert samples[(f"{lag}_bucket", frozenset({("le", "0.0005")}))] == 1


def test_messages_are_counted_by_channel_and_direction() -> None:
    """Every known channel has its series from the start (at 0); a conversation of another
    kind counts as "other"."""
    metrics = Metrics()
    before = _samples(metrics)
    assert before[("minichat_relay_messages_total", _labels("instagram", "out"))] == 0
    for conversation in ("widget:AAAA", "widget:BBBB", "line:U1", "comment:9"):
        metrics.message(conversation, "in")
    metrics.message("widget:AAAA", "out")
    after = _samples(metrics)
    assert after[("minichat_relay_messages_total", _labels("widget", "in"))] == 2
    assert after[("minichat_relay_messages_total", _labels("widget", "out"))] == 1
    assert after[("minichat_relay_messages_total", _labels("line", "in"))] == 1
    assert after[("minichat_relay_messages_total", _labels("other", "in"))] == 1
    assert ("minichat_relay_messages_total", _labels("other", "out")) not in after


def _labels(channel: str, direction: str) -> frozenset[tuple[str, str]]:
    return frozenset({("channel", channel), ("direction", direction)})


def test_commit_times_form_a_cumulative_histogram_per_store() -> None:
    """A time equal to a bound counts in that bucket; one over every bound only in +Inf;
    a store's series exist (at 0) from the moment its commits are timed."""
    metrics = Metrics()
    timing = metrics.commit_timing("sqlite")
    metrics.commit_timing("postgresql")
    for seconds in (0.0001, 0.0003, 0.0003, 7.0):
        timing.observe(seconds)
    s = _samples(metrics)
    name = "minichat_relay_store_commit_seconds"

    def bucket(store: str, le: str) -> float:
        return s[(f"{name}_bucket", frozenset({("store", store), ("le", le)}))]

    assert bucket("sqlite", "0.0001") == 1
    assert bucket("sqlite", "0.00025") == 1
    assert bucket("sqlite", "0.0005") == 3
    assert bucket("sqlite", "0.5") == 3
    assert bucket("sqlite", "+Inf") == 4
    assert s[(f"{name}_count", frozenset({("store", "sqlite")}))] == 4
    assert s[(f"{name}_sum", frozenset({("store", "sqlite")}))] == pytest.approx(7.0007)
    assert bucket("postgresql", "+Inf") == 0
