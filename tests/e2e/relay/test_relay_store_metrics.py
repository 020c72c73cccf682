"""The store's metrics, read from /metrics of real relay processes: commit latency and rows
written on SQLite and on PostgreSQL, and on PostgreSQL the notifications each process
receives from the other with their lag, and whether the store is reachable.

The PostgreSQL server is Debian's, started once for this module (tests/support/postgres.py);
each test has a database of its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from support.postgres import PostgresServer, start_postgres
from support.relay_proc import Relay, relay_cli, stopped_logs
from support.waiting import until

from relay import pg_schema
from relay import protocol as p

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PG = frozenset({("store", "postgresql")})
SQLITE = frozenset({("store", "sqlite")})
NONE: frozenset[tuple[str, str]] = frozenset()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.remove()


def _scrape(relay: Relay) -> Samples:
    text = httpx.get(relay.metrics_url, timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape_async(relay: Relay) -> Samples:
    return await asyncio.get_running_loop().run_in_executor(None, _scrape, relay)


def _kinds(samples: Samples) -> dict[str, float]:
    """Notifications received, by kind."""
    return {
        dict(labels)["kind"]: v
        for (name, labels), v in samples.items()
        if name == "minichat_relay_store_notifications_received_total"
    }


def _two_on_postgres(postgres: PostgresServer, relay_factory: Any) -> tuple[Relay, Relay, Any]:
    url = postgres.new_database()
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    a = relay_factory("--store", url, "--metrics-port", "0", env=env)
    b = relay_factory("--store", url, "--metrics-port", "0", env=env)
    res = relay_cli(a.data_dir, "--store", url, "shops", "add", "ร้านนับเลข", env=env)
    assert res.returncode == 0, res.stderr
    a.start()
    b.start()
    return a, b, json.loads(res.stdout.strip().splitlines()[-1])


async def _talk(a: Relay, b: Relay, shop: dict[str, str], clients: Any, n: int) -> None:
    """A desktop on A and a shopper on B exchange ``n`` messages each way."""
    desk, _ = await clients.desktop(a, shop["token"])
    w, ww = await clients.widget(b, shop["shop_id"])
    for i in range(n):
        await w.send(p.WidgetSend(clients.text(f"m{i}", f"ข้อความ {i}")))
        inbound = await desk.recv_type(p.Inbound, 20)
        await desk.send(p.Send(ww.conversation, clients.text(f"r{i}", "รับทราบ")))
        await desk.send(p.Ack(inbound.seq))
        assert (await w.recv_type(p.WidgetMessage, 20)).item.message.id == f"r{i}"
    await desk.close()
    await w.close()


def test_two_processes_on_postgresql_count_commits_rows_and_each_others_notifications(
    postgres: PostgresServer, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """A desktop on A and a shopper on B trade 8 messages each way. Both processes time their
    commits and count rows under store="postgresql" (and show no SQLite series) and the
    shop locks they took; A received
    "stream" notifications (the shopper's messages, committed by B) and B "msg" ones (the
    replies, committed by A); every notification's lag was measured, each under 5 s; both say
    the store is up."""
    a, b, shop = _two_on_postgres(postgres, relay_factory)
    arun(_talk(a, b, shop, clients, 8))
    got = {name: _scrape(relay) for name, relay in (("a", a), ("b", b))}
    for s in got.values():
        assert s[("minichat_relay_store_commit_seconds_count", PG)] >= 1
        assert s[("minichat_relay_store_commit_seconds_sum", PG)] > 0
        assert s[("minichat_relay_store_rows_written_total", PG)] >= 8
        # every write transaction took the shop's lock; how long it waited is measured
        assert s[("minichat_relay_store_lock_wait_seconds_count", NONE)] >= 8
        assert s[("minichat_relay_store_lock_wait_seconds_sum", NONE)] >= 0
        assert s[("minichat_relay_store_up", NONE)] == 1
        assert not any(name.startswith("minichat_relay_sqlite") for name, _ in s)
        build = [dict(labels) for name, labels in s if name == "minichat_relay_build_info"]
        assert [b["postgresql_schema"] for b in build] == [str(pg_schema.newest())]
        received = sum(_kinds(s).values())
        assert s[("minichat_relay_store_notification_lag_seconds_count", NONE)] == received > 0
        under_5s = (
            "minichat_relay_store_notification_lag_seconds_bucket",
            frozenset({("le", "5.0")}),
        )
        assert s[under_5s] == received
    assert _kinds(got["a"])["stream"] >= 1
    assert _kinds(got["b"])["msg"] >= 1


def test_the_store_up_gauge_follows_the_database_going_away_and_coming_back(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """PostgreSQL stopped: both processes' store_up reads 0 at the next scrape; started
    again: 1, without restarting the relays."""
    url = postgres.new_database()
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    relays = [Relay(tmp_path / n, ["--store", url, "--metrics-port", "0"], env) for n in "ab"]
    for r in relays:
        r.data_dir.mkdir()
        r.start()

    def store_up(value: float) -> None:
        for _ in range(200):  # (a scrape after the change: no clock to inject)
            if all(_scrape(r)[("minichat_relay_store_up", NONE)] == value for r in relays):
                return
            time.sleep(0.05)
        raise AssertionError(f"store_up never read {value} on both processes")

    try:
        store_up(1)
        postgres.stop("fast")
        store_up(0)
        postgres.start()
        store_up(1)
    finally:
        logs = stopped_logs(relays)
    for log in logs:
        assert "metrics: cannot read stream depths" in log  # said while the store was away


def test_one_process_on_sqlite_times_its_commits_and_counts_its_rows(
    clients: Any, arun: Any, relay_factory: Any
) -> None:
    """On SQLite the commit histogram and the rows written carry store="sqlite" (the older
    sqlite_rows_written shows the same figure), the store is up, and nothing is counted as
    notifications or shop lock waits: there is no other process."""
    r = relay_factory("--metrics-port", "0")
    shop_id, token = clients.add_shop(r.data_dir, "ร้านเดียว")
    r.start()

    async def go() -> None:
        desk, _ = await clients.desktop(r, token)
        w, _ = await clients.widget(r, shop_id)
        await w.send(p.WidgetSend(clients.text("m0", "สวัสดีค่ะ")))
        inbound = await desk.recv_type(p.Inbound, 20)
        await desk.send(p.Ack(inbound.seq))
        await until(lambda: _scrape(r)[("minichat_relay_stream_items", NONE)] == 0, 20)
        await desk.close()
        await w.close()

    arun(go())
    s = _scrape(r)
    assert s[("minichat_relay_store_commit_seconds_count", SQLITE)] >= 1
    rows = s[("minichat_relay_store_rows_written_total", SQLITE)]
    assert rows >= 2 and s[("minichat_relay_sqlite_rows_written_total", NONE)] == rows
    # the WAL holds the commits (4 KB pages and their headers); a quiet relay never needs to
    # start it over itself (SQLite does between two commits)
    assert s[("minichat_relay_sqlite_wal_bytes", NONE)] >= 4096 + 24
    assert s[("minichat_relay_sqlite_wal_rewinds_total", NONE)] == 0
    assert s[("minichat_relay_store_up", NONE)] == 1
    assert _kinds(s) == {}
    assert s[("minichat_relay_store_notification_lag_seconds_count", NONE)] == 0
    assert not any(name.startswith("minichat_relay_store_lock_wait") for name, _ in s)
