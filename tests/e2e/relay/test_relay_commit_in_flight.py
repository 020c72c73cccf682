"""A relay on PostgreSQL does not wait for its COMMIT (relay/store_pg.py
``commit_in_background``): its event loop goes on while the COMMIT is in flight, the next
batch is gathered meanwhile, and still nothing is acknowledged before its batch's COMMIT
returned, a shop's messages keep their order, and a crash of the relay or of PostgreSQL
during the COMMIT loses nothing acknowledged.

To hold a COMMIT in flight for as long as a test needs, the test database gets a deferred
trigger that sleeps at COMMIT time for a message whose text says ``ช้า`` ("slow"): a real
PostgreSQL doing real work, seen in ``pg_stat_activity`` (wait event ``PgSleep``).
The PostgreSQL server is Debian's, started once for this module (tests/support/postgres.py)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import websockets
from cryptography.fernet import Fernet
from support.postgres import PostgresServer
from support.relay_proc import Relay, relay_cli, stopped_logs
from support.waiting import until

from relay import protocol as p

NO_LIMITS = ["--shopper-rate", "0", "--ip-rate", "0", "--ip-sockets", "0"]
SLOW = "ช้า"

_SLOW_TRIGGER = f"""
CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.message LIKE '%{SLOW}%' THEN PERFORM pg_sleep(%s); END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON history
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
"""


@dataclass
class Setup:
    url: str
    env: dict[str, str]
    shop_id: str
    token: str


def _setup(postgres: PostgresServer, tmp_path: Path, sleep: float) -> Setup:
    """A database with one shop and the slow COMMIT trigger (``sleep`` seconds)."""
    url = postgres.new_database()
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    res = relay_cli(tmp_path / "cli", "--store", url, "shops", "add", "ร้านช้า", env=env)
    assert res.returncode == 0, res.stderr
    shop = json.loads(res.stdout.strip().splitlines()[-1])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_SLOW_TRIGGER.replace("%s", str(sleep)))
    return Setup(url, env, shop["shop_id"], shop["token"])


def _relay(setup: Setup, tmp_path: Path, name: str) -> Relay:
    r = Relay(tmp_path / name, ["--store", setup.url, *NO_LIMITS], setup.env)
    r.data_dir.mkdir()
    r.start()
    return r


def _committing(url: str) -> bool:
    """Whether a COMMIT is held in the slow trigger now."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event='PgSleep'"
            " AND datname=current_database()"
        ).fetchone()
    return row is not None and int(row[0]) > 0


async def _until_committing(url: str) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(500):
        if await loop.run_in_executor(None, _committing, url):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no COMMIT was held in the slow trigger")


def _send(clients: Any, msg_id: str, body: str) -> p.WidgetSend:
    return p.WidgetSend(clients.text(msg_id, body))


def _run_and_judge(
    arun: Any, coro: Any, relays: list[Relay], *, database_away: bool = False
) -> None:
    """Run the test, stop the relays, then read their logs: no traceback, and no error
    (``database_away``: none but about the database being away)."""
    try:
        arun(coro)
    finally:
        logs = stopped_logs(relays)
    for log in logs:
        for line in log.splitlines():
            if " ERROR " in line:
                assert database_away, line
                assert "database" in line or "store" in line or "commit failed" in line, line


def test_the_loop_goes_on_during_a_commit_and_the_next_batch_keeps_the_order(
    postgres: PostgresServer, tmp_path: Path, clients: Any, arun: Any
) -> None:
    """A shopper's message whose COMMIT takes 3 s: meanwhile the relay answers /healthz and
    passes the shopper's typing to the desktop (the loop is not waiting), and nothing of the
    message is acknowledged yet; five more messages sent during the COMMIT form the next batch.
    Then all six are accepted, and the desktop gets them, in order, with seqs 1..6."""
    setup = _setup(postgres, tmp_path, 3.0)
    relay = _relay(setup, tmp_path, "a")

    async def go() -> None:
        desk, _ = await clients.desktop(relay, setup.token)
        w, _ = await clients.widget(relay, setup.shop_id)
        await w.send(_send(clients, "m0", f"{SLOW} มีเสื้อไหม"))
        await _until_committing(setup.url)
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{relay.url}/healthz", timeout=1.0)
        assert health.status_code == 200
        await w.send(p.WidgetTyping(True))
        assert (await desk.recv_type(p.ShopperTyping, 1.0)).state
        assert not any(isinstance(f, p.Inbound) for f in desk.skipped)  # (not committed yet)
        for i in range(1, 6):
            await w.send(_send(clients, f"m{i}", f"ข้อความ {i}"))
        assert _committing(setup.url)  # (all of the above while the COMMIT was in flight)
        accepted = [await w.recv_type(p.Accepted, 20) for _ in range(6)]
        assert [(a.id, a.seq) for a in accepted] == [(f"m{i}", i + 1) for i in range(6)]
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(6)]
        assert [(f.message.id, f.seq) for f in inbound] == [(f"m{i}", i + 1) for i in range(6)]
        await desk.close()
        await w.close()

    _run_and_judge(arun, go(), [relay])


def test_a_relay_killed_during_its_commit_acknowledged_nothing_and_the_resend_counts_once(
    postgres: PostgresServer, tmp_path: Path, clients: Any, arun: Any
) -> None:
    """Relay A is killed with SIGKILL while the COMMIT of a shopper's message is in flight:
    the shopper got no "accepted" (PostgreSQL may still finish that COMMIT, unacknowledged).
    Resent through relay B in the same session, the message is accepted once, and the
    desktop (on B) gets it once, as seq 1, and nothing else."""
    setup = _setup(postgres, tmp_path, 2.0)
    a, b = _relay(setup, tmp_path, "a"), _relay(setup, tmp_path, "b")

    async def go() -> None:
        desk, _ = await clients.desktop(b, setup.token)
        w, ww = await clients.widget(a, setup.shop_id)
        await w.send(_send(clients, "m0", f"{SLOW} ขอดูสินค้า"))
        await _until_committing(setup.url)
        await asyncio.get_running_loop().run_in_executor(None, a.kill)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                frame = await w.recv(20)
                assert not isinstance(frame, p.Accepted), frame
        await w.close()
        w, _ = await clients.widget(b, setup.shop_id, session=ww.session)
        await w.send(_send(clients, "m0", f"{SLOW} ขอดูสินค้า"))
        assert (await w.recv_type(p.Accepted, 20)) == p.Accepted("m0", None, 1)
        inbound = await desk.recv_type(p.Inbound, 20)
        assert (inbound.message.id, inbound.seq) == ("m0", 1)
        await w.send(_send(clients, "m1", "ขอบคุณค่ะ"))
        assert (await w.recv_type(p.Accepted, 20)).seq == 2
        after = await desk.recv_type(p.Inbound, 20)
        assert (after.message.id, after.seq) == ("m1", 2)
        await desk.close()
        await w.close()

    _run_and_judge(arun, go(), [a, b])


def test_a_database_crash_during_a_commit_acknowledges_nothing_and_the_relay_recovers(
    postgres: PostgresServer, tmp_path: Path, clients: Any, arun: Any
) -> None:
    """PostgreSQL is stopped like a crash while a COMMIT is in flight: that message is not
    accepted (the COMMIT never returned) and /readyz answers 503. After the restart the
    relay is ready again without being restarted, the shopper's resend is accepted, and the
    desktop, resuming after its last ack, gets the messages accepted before the crash and the
    resent one, once each, in order."""
    setup = _setup(postgres, tmp_path, 30.0)
    relay = _relay(setup, tmp_path, "a")

    async def go() -> None:
        desk, _ = await clients.desktop(relay, setup.token)
        w, ww = await clients.widget(relay, setup.shop_id)
        for i in range(3):
            await w.send(_send(clients, f"m{i}", f"ข้อความ {i}"))
        assert [(await w.recv_type(p.Accepted, 20)).id for _ in range(3)] == ["m0", "m1", "m2"]
        inbound = [await desk.recv_type(p.Inbound, 20) for _ in range(3)]
        await desk.send(p.Ack(inbound[0].seq))
        await until(lambda: _desktop_ack(setup) == 1, timeout=20)  # (committed first)
        await w.send(_send(clients, "m3", f"{SLOW} ของหมดไหม"))
        await _until_committing(setup.url)
        await asyncio.get_running_loop().run_in_executor(None, postgres.stop, "immediate")
        await until(lambda: _ready(relay) == 503, timeout=30)
        with pytest.raises((websockets.ConnectionClosed, TimeoutError)):
            while True:
                frame = await w.recv(3)
                assert not isinstance(frame, p.Accepted), frame
        await w.close()
        await desk.close()

        await asyncio.get_running_loop().run_in_executor(None, postgres.start)
        await until(lambda: _ready(relay) == 200, timeout=30)
        await until(lambda: _listening_again(relay), timeout=30)
        with psycopg.connect(setup.url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER slow_commit ON history")
        w, _ = await clients.widget(relay, setup.shop_id, session=ww.session)
        await w.send(_send(clients, "m3", f"{SLOW} ของหมดไหม"))
        assert (await w.recv_type(p.Accepted, 20)) == p.Accepted("m3", None, 4)
        desk, welcome = await clients.desktop(relay, setup.token, after=inbound[0].seq)
        assert welcome.pending == 3
        again = [await desk.recv_type(p.Inbound, 20) for _ in range(3)]
        assert [(f.message.id, f.seq) for f in again] == [("m1", 2), ("m2", 3), ("m3", 4)]
        await desk.close()
        await w.close()

    _run_and_judge(arun, go(), [relay], database_away=True)


def _desktop_ack(setup: Setup) -> int:
    with psycopg.connect(setup.url, autocommit=True) as conn:
        row = conn.execute("SELECT desktop_ack FROM shops WHERE id=%s", (setup.shop_id,))
        got = row.fetchone()
    return 0 if got is None else int(got[0])


def _ready(relay: Relay) -> int:
    try:
        return httpx.get(f"{relay.url}/readyz", timeout=10).status_code
    except httpx.HTTPError:
        return 0


def _listening_again(relay: Relay) -> bool:
    return any(
        "listening on postgresql" in line and line.endswith(" again")
        for line in relay.log().splitlines()
    )
