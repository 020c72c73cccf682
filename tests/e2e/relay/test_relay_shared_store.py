"""Two relay processes on one PostgreSQL database (``serve --store postgresql://…``): a
desktop on one and shoppers on the other talk as if one process served both; kill -9 of a
process moves its clients to the other with nothing lost, duplicated or reordered.

The PostgreSQL server is Debian's, started once for this module in a temporary folder
(tests/support/postgres.py); each test has a database of its own."""

from __future__ import annotations

import asyncio
import io
import json
import random
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from cryptography.fernet import Fernet
from PIL import Image
from support.postgres import PostgresServer
from support.relay_proc import Relay, line_env, relay_cli
from support.steady_shopper import (
    check_conversation,
    desktop_state,
    steady_desktop,
    steady_shopper,
)
from support.waiting import until

from relay import protocol as p
from relay.protocol.connection import CloseCode

NO_LIMITS = ["--shopper-rate", "0", "--ip-rate", "0", "--ip-sockets", "0"]


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
    1..30, 30 replies reach the widget in order with their cseqs, the widget's ack and read
    reach the desktop as receipts, and the desktop's ack turns into "delivered" ticks on the
    widget."""

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
        # the widget (on B) has the replies up to 45, then reads them all: the desktop (on A)
        # gets "delivered" for r00..r14, then "read" for all thirty
        await w.send(p.Ack(45))
        delivered = await desk.recv_type(p.Receipt, 20)
        assert delivered.status is p.ReceiptStatus.DELIVERED
        assert delivered.ids == tuple(f"r{i:02d}" for i in range(15))
        await w.send(p.WidgetRead(60))
        read = await desk.recv_type(p.Receipt, 20)
        assert (read.status, read.ids) == (
            p.ReceiptStatus.READ,
            tuple(f"r{i:02d}" for i in range(30)),
        )
        await desk.send(p.Ack(read.seq))
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
    (on B) writes 5 more and sees the shop go away; the desktop, reconnected to B after its
    last ack, gets the 10 it had not acknowledged, once each, in order."""

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
        # the desktop's process died without a word: the widget on B learns it is away
        assert (await w.recv_type(p.PresenceNotice, 20)).state is p.Presence.AWAY

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
    """A widget on B follows the presence and the widget settings set by the desktop on A; a
    second desktop connection on B closes the one on A (replaced, 4000), and the widget then
    follows the new one."""

    async def go() -> None:
        first, _ = await clients.desktop(cluster.a, cluster.token)
        w, ww = await clients.widget(cluster.b, cluster.shop_id)
        assert ww.presence is p.Presence.ONLINE
        await first.send(p.SetPresence(p.Presence.AWAY))
        assert (await w.recv_type(p.PresenceNotice, 20)).state is p.Presence.AWAY
        await first.send(p.SetWidgetConfig("cfg-1", p.WidgetConfig(shop_name="ร้านใหม่")))
        assert await first.recv_type(p.Ok, 20) == p.Ok("cfg-1")
        assert (await w.recv_type(p.ConfigNotice, 20)).config.shop_name == "ร้านใหม่"
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


# ---------------------------------------------------------------------------------------------
# LINE across the two processes

SECRET = "channel-secret-0123456789abcdef"
TOKEN = "channel-token-XYZ"
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
LINE_CONV = f"line:{USER}"


def _line_event(n: int) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": USER},
        "webhookEventId": f"ev-{n:02d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"rt-{n:02d}",
        "message": {"id": f"{1000 + n}", "type": "text", "text": f"ไลน์ {n}"},
    }


def _post_webhook(clients: Any, relay: Relay, shop_id: str, n: int) -> int:
    body = json.dumps({"destination": "U0", "events": [_line_event(n)]}).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": clients.sign(SECRET, body)}
    res = httpx.post(f"{relay.url}/line/{shop_id}/webhook", content=body, headers=headers)
    return res.status_code


def test_line_webhooks_on_both_processes_reach_the_desktop_once_and_each_reply_goes_once(
    cluster: Cluster, clients: Any, line_api: Any, arun: Any
) -> None:
    """Twelve LINE events, each delivered to both processes (a redelivery through the load
    balancer): the desktop on A gets each once, in order. Its twelve replies are sent to LINE
    by one process at a time: each text reaches LINE exactly once, and each gets one SENT."""
    env = {**cluster.a.env, **line_env(SECRET, TOKEN)}
    res = relay_cli(
        cluster.a.data_dir, "--store", cluster.url, "shops", "line", cluster.shop_id, env=env
    )
    assert res.returncode == 0, res.stderr

    async def go() -> None:
        desk, welcome = await clients.desktop(cluster.a, cluster.token)
        assert welcome.line_configured is True
        loop = asyncio.get_running_loop()
        for n in range(12):
            first, second = (cluster.a, cluster.b) if n % 2 else (cluster.b, cluster.a)
            for relay in (first, second):
                status = await loop.run_in_executor(
                    None, _post_webhook, clients, relay, cluster.shop_id, n
                )
                assert status == 200
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(12)]
        assert [f.message.id for f in inbound] == [f"line-{1000 + n}" for n in range(12)]
        await desk.send(p.Ack(inbound[-1].seq))
        await desk.nothing(1.0, ignore=(p.ShopperTyping,))

        for n in range(12):
            await desk.send(p.Send(LINE_CONV, clients.text(f"r{n:02d}", f"ตอบไลน์ {n}")))
        sent: list[str] = []
        while len(sent) < 12:
            rec = await desk.recv_type(p.Receipt, 30)
            assert rec.status is p.ReceiptStatus.SENT
            sent.extend(rec.ids)
        assert sorted(sent) == [f"r{n:02d}" for n in range(12)]
        assert sorted(line_api.delivered_texts()) == sorted(f"ตอบไลน์ {n}" for n in range(12))
        await desk.close()

    arun(go())


def _photo() -> bytes:
    """A 480×360 JPEG of noise: about 100 KB, so that LINE's content API, dribbling it, takes
    a few seconds to send it."""
    out = io.BytesIO()
    Image.frombytes("RGB", (480, 360), random.Random(7).randbytes(480 * 360 * 3)).save(
        out, "JPEG", quality=90
    )
    return out.getvalue()


def test_a_line_webhook_whose_process_died_mid_work_is_worked_by_the_other_once(
    cluster: Cluster, clients: Any, line_api: Any, arun: Any
) -> None:
    """B stores a LINE picture message and starts working it (the picture coming slowly from
    LINE's content API); B is killed with SIGKILL mid-download. Once B's claim on the body is
    gone (at the latest its 30 s lease), A works it: the desktop on A gets the message once,
    with the relay's copy of the picture, and LINE's content is fetched again by A."""
    env = {**cluster.a.env, **line_env(SECRET, TOKEN)}
    res = relay_cli(
        cluster.a.data_dir, "--store", cluster.url, "shops", "line", cluster.shop_id, env=env
    )
    assert res.returncode == 0, res.stderr
    photo = _photo()
    assert len(photo) > 60_000
    line_api.content["2000"] = photo
    line_api.content_chunk, line_api.content_pause = 4096, 0.15  # ≥ 2 s per download
    event = {**_line_event(0), "message": {"id": "2000", "type": "image"}}
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": clients.sign(SECRET, body)}

    def downloads() -> int:
        with line_api.lock:
            return sum(c["path"].endswith("/2000/content") for c in line_api.calls)

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        url = f"{cluster.b.url}/line/{cluster.shop_id}/webhook"
        posted = await asyncio.to_thread(httpx.post, url, content=body, headers=headers)
        assert posted.status_code == 200
        await until(lambda: downloads() == 1, 20)
        await asyncio.to_thread(cluster.b.kill)  # mid-download: nothing of it was stored
        got = await desk.recv_type(p.Inbound, 60)
        assert got.message.id == "line-2000"
        assert isinstance(got.message.body, p.Image)
        assert (got.message.body.width, got.message.body.height) == (480, 360)
        await desk.send(p.Ack(got.seq))
        await desk.nothing(6.0, ignore=(p.Profile, p.ShopperTyping))  # (A looks every 5 s)
        assert downloads() == 2
        await desk.close()

    arun(go())


# ---------------------------------------------------------------------------------------------
# kill -9 mid-traffic, clients on both processes

SHOPPERS = 4
PER_SHOPPER = 30


async def _desktop_loop(cluster: Cluster, clients: Any, state: dict[str, Any]) -> None:
    """A desktop that answers every shopper message; it connects to A, then to whichever
    process answers (the load balancer's failover)."""

    def connect(after: int) -> Any:
        relay = cluster.a if cluster.a.proc is not None else cluster.b
        return clients.desktop(relay, cluster.token, after=after)

    await steady_desktop(connect, state)


def _connect_shopper(cluster: Cluster, clients: Any, n: int) -> Any:
    """A shopper on A (even n) or B (odd n), who moves to the live one when hers dies."""

    def connect(session: str | None) -> Any:
        relay = cluster.b if n % 2 or cluster.a.proc is None else cluster.a
        return clients.widget(relay, cluster.shop_id, session=session)

    return connect


def test_kill_9_of_one_process_mid_traffic_moves_its_clients_to_the_other_losing_nothing(
    cluster: Cluster, clients: Any, arun: Any
) -> None:
    """Four shoppers, two on each process, and a desktop on A that answers every message;
    A is killed with SIGKILL a third of the way through. Its desktop and shoppers move to B.
    Every message arrives, every reply is accepted, and each conversation's history holds
    each id exactly once, in the order it was sent."""

    async def go() -> None:
        state = desktop_state()
        sessions: dict[int, str] = {}
        desk_task = asyncio.create_task(_desktop_loop(cluster, clients, state))
        shoppers = [
            asyncio.create_task(
                steady_shopper(_connect_shopper(cluster, clients, n), n, PER_SHOPPER, sessions)
            )
            for n in range(SHOPPERS)
        ]
        total = SHOPPERS * PER_SHOPPER
        while len(state["received"]) < total // 3:
            await asyncio.sleep(0.02)
        await asyncio.get_running_loop().run_in_executor(None, cluster.a.kill)
        killed_at = len(state["received"])
        await asyncio.wait_for(asyncio.gather(*shoppers), 90)
        expected = {f"m-{n}-{i:03d}" for n in range(SHOPPERS) for i in range(PER_SHOPPER)}
        replies = {f"re-{x}" for x in expected}
        for _ in range(1200):
            if set(state["received"]) >= expected and state["accepted"] >= replies:
                break
            await asyncio.sleep(0.05)
        state["done"].set()
        await desk_task
        assert 0 < killed_at < total
        assert set(state["received"]) == expected
        assert state["accepted"] == replies

        for n in range(SHOPPERS):
            w, ww = await clients.widget(cluster.b, cluster.shop_id, session=sessions[n])
            check_conversation(ww.history, n, PER_SHOPPER)
            await w.close()

    arun(go())


# ---------------------------------------------------------------------------------------------
# the store itself restarts


def _listening_again(relay: Relay) -> bool:
    return any(
        "listening on postgresql" in line and line.endswith(" again")
        for line in relay.log().splitlines()
    )


def _ready(relay: Relay) -> int:
    return httpx.get(f"{relay.url}/readyz", timeout=10).status_code


async def _until_ready(relays: tuple[Relay, ...], status: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(300):
        got = [await loop.run_in_executor(None, _ready, r) for r in relays]
        if got == [status] * len(relays):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz never answered {status} on every process")


def test_a_crash_and_restart_of_the_database_loses_nothing_acknowledged(
    postgres: PostgresServer, tmp_path: Path, clients: Any, arun: Any
) -> None:
    """PostgreSQL is stopped like a crash (immediate: no checkpoint) while two relay processes
    run: both answer /readyz 503, a shopper's message is refused (error, socket closed, not
    accepted). After the restart both are ready again without being restarted, the shopper's
    resend is accepted, and a desktop resuming after its last ack gets every message the
    relays accepted, before and after, once each, in order."""
    url = postgres.new_database()
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    a = Relay(tmp_path / "a", ["--store", url, *NO_LIMITS], env)
    b = Relay(tmp_path / "b", ["--store", url, *NO_LIMITS], env)
    for r in (a, b):
        r.data_dir.mkdir()
    res = relay_cli(a.data_dir, "--store", url, "shops", "add", "ร้านทนทาน", env=env)
    assert res.returncode == 0, res.stderr
    shop = json.loads(res.stdout.strip().splitlines()[-1])
    a.start()
    b.start()

    async def go() -> None:
        desk, _ = await clients.desktop(a, shop["token"])
        w, ww = await clients.widget(b, shop["shop_id"])
        await _write(w, clients, range(10))
        for _ in range(10):
            await w.recv_type(p.Accepted, 20)
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(10)]
        await desk.send(p.Ack(inbound[4].seq))
        await desk.close()

        await asyncio.get_running_loop().run_in_executor(None, postgres.stop, "immediate")
        await _until_ready((a, b), 503)
        await _write(w, clients, range(10, 11))
        refused = await w.recv_type(p.Error, 20)
        assert refused.code is p.ErrorCode.INTERNAL
        with pytest.raises(websockets.ConnectionClosed):
            await w.recv(20)
        await w.close()

        await asyncio.get_running_loop().run_in_executor(None, postgres.start)
        await _until_ready((a, b), 200)
        # (each process listens again, and closes its widget sockets then: wait for that)
        for _ in range(300):
            if all(_listening_again(r) for r in (a, b)):
                break
            await asyncio.sleep(0.1)
        assert all(_listening_again(r) for r in (a, b))
        w, _ = await clients.widget(b, shop["shop_id"], session=ww.session)
        await _write(w, clients, range(10, 11))
        assert (await w.recv_type(p.Accepted, 20)).id == "m10"
        desk, welcome = await clients.desktop(a, shop["token"], after=inbound[4].seq)
        assert welcome.pending == 6
        again = [await desk.recv_type(p.Inbound, 20) for _ in range(6)]
        assert [f.message.id for f in again] == [f"m{i:02d}" for i in range(5, 11)]
        assert [f.seq for f in again] == list(range(6, 12))
        await desk.close()
        await w.close()

    try:
        arun(go())
    finally:
        for r in (a, b):
            if r.proc is not None:
                r.stop()
    for r in (a, b):
        log = r.log()
        assert "Traceback" not in log, log[-3000:]
        # errors only about the database being away
        for line in log.splitlines():
            if " ERROR " in line:
                assert "database" in line or "store" in line or "commit failed" in line, line


def test_many_shops_with_desktops_and_shoppers_on_both_processes_answer_every_message(
    postgres: PostgresServer, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """Six shops, their desktops on A or B, eight shoppers each spread over both processes,
    twelve round trips each as fast as they go: the group commits of the two processes take
    the shops' locks in every order (deadlock-free: a transaction that waits holds nothing)
    and split around each other; every shopper gets every reply, in order."""
    url = postgres.new_database()
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    relays = [relay_factory("--store", url, *NO_LIMITS, env=env) for _ in range(2)]
    shops = []
    for i in range(6):
        res = relay_cli(relays[0].data_dir, "--store", url, "shops", "add", f"ร้าน {i}", env=env)
        assert res.returncode == 0, res.stderr
        shops.append(json.loads(res.stdout.strip().splitlines()[-1]))
    for r in relays:
        r.start()

    async def desktop(k: int, done: asyncio.Event) -> None:
        desk, _ = await clients.desktop(relays[k % 2], shops[k]["token"])
        while not done.is_set():
            try:
                f = await desk.recv(0.2)
            except TimeoutError:
                continue
            if isinstance(f, p.Inbound):
                reply = clients.text(f"re-{f.message.id}", "รับทราบ")
                await desk.send(p.Send(f.conversation, reply))
                await desk.send(p.Ack(f.seq))
        await desk.close()

    async def shopper(k: int) -> list[str]:
        w, _ = await clients.widget(relays[(k // 6) % 2], shops[k % 6]["shop_id"])
        got = []
        for i in range(12):
            await w.send(p.WidgetSend(clients.text(f"s{k}-{i:02d}", "ขอราคาหน่อย")))
            got.append((await w.recv_type(p.WidgetMessage, 20)).item.message.id)
        await w.close()
        return got

    async def go() -> None:
        done = asyncio.Event()
        desks = [asyncio.create_task(desktop(k, done)) for k in range(6)]
        answers = await asyncio.gather(*(shopper(k) for k in range(48)))
        done.set()
        await asyncio.gather(*desks)
        for k, got in enumerate(answers):
            assert got == [f"re-s{k}-{i:02d}" for i in range(12)]

    arun(go())


def test_a_resent_message_takes_no_number_and_the_next_one_follows_without_a_gap(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the PostgreSQL store, a shopper message stored again (a resend) returns its first
    cseq and takes no stream seq; the next message gets the very next cseq and seq, so the
    desktop's stream has no hole; its ack reports what it delivered."""
    from relay.store_pg import PgStore

    monkeypatch.setenv("MINICHAT_RELAY_KEY", Fernet.generate_key().decode())
    store = PgStore(postgres.new_database(), tmp_path)
    shop_id, _ = store.add_shop("ร้านนับเลข")
    conv = "widget:AbCdEfGhIjKlMnOp"

    def add(msg_id: str) -> tuple[int, bool, int]:
        msg = p.Message(msg_id, p.Text("ข้อความ"))
        return store.add_shopper_message(shop_id, conv, msg, p.encode_obj(msg.to_obj()))

    assert add("m1") == (1, True, 1)
    store.commit()
    assert add("m1") == (1, False, 0)
    assert add("m2") == (2, True, 2)
    store.commit()
    assert [seq for seq, _ in store.stream_after(shop_id, 0)] == [1, 2]
    assert store.ack_stream(shop_id, 2) == (2, {conv: ["m1", "m2"]})
    store.commit()
    assert store.pending_count(shop_id) == 0
    store.close()


def test_a_store_url_the_relay_cannot_use_is_a_clear_error_without_the_password(
    tmp_path: Path,
) -> None:
    """Not a PostgreSQL URL: a user error (exit 2) saying what to give. A database that does
    not answer: an environment error (exit 1) naming it, without its password."""
    res = relay_cli(tmp_path, "--store", "mysql://relay@127.0.0.1/relay", "shops", "list")
    assert res.returncode == 2
    assert "--store: 'mysql' is not a store this relay knows" in res.stderr
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://relay:hunter2-secret@127.0.0.1:{port}/relay"
    res = relay_cli(tmp_path, "--store", url, "serve", "--port", "0")
    assert res.returncode == 1
    assert f"cannot reach the database postgresql://127.0.0.1:{port}/relay" in res.stderr
    assert "hunter2" not in res.stderr + res.stdout
    assert "Traceback" not in res.stderr


def test_the_other_process_takes_over_line_sending_after_kill_9_and_pushes_nothing_twice(
    cluster: Cluster, clients: Any, line_api: Any, arun: Any
) -> None:
    """A, the shop's LINE sender, is killed with SIGKILL while LINE holds its push: B takes
    the sender's lock (gone with A's connection), resends the stored request byte for byte
    under the same retry key, LINE answers 409 (already accepted), and the desktop, moved to
    B, gets one SENT. The shopper sees the message once."""
    env = {**cluster.a.env, **line_env(SECRET, TOKEN)}
    res = relay_cli(
        cluster.a.data_dir, "--store", cluster.url, "shops", "line", cluster.shop_id, env=env
    )
    assert res.returncode == 0, res.stderr
    line_api.hold_pushes = 1
    push = "/v2/bot/message/push"

    async def go() -> None:
        loop = asyncio.get_running_loop()
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        await desk.send(p.Send(LINE_CONV, clients.text("r1", "ส่งครั้งเดียว")))
        assert (await desk.recv_type(p.Accepted, 20)).id == "r1"
        await loop.run_in_executor(None, line_api.wait_for, push, 1)
        await loop.run_in_executor(None, cluster.a.kill)
        line_api.release()
        await desk.close()
        desk, _ = await clients.desktop(cluster.b, cluster.token)
        receipt = await desk.recv_type(p.Receipt, 30)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.SENT, ("r1",))
        await desk.close()

    arun(go())
    pushes = line_api.calls_to(push)
    assert len(pushes) == 2
    assert pushes[0]["retry_key"] == pushes[1]["retry_key"] is not None
    assert pushes[0]["raw"] == pushes[1]["raw"]
    assert line_api.delivered_texts() == ["ส่งครั้งเดียว"]
