"""``minichat-relay move-to postgresql://…``: a SQLite relay's whole state into an empty
PostgreSQL store (relay/move.py). A real relay process makes real traffic (riding widget acks
and read marks, a desktop that closes with items un-acked, a LINE push LINE keeps failing,
Meta credentials); what its desktop and widget would get from the SQLite store (a copy of
the stopped folder, served) is compared with what they get from the PostgreSQL store after
the move: the same frames, seqs and order, the same history, the LINE push once under its
retry key, seqs and cseqs going on without a gap. Then the refusals, and a copy failing
half-way leaving the target empty."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet
from PIL import Image
from support.postgres import PostgresServer
from support.relay_proc import Relay, line_env, relay_cli
from support.waiting import until

from relay import protocol as p

SECRET = "channel-secret-0123456789abcdef"
LINE_USER = "U206d25c2ea6bd87c17655609a1c37cb8"
PUSH = "/v2/bot/message/push"
META_ENV = {
    "MINICHAT_META_APP_SECRET": "app-secret-abc",
    "MINICHAT_META_PAGE_TOKEN": "page-token-xyz",
    "MINICHAT_META_VERIFY_TOKEN": "verify-123",
}
DEAD_LINE = {"MINICHAT_LINE_API_BASE": "http://127.0.0.1:9"}  # (the copy must not push)


def _ok(res: Any) -> Any:
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def _shops_json(data_dir: Path, env: dict[str, str], *store: str) -> list[Any]:
    res = relay_cli(data_dir, *store, "shops", "list", "--json", env=env)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


async def _ride_widget(clients: Any, relay: Relay, shop_id: str) -> tuple[Any, Any]:
    """A widget that negotiated ``ride``: its acks and read marks ride in its sends."""
    peer, welcome = await clients.widget(relay, shop_id, features=(p.RIDE,))
    assert p.RIDE in welcome.features
    return peer, welcome


async def _stream_frames(clients: Any, relay: Relay, token: str, after: int) -> list[str]:
    """Every stream item the desktop gets when it reconnects after ``after`` (raw text)."""
    desk, welcome = await clients.desktop(relay, token, after=after)
    got: list[str] = []
    while True:
        try:
            raw = await asyncio.wait_for(desk.ws.recv(), 2.0)
        except TimeoutError:
            break
        if "seq" in json.loads(raw):
            got.append(str(raw))
    await desk.close()
    return [f"pending={welcome.pending}", *got]


async def _traffic(clients: Any, relay: Relay, shops: dict[str, Any], line_api: Any) -> Any:
    """Shop A: a riding widget chats with its desktop; the desktop stops acking after two
    round trips, pushes to LINE (which answers 500) and closes; the widget writes again.
    Shop B: a plain chat, all acked. Returns (A's desktop ack, A's widget session)."""
    a, b = shops["a"], shops["b"]
    desk, _ = await clients.desktop(relay, a["token"])
    w, ww = await _ride_widget(clients, relay, a["shop_id"])
    last = 0
    ack = 0
    for i in range(4):
        read = last if i >= 2 else None
        send = p.WidgetSend(clients.text(f"m-{i}", f"สวัสดีค่ะ 🙏 ข้อ {i}"), last or None, read)
        await w.send(send)
        assert (await w.recv_type(p.Accepted, 20)).id == f"m-{i}"
        inbound = await desk.recv_type(p.Inbound, 20)
        if i < 2:
            ack = inbound.seq
            await desk.send(p.Ack(ack))
        reply = clients.text(f"r-{i}", f"ได้เลยค่ะ ฿259 😊 {i}")
        await desk.send(p.Send(ww.conversation, reply))
        assert (await desk.recv_type(p.Accepted, 20)).id == f"r-{i}"
        got = await w.recv_type(p.WidgetMessage, 20)
        last = got.item.seq
    line_api.push_status += [(500, {"message": "internal error"})] * 20
    await desk.send(p.Send(f"line:{LINE_USER}", clients.text("l-1", "ส่งทางไลน์ 📦")))
    assert (await desk.recv_type(p.Accepted, 20)).id == "l-1"
    await asyncio.get_running_loop().run_in_executor(None, line_api.wait_for, PUSH, 1, 20)
    await desk.close()
    await w.send(p.WidgetSend(clients.text("m-4", "ยังอยู่ไหมคะ 🥺"), last, last))
    assert (await w.recv_type(p.Accepted, 20)).id == "m-4"
    await w.close()

    desk_b, _ = await clients.desktop(relay, b["token"])
    wb, wbw = await clients.widget(relay, b["shop_id"])
    await wb.send(p.WidgetSend(clients.text("b-1", "ร้านบี 🌸")))
    inbound = await desk_b.recv_type(p.Inbound, 20)
    await desk_b.send(p.Ack(inbound.seq))
    await desk_b.send(p.Send(wbw.conversation, clients.text("rb-1", "ค่ะ")))
    got = await wb.recv_type(p.WidgetMessage, 20)
    await wb.send(p.Ack(got.item.seq))
    await desk_b.send(p.SetPresence(p.Presence.AWAY))
    await desk_b.recv_type(p.Receipt, 20)  # (the widget's ack: "delivered")
    await desk_b.close()
    await wb.close()
    return ack, ww


def _riding_pending(folder: Path, ack: int) -> int:
    """History rows of the copy carrying riding receipts the desktop has not acked."""
    db = sqlite3.connect(folder / "relay.sqlite3")
    try:
        row = db.execute(
            "SELECT count(*) FROM history WHERE seq>? AND (dto IS NOT NULL OR rto IS NOT NULL)",
            (ack,),
        ).fetchone()
        return int(row[0])
    finally:
        db.close()


def _setup(relay_factory: Any, env: dict[str, str]) -> tuple[Relay, dict[str, Any]]:
    r = relay_factory(env={**env, "MINICHAT_LINE_TIMEOUT": "1"})
    shops = {
        "a": _ok(relay_cli(r.data_dir, "shops", "add", "ร้านเอ", env=env)),
        "b": _ok(relay_cli(r.data_dir, "shops", "add", "ร้านบี", env=env)),
    }
    a = shops["a"]["shop_id"]
    res = relay_cli(r.data_dir, "shops", "line", a, env={**env, **line_env(SECRET, "tok-A")})
    assert res.returncode == 0, res.stderr
    res = relay_cli(r.data_dir, "shops", "meta", a, env={**env, **META_ENV})
    assert res.returncode == 0, res.stderr
    r.start()
    return r, shops


@pytest.mark.parametrize("ending", ["stop", "kill -9"])
def test_a_moved_relay_serves_the_same_frames_history_and_line_push_and_goes_on(
    ending: str,
    postgres: PostgresServer,
    relay_factory: Any,
    clients: Any,
    line_api: Any,
    arun: Any,
    tmp_path: Path,
) -> None:
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    r, shops = _setup(relay_factory, env)
    a = shops["a"]
    ack, ww = arun(_traffic(clients, r, shops, line_api))
    if ending == "stop":
        assert r.stop() == 0
    else:
        r.kill()
    first_push = line_api.calls_to(PUSH)[0]

    # what the SQLite relay would serve: a copy of the stopped folder, served
    copy = tmp_path / "copy"
    shutil.copytree(r.data_dir, copy, ignore=shutil.ignore_patterns("*.log", "relay.lock"))
    assert _riding_pending(copy, ack) >= 2  # (the case this test is about is there)
    before = _shops_json(r.data_dir, env)
    c = relay_factory(data_dir=copy, env={**env, **DEAD_LINE})
    c.start()

    async def seen(relay: Relay) -> tuple[list[str], Any]:
        w, welcome = await clients.widget(relay, a["shop_id"], session=ww.session)
        await w.close()
        return await _stream_frames(clients, relay, a["token"], ack), welcome

    sqlite_frames, sqlite_widget = arun(seen(c))
    c.stop()
    assert len(sqlite_frames) >= 6  # pending=, receipts riding, m-2..m-4

    url = postgres.new_database()
    kept = _dump(r.data_dir)
    check = relay_cli(r.data_dir, "move-to", url, env=env)
    assert _ok(check)["moved"] is False and _count(url, "shops") == 0  # (a check, rolled back)
    assert "Nothing was copied (the database keeps the relay's tables, empty)" in check.stdout
    res = relay_cli(r.data_dir, "move-to", url, "--yes", env=env)
    assert "is left as it was" in res.stdout and "--store" in res.stdout, res.stdout
    moved = _ok(res)
    assert moved["shops"] == 2 and moved["line_pending"] == 1
    assert moved["pending_for_desktops"] == sum(s["pending_for_desktop"] for s in before)
    assert _shops_json(r.data_dir, env, "--store", url) == before
    pushes_before = len(line_api.calls_to(PUSH))
    line_api.push_status.clear()

    pg = relay_factory("--store", url, env=env)
    pg.start()

    async def after_move() -> None:
        w, welcome = await clients.widget(pg, a["shop_id"], session=ww.session)
        assert welcome.history == sqlite_widget.history
        assert welcome.conversation == sqlite_widget.conversation
        desk, hello = await clients.desktop(pg, a["token"], after=ack)
        # (plus 1 when the relay had sent LINE's push and stored its receipt already)
        assert hello.pending - int(sqlite_frames[0].split("=")[1]) in (0, 1)
        old = [json.loads(f) for f in sqlite_frames[1:]]
        got = []
        while len(got) < len(old):
            raw = await desk.ws.recv()
            if "seq" in json.loads(raw):
                got.append(str(raw))
        assert got == sqlite_frames[1:]  # the same frames, seqs and order, byte for byte
        top = max(f["seq"] for f in old)
        # LINE's pending push goes out, then new messages go on from the next seq and cseq
        sent = await desk.recv_type(p.Receipt, 20)
        assert (sent.ids, sent.status) == (("l-1",), p.ReceiptStatus.SENT)
        await w.send(p.WidgetSend(clients.text("m-5", "ต่อจากเดิม ✨")))
        accepted = await w.recv_type(p.Accepted, 20)
        inbound = await desk.recv_type(p.Inbound, 20)
        assert sorted([sent.seq, inbound.seq]) == [top + 1, top + 2]
        assert accepted.seq == sqlite_widget.history[-1].seq + 1
        await desk.send(p.Send(welcome.conversation, clients.text("r-5", "ค่ะ")))
        reply = await w.recv_type(p.WidgetMessage, 20)
        assert reply.item.seq == accepted.seq + 1
        await desk.close()
        await w.close()

    arun(after_move())
    pushes = line_api.calls_to(PUSH)[pushes_before:]
    assert len(pushes) == 1
    assert (pushes[0]["retry_key"], pushes[0]["raw"]) == (
        first_push["retry_key"],
        first_push["raw"],
    )
    assert _dump(r.data_dir) == kept  # the way back is left as it was


def _dump(folder: Path) -> list[str]:
    """The SQLite database's content, as SQL."""
    db = sqlite3.connect(folder / "relay.sqlite3")
    try:
        return list(db.iterdump())
    finally:
        db.close()


def _count(url: str, table: str) -> int | None:
    """Rows of ``table`` in the database (None: no such table)."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
            return None
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0


def test_move_to_refuses_a_serving_relay_a_full_target_a_wrong_key_and_no_database(
    postgres: PostgresServer, relay_factory: Any, tmp_path: Path
) -> None:
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    r = relay_factory(env=env)
    shop = _ok(relay_cli(r.data_dir, "shops", "add", "ร้านเอ", env=env))
    res = relay_cli(
        r.data_dir, "shops", "line", shop["shop_id"], env={**env, **line_env(SECRET, "t")}
    )
    assert res.returncode == 0, res.stderr
    r.start()
    url = postgres.new_database()
    res = relay_cli(r.data_dir, "move-to", url, "--yes", env=env)
    assert res.returncode == 2 and "is serving" in res.stderr and "stop it first" in res.stderr
    assert _count(url, "shops") is None  # not even the tables
    assert r.stop() == 0

    other = Fernet.generate_key().decode()
    res = relay_cli(r.data_dir, "move-to", url, "--yes", env={"MINICHAT_RELAY_KEY": other})
    assert res.returncode == 2 and "does not open" in res.stderr
    assert _count(url, "shops") is None

    full = postgres.new_database()
    _ok(relay_cli(tmp_path / "pgkey", "--store", full, "shops", "add", "อยู่แล้ว", env=env))
    res = relay_cli(r.data_dir, "move-to", full, "--yes", env=env)
    assert res.returncode == 2 and "never merges" in res.stderr
    assert _count(full, "shops") == 1 and _count(full, "history") == 0

    newer = postgres.new_database()
    assert _shops_json(tmp_path / "pgkey", env, "--store", newer) == []  # (makes the tables)
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    res = relay_cli(r.data_dir, "move-to", newer, "--yes", env=env)
    assert res.returncode == 2 and "upgraded by a newer relay" in res.stderr
    assert _count(newer, "shops") == 0 and _count(newer, "history") == 0

    res = relay_cli(r.data_dir, "--store", url, "move-to", url, "--yes", env=env)
    assert res.returncode == 2 and "without --store" in res.stderr
    res = relay_cli(r.data_dir, "move-to", "mysql://db/x", "--yes", env=env)
    assert res.returncode == 2 and "not a PostgreSQL URL" in res.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    res = relay_cli(empty, "move-to", url, "--yes", env=env)
    assert res.returncode == 2 and "no relay database" in res.stderr
    assert _count(url, "shops") is None and list(empty.iterdir()) == []
    assert "Traceback" not in res.stderr


def _chatted(relay_factory: Any, clients: Any, arun: Any, env: dict[str, str]) -> Relay:
    """A stopped SQLite relay whose one shop has 5 shopper messages."""
    r = relay_factory(env=env)
    shop = _ok(relay_cli(r.data_dir, "shops", "add", "ร้านเอ", env=env))
    r.start()

    async def chat() -> None:
        w, _ = await clients.widget(r, shop["shop_id"])
        for i in range(5):
            await w.send(p.WidgetSend(clients.text(f"m-{i}", f"ข้อความ {i}")))
            await w.recv_type(p.Accepted, 20)
        await w.close()

    arun(chat())
    assert r.stop() == 0
    return r


def _target_with(postgres: PostgresServer, folder: Path, env: dict[str, str], sql: str) -> str:
    """A new database with the relay's tables and a trigger on history running ``sql``."""
    url = postgres.new_database()
    assert _shops_json(folder, env, "--store", url) == []  # (makes the tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION on_history() RETURNS trigger AS $$ BEGIN"
            f" {sql} RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.execute(
            "CREATE TRIGGER on_history BEFORE INSERT ON history"
            " FOR EACH ROW EXECUTE FUNCTION on_history()"
        )
    return url


THIRD_FAILS = (
    "IF (SELECT count(*) FROM history) >= 2 THEN RAISE EXCEPTION 'no room left (test)'; END IF;"
)
REWRITES = "NEW.message := replace(NEW.message, 'ข้อความ 3', 'ข้อความ 33');"


@pytest.mark.parametrize(
    ("trigger", "code", "words"),
    [
        # a write failing half-way (the third history row): all or nothing
        (THIRD_FAILS, 1, "no room left"),
        # the copy is read back through the PostgreSQL store before the COMMIT: a message that
        # reads differently there refuses the move
        # (every row compared as a whole first: a digest of each row, summed per table)
        (REWRITES, 2, "cannot move this relay exactly: the rows of history read differently"),
    ],
    ids=["write-fails", "reads-differently"],
)
def test_a_copy_failing_half_way_or_reading_back_differently_leaves_the_target_empty(
    trigger: str,
    code: int,
    words: str,
    postgres: PostgresServer,
    relay_factory: Any,
    clients: Any,
    arun: Any,
    tmp_path: Path,
) -> None:
    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    r = _chatted(relay_factory, clients, arun, env)
    url = _target_with(postgres, tmp_path / "pgkey", env, trigger)
    res = relay_cli(r.data_dir, "move-to", url, "--yes", env=env)
    assert res.returncode == code, res.stdout
    assert "rolled back" in res.stderr and words in res.stderr
    for table in ("shops", "sessions", "conversations", "history"):
        assert _count(url, table) == 0, table


def test_a_facebook_send_meta_kept_refusing_goes_out_once_from_the_moved_relay(
    postgres: PostgresServer,
    relay_factory: Any,
    meta_api: Any,
    clients: Any,
    arun: Any,
) -> None:
    """Messenger: a reply Meta answers 500 to stays in the outbox; moved, the relay on
    PostgreSQL sends it once and the desktop gets its SENT receipt."""
    from support.fake_meta import APP_SECRET, meta_error, user_message, webhook

    env = {
        "MINICHAT_RELAY_KEY": Fernet.generate_key().decode(),
        "MINICHAT_META_API_BASE": meta_api.url,
    }
    r = relay_factory(env=env)
    shop = _ok(relay_cli(r.data_dir, "shops", "add", "ร้านเฟซ", env=env))
    creds = {
        **META_ENV,
        "MINICHAT_META_APP_SECRET": APP_SECRET,
        "MINICHAT_META_PAGE_TOKEN": "page-token-1",
    }
    res = relay_cli(r.data_dir, "shops", "meta", shop["shop_id"], env={**env, **creds})
    assert res.returncode == 0, res.stderr
    r.start()
    psid, page = "2233445566778899", meta_api.page_id
    conv = f"messenger:{psid}"
    meta_api.answers = [(500, meta_error(2, "Service temporarily unavailable"))] * 20

    async def before() -> int:
        desk, _ = await clients.desktop(r, shop["token"])
        body = webhook("page", page, user_message(psid, page, "m_fb_1", text="มีไซส์ M ไหมคะ 👗"))
        endpoint = f"{r.url}/meta/{shop['shop_id']}/webhook"
        assert meta_api.post_webhook(endpoint, body, APP_SECRET)[0] == 200
        inbound = await desk.recv_type(p.Inbound, 20)
        await desk.send(p.Ack(inbound.seq))
        await desk.send(p.Send(conv, clients.text("r-fb", "มีค่ะ 😊"), human=True))
        assert (await desk.recv_type(p.Accepted, 20)).id == "r-fb"
        await until(lambda: len(meta_api.calls) >= 1, 20)
        await desk.close()
        return int(inbound.seq)

    ack = arun(before())
    assert r.stop() == 0
    url = postgres.new_database()
    moved = _ok(relay_cli(r.data_dir, "move-to", url, "--yes", env=env))
    assert moved["meta_pending"] == 1
    meta_api.answers.clear()
    pg = relay_factory("--store", url, env=env)
    pg.start()

    async def after() -> None:
        desk, _ = await clients.desktop(pg, shop["token"], after=ack)
        sent = await desk.recv_type(p.Receipt, 20)
        assert (sent.ids, sent.status) == (("r-fb",), p.ReceiptStatus.SENT)
        await desk.close()

    arun(after())
    texts = [s["message"].get("text") for s in meta_api.delivered()]
    assert texts == ["มีค่ะ 😊"]


def _slip(seed: int) -> bytes:
    """A payment slip's size: a JPEG of random pixels (it does not compress), ~300 KB."""
    pixels = random.Random(seed).randbytes(640 * 480 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (640, 480), pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_pictures_move_whole_a_few_at_a_time(
    postgres: PostgresServer, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """Ten payment slips a shopper uploaded (more than move.py reads at a time: pictures go
    8 by 8, so that a relay with gigabytes of them moves in little memory) reach the desktop
    from the relay on PostgreSQL byte for byte, in the order they were sent."""
    from minichat_desktop.sync import media

    env = {"MINICHAT_RELAY_KEY": Fernet.generate_key().decode()}
    r = relay_factory("--shopper-rate", "0", "--ip-rate", "0", env=env)  # (ten at once)
    shop = _ok(relay_cli(r.data_dir, "shops", "add", "ร้านสลิป", env=env))
    r.start()
    slips = [_slip(seed) for seed in range(10)]
    assert all(200_000 <= len(s) <= 500_000 for s in slips), [len(s) for s in slips]

    async def send_slips() -> None:
        w, ww = await clients.widget(r, shop["shop_id"])
        async with httpx.AsyncClient(timeout=30) as http:
            for i, data in enumerate(slips):
                answer = await http.post(
                    f"{r.url}/widget/{shop['shop_id']}/upload",
                    content=data,
                    headers={"Authorization": f"Bearer {ww.session}"},
                )
                assert answer.status_code == 201, answer.text
                stored = answer.json()
                await w.send(p.WidgetSend(p.Message(f"slip-{i}", p.Image(stored["media_id"]))))
                assert (await w.recv_type(p.Accepted, 20)).id == f"slip-{i}"
        await w.close()

    arun(send_slips())
    assert r.stop() == 0
    url = postgres.new_database()
    assert _ok(relay_cli(r.data_dir, "move-to", url, "--yes", env=env))["moved"] is True
    assert _count(url, "media") == 10

    pg = relay_factory("--store", url, env=env)
    pg.start()

    async def desktop_downloads() -> list[bytes]:
        desk, _ = await clients.desktop(pg, shop["token"])
        got = []
        for _ in slips:
            inbound = await desk.recv_type(p.Inbound, 20)
            image = inbound.message.body
            assert isinstance(image, p.Image) and image.url is not None
            # (the frames moved as they were stored: their pictures' addresses name the
            # relay's public address, the same after a move; here each relay has its port)
            path = urlsplit(image.url).path
            assert path == f"/media/{image.media_id}", image.url
            got.append(await media.download(pg.url + path))
        await desk.close()
        return got

    got = arun(desktop_downloads())
    assert [hashlib.sha256(g).hexdigest() for g in got] == [
        hashlib.sha256(s).hexdigest() for s in slips
    ]
