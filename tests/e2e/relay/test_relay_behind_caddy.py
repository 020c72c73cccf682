"""deploy/Caddyfile's reverse proxy, in Debian's Caddy run by the test (tests/support/caddy.py),
in front of two relay processes on one PostgreSQL database, as deploy/compose.yaml runs them:
the store's URL without a password, the password in a file (MINICHAT_RELAY_STORE_PASSWORD_FILE)
for a database role that must give it. A desktop and shoppers connect only through Caddy;
a relay killed with SIGKILL gets nothing more from Caddy and its clients carry on through the
other one, losing nothing; a draining relay gets no new sockets.

The PostgreSQL server is Debian's, started once for this module (tests/support/postgres.py);
each test has a database of its own."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from support.caddy import CaddyFront
from support.postgres import PostgresServer, start_postgres
from support.relay_proc import Relay, relay_cli
from support.steady_shopper import (
    check_conversation,
    desktop_state,
    steady_desktop,
    steady_shopper,
)
from support.waiting import until

from relay import pg_schema
from relay import protocol as p
from relay.store_pg import PgStore

NO_LIMITS = ["--shopper-rate", "0", "--ip-rate", "0", "--ip-sockets", "0"]
ROLE = "shopkeeper"
SHOPPERS = 3
PER_SHOPPER = 40


@dataclass
class Database:
    """The module's server, with a role that logs in only with its password."""

    server: PostgresServer
    password: str

    def new_database(self) -> str:
        """A new database owned by the role; its URL (no password in it)."""
        name = "c_" + secrets.token_hex(6)
        with psycopg.connect(self.server.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(ROLE)
                )
            )
        return f"postgresql://{ROLE}@127.0.0.1:{self.server.port}/{name}"


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    server = start_postgres()
    password = "pw-" + secrets.token_urlsafe(18)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(ROLE), sql.Literal(password)
            )
        )
        # the role (not the tests' superuser) must prove its password, as in compose.yaml
        hba = server.data / "pg_hba.conf"
        hba.write_text(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    yield Database(server, password)
    server.remove()


@dataclass
class Front:
    """Caddy in front of relays A and B, with one shop."""

    caddy: CaddyFront
    a: Relay
    b: Relay
    url: str
    env: dict[str, str]
    shop_id: str
    token: str


def _password_file(folder: Path, text: str) -> Path:
    path = folder / "postgres_password"
    path.write_text(text)
    path.chmod(0o400)
    return path


@pytest.fixture
def front(database: Database, relay_factory: Any, tmp_path: Path) -> Iterator[Front]:
    url = database.new_database()
    env = {
        "MINICHAT_RELAY_KEY": Fernet.generate_key().decode(),
        "MINICHAT_RELAY_STORE_PASSWORD_FILE": str(
            _password_file(tmp_path, database.password + "\n")
        ),
    }
    grace = ["--drain-grace", "30"]  # ended early by a second SIGTERM (see _stop)
    a = relay_factory("--store", url, *NO_LIMITS, *grace, "--metrics-port", "0", env=env)
    b = relay_factory("--store", url, *NO_LIMITS, *grace, "--metrics-port", "0", env=env)
    res = relay_cli(a.data_dir, "--store", url, "shops", "add", "ร้านหลังแคดดี้", env=env)
    assert res.returncode == 0, res.stderr
    shop = json.loads(res.stdout.strip().splitlines()[-1])
    a.start()
    b.start()
    caddy = CaddyFront(tmp_path / "caddy", [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"])
    caddy.start()
    yield Front(caddy, a, b, url, env, shop["shop_id"], shop["token"])
    caddy.stop()
    for r in (a, b):
        _stop(r)
        assert database.password not in r.log()
    assert "panic" not in caddy.log()


def _stop(relay: Relay) -> None:
    """Stop a relay run with a drain grace: a second SIGTERM, once it drains, ends the grace
    (two at once would arrive as one)."""
    if relay.proc is None:
        return
    if "draining:" not in relay.log():
        relay.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    while "draining:" not in relay.log() and time.monotonic() < deadline:
        time.sleep(0.02)  # (the process reacting to a signal: no clock to inject)
    relay.stop()


def _sockets(relay: Relay) -> dict[str, float]:
    """The relay's open sockets by kind, from its /metrics."""
    text = httpx.get(relay.metrics_url, timeout=10).text
    return {
        s.labels["kind"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "minichat_relay_open_sockets"
    }


async def _sockets_of(relay: Relay) -> dict[str, float]:
    return await asyncio.get_running_loop().run_in_executor(None, _sockets, relay)


def test_kill_9_of_a_relay_behind_caddy_moves_every_client_to_the_other_losing_nothing(
    front: Front, clients: Any, arun: Any
) -> None:
    """Three shoppers and a desktop that answers them, all through Caddy; a quarter of the way
    through, the relay the shoppers' sockets hash to is killed with SIGKILL. Everyone
    reconnects through Caddy, which sends them to the other relay: every message reaches the
    desktop, every reply is accepted, and each conversation holds each id once, in the order
    sent. Afterwards Caddy sends every new socket to the survivor."""

    async def go() -> None:
        state = desktop_state()
        sessions: dict[int, str] = {}
        # where Caddy puts the shop's widget sockets (one hash for the shop) and the desktop
        probe, _ = await clients.widget(front.caddy, front.shop_id)
        on_a = (await _sockets_of(front.a))["widget"] == 1
        await probe.close()
        victim, survivor = (front.a, front.b) if on_a else (front.b, front.a)

        def desktop(after: int) -> Any:  # always through Caddy
            return clients.desktop(front.caddy, front.token, after=after)

        desk_task = asyncio.create_task(steady_desktop(desktop, state))
        await until(lambda: state["connects"] == 1, 20)
        desktop_moves = (await _sockets_of(victim))["desktop"] == 1

        def connect(session: str | None) -> Any:
            return clients.widget(front.caddy, front.shop_id, session=session)

        shoppers = [
            asyncio.create_task(steady_shopper(connect, n, PER_SHOPPER, sessions))
            for n in range(SHOPPERS)
        ]
        total = SHOPPERS * PER_SHOPPER
        await until(lambda: len(state["received"]) >= total // 4, 60)
        await asyncio.get_running_loop().run_in_executor(None, victim.kill)
        killed_at = len(state["received"])
        await asyncio.wait_for(asyncio.gather(*shoppers), 90)
        expected = {f"m-{n}-{i:03d}" for n in range(SHOPPERS) for i in range(PER_SHOPPER)}
        replies = {f"re-{x}" for x in expected}
        await until(lambda: set(state["received"]) >= expected and state["accepted"] >= replies, 60)
        state["done"].set()
        await desk_task
        assert 0 < killed_at < total
        assert set(state["received"]) == expected
        assert state["accepted"] == replies
        assert state["connects"] == (2 if desktop_moves else 1)

        # every conversation, read back through Caddy: each id once, in order
        peers = []
        for n in range(SHOPPERS):
            w, ww = await clients.widget(front.caddy, front.shop_id, session=sessions[n])
            peers.append(w)
            check_conversation(ww.history, n, PER_SHOPPER)
        desk, _ = await clients.desktop(front.caddy, front.token, after=state["acked"])
        # all of them on the survivor: Caddy sends nothing to the dead relay
        assert await _sockets_of(survivor) == {"desktop": 1, "widget": SHOPPERS}
        for peer in (*peers, desk):
            await peer.close()

    arun(go())


def test_caddy_puts_a_shops_desktop_with_its_shoppers_and_spreads_the_shops(
    front: Front, database: Database, clients: Any, arun: Any, tmp_path: Path
) -> None:
    """Caddy hashes the shop a request names: a shop's widget sockets and its desktop naming
    the shop (``?shop=``, as the app does once it knows it) meet on one relay, the shared
    store's fast path; the sockets of 16 shops land on both relays."""
    store = PgStore(front.url, tmp_path / "cli", password=database.password)
    others = [store.add_shop(f"ร้าน {i}")[0] for i in range(16)]
    store.close()

    async def go() -> None:
        before = [await _sockets_of(r) for r in (front.a, front.b)]
        assert before == [{"desktop": 0, "widget": 0}] * 2
        peers = [(await clients.widget(front.caddy, front.shop_id))[0] for _ in range(4)]
        desk, _ = await clients.desktop(front.caddy, front.token, shop=front.shop_id)
        where = [await _sockets_of(r) for r in (front.a, front.b)]
        assert sorted(where, key=lambda s: s["widget"]) == [
            {"desktop": 0, "widget": 0},
            {"desktop": 1, "widget": 4},
        ]
        for peer in (*peers, desk):
            await peer.close()
        await until(lambda: _sockets(front.a)["widget"] + _sockets(front.b)["widget"] == 0, 20)
        spread = [(await clients.widget(front.caddy, shop))[0] for shop in others]
        counts = [(await _sockets_of(r))["widget"] for r in (front.a, front.b)]
        assert sum(counts) == 16 and min(counts) > 0, counts
        for peer in spread:
            await peer.close()

    arun(go())


def test_a_draining_relay_gets_no_new_sockets_from_caddy(
    front: Front, clients: Any, arun: Any
) -> None:
    """The relay a shop's widgets hash to is sent SIGTERM (it drains: /readyz 503, its open
    sockets kept for the grace). Within two of Caddy's check intervals, new widget sockets of
    that shop go to the other relay, and keep going there; the draining relay's open socket is
    untouched until the grace ends."""

    async def go() -> None:
        first, _ = await clients.widget(front.caddy, front.shop_id)
        on_a = (await _sockets_of(front.a))["widget"] == 1
        draining, other = (front.a, front.b) if on_a else (front.b, front.a)
        assert draining.proc is not None
        draining.proc.send_signal(signal.SIGTERM)
        peers = []

        async def lands_on_other() -> bool:
            before = (await _sockets_of(other))["widget"]
            w, _ = await clients.widget(front.caddy, front.shop_id)
            peers.append(w)
            return (await _sockets_of(other))["widget"] == before + 1

        for _ in range(150):  # Caddy checks /readyz every 5 s
            if await lands_on_other():
                break
            await asyncio.sleep(0.1)
        for _ in range(4):
            assert await lands_on_other()
        assert (await _sockets_of(other))["widget"] == 5
        await first.send(p.WidgetSend(clients.text("still-here", "ยังอยู่")))
        assert (await first.recv_type(p.Accepted, 20)).id == "still-here"
        for w in (first, *peers):
            await w.close()

    arun(go())


def test_the_store_password_comes_from_its_file_and_a_bad_one_is_a_clear_error(
    database: Database, tmp_path: Path
) -> None:
    """The role needs its password: from the file, or from libpq's PGPASSFILE; without either
    the relay cannot log in (exit 1, the database named). A wrong password: exit 1,
    PostgreSQL's refusal shown, not the password. An empty or unreadable file, or a password
    in the URL as well: exit 2, saying which file or what to change. None of it shows a
    password."""
    url = database.new_database()
    key = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    folder = tmp_path / "relay"
    folder.mkdir()

    def shops_list(extra: dict[str, str], store: str = url) -> Any:
        return relay_cli(folder, "--store", store, "shops", "list", env={**key, **extra})

    where = url.replace(f"{ROLE}@", "")
    good = _password_file(tmp_path, database.password + "\n")
    ok = shops_list({"MINICHAT_RELAY_STORE_PASSWORD_FILE": str(good)})
    # the first command on a new database makes the tables, and says so (nothing else)
    assert ok.returncode == 0 and len(ok.stderr.splitlines()) == 1, ok.stderr
    assert ok.stderr.endswith(
        f" INFO relay.store_pg: created the tables in {where} (schema {pg_schema.newest()})\n"
    )
    # libpq's own pgpass file works as well (for a database run elsewhere)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{database.server.port}:*:{ROLE}:{database.password}\n")
    pgpass.chmod(0o600)
    ok = shops_list({"PGPASSFILE": str(pgpass)})
    assert (ok.returncode, ok.stderr) == (0, "")

    res = shops_list({})
    assert res.returncode == 1
    assert f"cannot reach the database {where}" in res.stderr

    wrong_pw = "wrong-" + secrets.token_urlsafe(12)
    wrong = tmp_path / "wrong"
    wrong.write_text(wrong_pw)
    res = shops_list({"MINICHAT_RELAY_STORE_PASSWORD_FILE": str(wrong)})
    assert res.returncode == 1
    assert f"cannot reach the database {where}" in res.stderr
    assert f'password authentication failed for user "{ROLE}"' in res.stderr
    assert wrong_pw not in res.stderr + res.stdout

    empty, missing = tmp_path / "empty", tmp_path / "missing"
    empty.write_text("\n")
    said = {
        empty: "is empty; write the password of the store's user in it",
        missing: "No such file or directory; it must be readable by the relay's user",
    }
    for path, why in said.items():
        res = shops_list({"MINICHAT_RELAY_STORE_PASSWORD_FILE": str(path)})
        assert res.returncode == 2
        what = "cannot read the" if path == missing else "the"
        sep = ":" if path == missing else ""
        assert res.stderr == (
            f"minichat-relay: {what} database password file {path}"
            f" ($MINICHAT_RELAY_STORE_PASSWORD_FILE){sep} {why}\n"
        )
    both = url.replace(f"{ROLE}@", f"{ROLE}:{database.password}@")
    res = shops_list({"MINICHAT_RELAY_STORE_PASSWORD_FILE": str(good)}, store=both)
    assert res.returncode == 2
    assert "the URL has a password and $MINICHAT_RELAY_STORE_PASSWORD_FILE is set too" in (
        res.stderr
    )
    assert database.password not in res.stderr
