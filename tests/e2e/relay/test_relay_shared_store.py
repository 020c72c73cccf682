"""Two relay processes on one PostgreSQL database (``serve --store postgresql://…``): a
desktop on one and shoppers on the other talk as if one process served both; kill -9 of a
process moves its clients to the other with nothing lost, duplicated or reordered.

The PostgreSQL server is Debian's, started once for this module in a temporary folder
(tests/support/postgres.py); each test has a database of its own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import websockets
from cryptography.fernet import Fernet
from support.postgres import PostgresServer, start_postgres
from support.relay_proc import Relay, relay_cli

from relay import protocol as p
from relay.protocol.connection import CloseCode

NO_LIMITS = ["--shopper-rate", "0", "--ip-rate", "0"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.remove()


@dataclass
class Cluster:
    """Relay processes on one database, with one shop."""

    url: str
    a: Relay
    b: Relay
    shop_id: str
    token: str


@pytest.fixture
def cluster(postgres: PostgresServer, relay_factory: Any, tmp_path: Path) -> Cluster:
    url = postgres.new_database()
    # every process needs the same key (the LINE credentials are sealed with it)
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    a = relay_factory("--store", url, *NO_LIMITS, env=env)
    b = relay_factory("--store", url, *NO_LIMITS, env=env)
    res = relay_cli(a.data_dir, "--store", url, "shops", "add", "ร้านสองเครื่อง", env=env)
    assert res.returncode == 0, res.stderr
    shop = json.loads(res.stdout.strip().splitlines()[-1])
    a.start()
    b.start()
    return Cluster(url, a, b, shop["shop_id"], shop["token"])


def test_a_desktop_on_one_process_and_a_shopper_on_the_other_talk_both_ways_in_order(
    cluster: Cluster, clients: Any, arun: Any
) -> None:
    """Desktop on A, widget on B: 30 shopper messages reach the desktop in order with seqs
    1..30, 30 replies reach the widget in order with their cseqs, and the desktop's ack turns
    into "delivered" ticks on the widget."""

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        w, ww = await clients.widget(cluster.b, cluster.shop_id)
        await _write(w, clients, range(30))
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(30)]
        assert [f.message.id for f in inbound] == [f"m{i:02d}" for i in range(30)]
        assert [f.seq for f in inbound] == list(range(1, 31))
        accepted = [await w.recv_type(p.Accepted, 20) for _ in range(30)]
        assert [a.id for a in accepted] == [f"m{i:02d}" for i in range(30)]

        for i in range(30):
            await desk.send(p.Send(ww.conversation, clients.text(f"r{i:02d}", f"ตอบ {i}")))
        replies = [await w.recv_type(p.WidgetMessage, 20) for _ in range(30)]
        assert [r.item.message.id for r in replies] == [f"r{i:02d}" for i in range(30)]
        assert [r.item.seq for r in replies] == list(range(31, 61))
        await desk.send(p.Ack(30))
        tick = await w.recv_type(p.WidgetReceipt, 20)
        assert tick.status is p.ReceiptStatus.DELIVERED
        got = set(tick.ids)
        while got != {f"m{i:02d}" for i in range(30)}:
            got |= set((await w.recv_type(p.WidgetReceipt, 20)).ids)
        await desk.close()
        await w.close()

    arun(go())


def test_the_desktop_moves_to_the_other_process_after_kill_9_and_gets_everything_unacked(
    cluster: Cluster, clients: Any, arun: Any
) -> None:
    """The desktop on A acknowledges 5 of 10 messages; A is killed with SIGKILL; the shopper
    (on B) writes 5 more; the desktop, reconnected to B after its last ack, gets the 10 it
    had not acknowledged, once each, in order."""

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        w, _ = await clients.widget(cluster.b, cluster.shop_id)
        await _write(w, clients, range(10))
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(10)]
        assert [f.seq for f in inbound] == list(range(1, 11))
        await desk.send(p.Ack(5))
        loop = asyncio.get_running_loop()
        for _ in range(200):  # the ack is committed: nothing answers it, so ask the store
            if await loop.run_in_executor(None, _pending, cluster) == 5:
                break
        assert await loop.run_in_executor(None, _pending, cluster) == 5
        await asyncio.get_running_loop().run_in_executor(None, cluster.a.kill)
        with pytest.raises(websockets.ConnectionClosed):
            await desk.recv(20)
        await desk.close()
        await _write(w, clients, range(10, 15))
        for _ in range(5):
            await w.recv_type(p.Accepted, 20)

        desk, welcome = await clients.desktop(cluster.b, cluster.token, after=5)
        assert welcome.after == 5
        assert welcome.pending == 10
        again = [await desk.recv_type(p.Inbound, 20) for _ in range(10)]
        assert [f.message.id for f in again] == [f"m{i:02d}" for i in range(5, 15)]
        assert [f.seq for f in again] == list(range(6, 16))
        await desk.nothing(0.5, ignore=(p.ShopperTyping,))
        await desk.close()
        await w.close()

    arun(go())


async def _write(w: Any, clients: Any, numbers: range) -> None:
    """The shopper sends messages m<NN> for these numbers, without waiting in between."""
    for i in numbers:
        await w.send(p.WidgetSend(clients.text(f"m{i:02d}", f"ข้อความ {i}")))


def _pending(cluster: Cluster) -> int:
    """What the shop's desktop has not acknowledged, as ``shops list`` reports it."""
    res = relay_cli(
        cluster.b.data_dir,
        "--store",
        cluster.url,
        "shops",
        "list",
        "--json",
        env=cluster.b.env,
    )
    assert res.returncode == 0, res.stderr
    return int(json.loads(res.stdout.strip().splitlines()[-1])["pending_for_desktop"])


def test_a_desktop_connecting_to_another_process_replaces_the_first_and_shoppers_see_it(
    cluster: Cluster, clients: Any, arun: Any
) -> None:
    """A widget on B follows the presence of the desktop on A; a second desktop connection
    on B closes the one on A (replaced, 4000), and the widget then follows the new one."""

    async def go() -> None:
        first, _ = await clients.desktop(cluster.a, cluster.token)
        w, ww = await clients.widget(cluster.b, cluster.shop_id)
        assert ww.presence is p.Presence.ONLINE
        await first.send(p.SetPresence(p.Presence.AWAY))
        assert (await w.recv_type(p.PresenceNotice, 20)).state is p.Presence.AWAY
        second, _ = await clients.desktop(cluster.b, cluster.token)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await first.recv(20)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.REPLACED
        await first.close()
        assert (await w.recv_type(p.PresenceNotice, 20)).state is p.Presence.ONLINE
        await second.close()
        assert (await w.recv_type(p.PresenceNotice, 20)).state is p.Presence.AWAY
        await w.close()

    arun(go())
