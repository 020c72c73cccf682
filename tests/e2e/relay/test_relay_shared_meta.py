"""Messenger, Instagram, page comments and shopper profiles with two relay processes on one
PostgreSQL database (``serve --store postgresql://…``): Meta's webhooks may reach either
process, the desktop may be on either, and everything behaves as on one process; kill -9 of
the process sending a shop's messages moves the sending to the other with nothing lost or
reordered.

PostgreSQL is Debian's, started once for this module (tests/support/postgres.py); Meta's Graph
API is the stand-in server of tests/support/fake_meta.py."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import psycopg
import pytest
import websockets
from cryptography.fernet import Fernet
from PIL import Image
from support.fake_meta import (
    APP_SECRET,
    FakeMeta,
    feed_comment,
    instagram_comment,
    user_message,
    webhook,
)
from support.postgres import PostgresServer
from support.relay_proc import Relay, relay_cli
from support.waiting import until
from test_relay_shared_store import NO_LIMITS, Cluster

from relay import protocol as p
from relay.meta import message_id

PAGE = "1122334455"
PSID = "2233445566778899"
IGSID = "17841400000000001"
IG_ACCOUNT = "17841405555555555"
TOKEN = "page-token-1"
VERIFY = "verify-me"


def _endpoint(cluster: Cluster, relay: Relay) -> str:
    return f"{relay.url}/meta/{cluster.shop_id}/webhook"


def _cluster(
    postgres: PostgresServer, relay_factory: Any, meta_api: FakeMeta, *, meta: bool
) -> Cluster:
    url = postgres.new_database()
    # every process needs the same key (the Meta credentials are sealed with it)
    env = {
        "MINICHAT_RELAY_KEY": Fernet.generate_key().decode(),
        "MINICHAT_META_API_BASE": meta_api.url,
    }
    a = relay_factory("--store", url, *NO_LIMITS, env=env)
    b = relay_factory("--store", url, *NO_LIMITS, env=env)
    res = relay_cli(a.data_dir, "--store", url, "shops", "add", "ร้านสองเครื่อง", env=env)
    assert res.returncode == 0, res.stderr
    shop = json.loads(res.stdout.strip().splitlines()[-1])
    if meta:  # the operator's CLI, on the shared store
        creds = {
            "MINICHAT_META_APP_SECRET": APP_SECRET,
            "MINICHAT_META_PAGE_TOKEN": TOKEN,
            "MINICHAT_META_VERIFY_TOKEN": VERIFY,
        }
        cli = relay_cli(
            a.data_dir, "--store", url, "shops", "meta", shop["shop_id"], env={**env, **creds}
        )
        assert cli.returncode == 0, cli.stderr
    a.start()
    b.start()
    return Cluster(url, a, b, shop["shop_id"], shop["token"])


@pytest.fixture
def cluster(postgres: PostgresServer, meta_api: FakeMeta, relay_factory: Any) -> Cluster:
    # (meta_api before relay_factory: torn down after the relays that talk to it)
    return _cluster(postgres, relay_factory, meta_api, meta=True)


def _post(meta_api: FakeMeta, cluster: Cluster, relay: Relay, body: dict[str, Any]) -> None:
    assert meta_api.post_webhook(_endpoint(cluster, relay), body, APP_SECRET) == (
        200,
        "EVENT_RECEIVED",
    )


def test_webhooks_posted_to_one_process_reach_the_desktop_on_the_other_and_replies_go_once(
    cluster: Cluster, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """Desktop on A, Meta posting to B: a Messenger and an Instagram message and a page
    comment reach the desktop; their redeliveries posted to A are dropped; 12 replies in the
    Messenger chat and the comment's private reply reach the Graph API exactly once, in
    order, and the desktop gets "sent" for each."""
    conv = f"messenger:{PSID}"
    cid = "900100200_3344556677"

    async def go() -> None:
        desk, welcome = await clients.desktop(cluster.a, cluster.token)
        assert welcome.meta_configured is True
        fb = webhook("page", PAGE, user_message(PSID, PAGE, "m_fb_1", text="สวัสดีค่ะ"))
        ig = webhook("instagram", PAGE, user_message(IGSID, PAGE, "m_ig_1", text="hello from IG"))
        comment = feed_comment(PAGE, cid, PSID, "Somchai", "CF A12 2")
        for body in (fb, ig, comment):
            _post(meta_api, cluster, cluster.b, body)
        first = await desk.recv_type(p.Inbound, 20)
        second = await desk.recv_type(p.Inbound, 20)
        assert (first.conversation, first.message.body) == (conv, p.Text("สวัสดีค่ะ"))
        assert (second.conversation, second.message.body) == (
            f"instagram:{IGSID}",
            p.Text("hello from IG"),
        )
        got = await desk.recv_type(p.PageComment, 20)
        assert (got.comment_id, got.from_id, got.text) == (cid, PSID, "CF A12 2")
        await desk.send(p.Ack(got.seq))
        # Meta redelivers to whichever process its load balancer picks: dropped there too
        for body in (fb, comment):
            _post(meta_api, cluster, cluster.a, body)
        await desk.nothing(1.5, ignore=(p.Profile, p.Receipt))

        for i in range(12):
            await desk.send(p.Send(conv, clients.text(f"r{i:02d}", f"ตอบ {i}")))
        await desk.send(p.Send(f"comment:{cid}", p.Message("c1", p.Text("จองให้แล้วค่ะ"))))
        sent: set[str] = set()
        while sent != {f"r{i:02d}" for i in range(12)} | {"c1"}:
            r = await desk.recv_type(p.Receipt, 20)
            if r.status is p.ReceiptStatus.SENT:
                sent |= set(r.ids)
        await desk.close()

    arun(go())
    out = meta_api.delivered()
    chat = [b["message"]["text"] for b in out if b["recipient"].get("id") == PSID]
    assert chat == [f"ตอบ {i}" for i in range(12)]
    assert [b["recipient"] for b in out if "comment_id" in b["recipient"]] == [{"comment_id": cid}]
    # the shopper's profile was asked for once, though both processes saw them write
    assert [c["user"] for c in meta_api.profile_calls].count(PSID) == 1


def _sender(url: str, shop_id: str) -> str | None:
    """Which process holds the shop's Meta sender lock: "a" (the one holding the desktop,
    as the ``desktops`` table says), "b", or None (neither, now)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT a.application_name = 'minichat-relay-' || d.process FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid, desktops d"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND d.shop_id = %s"
            " AND l.objid = (hashtext(%s)::bigint & 4294967295)::oid",
            (shop_id, "meta:" + shop_id),
        ).fetchone()
    return None if row is None else ("a" if row[0] else "b")


def test_kill_9_of_the_sending_process_moves_the_sending_with_nothing_lost_or_reordered(
    cluster: Cluster, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """The desktop on A sends 2 replies, which go out; Meta then holds its answers and the
    desktop sends 6 more; the process sending the shop's messages is killed with SIGKILL while
    a request is in flight; the other one takes over: all 8 reach Meta in order, the one in
    flight at most twice (Meta has no retry key), and the desktop gets "sent" for all 8."""
    conv = f"messenger:{PSID}"
    gate = threading.Event()
    wanted = [f"ตอบ {i}" for i in range(8)]

    def chat() -> list[str]:
        return [b["message"]["text"] for b in meta_api.delivered() if "message" in b]

    async def send(desk: Any, numbers: range) -> None:
        for i in numbers:
            await desk.send(p.Send(conv, clients.text(f"r{i}", wanted[i])))
        for i in numbers:
            assert (await desk.recv_type(p.Accepted, 20)).id == f"r{i}"

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        opened = webhook("page", PAGE, user_message(PSID, PAGE, "m1", text="hi"))
        _post(meta_api, cluster, cluster.b, opened)
        await desk.send(p.Ack((await desk.recv_type(p.Inbound, 20)).seq))
        await send(desk, range(2))
        await until(lambda: len(chat()) == 2, timeout=20)
        meta_api.hold[PSID] = gate  # from now on Meta answers nothing until the gate opens
        await send(desk, range(2, 8))
        holder: list[str | None] = [None]

        def found() -> bool:
            holder[0] = _sender(cluster.url, cluster.shop_id)
            return holder[0] is not None

        await until(found, timeout=20)
        killed, survivor = (cluster.a, cluster.b) if holder[0] == "a" else (cluster.b, cluster.a)
        await asyncio.get_running_loop().run_in_executor(None, killed.kill)
        gate.set()
        await until(lambda: len(set(chat())) == 8, timeout=30)
        early = [f for f in desk.skipped if isinstance(f, p.Receipt)]
        if killed is cluster.a:  # the desktop went with its process: it comes back on B
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await desk.recv(20)
            await desk.close()
            desk, _ = await clients.desktop(survivor, cluster.token, after=1)
            early = []  # (the stream sends them all again)
        sent = {i for r in early for i in r.ids}
        while sent != {f"r{i}" for i in range(8)}:
            r = await desk.recv_type(p.Receipt, 20)
            assert r.status is p.ReceiptStatus.SENT
            sent |= set(r.ids)
        await desk.close()

    arun(go())
    got = chat()
    firsts = [t for n, t in enumerate(got) if t not in got[:n]]
    assert firsts == wanted
    assert len(got) - len(firsts) <= 1, got  # only the request in flight may go twice


def test_credentials_set_from_a_desktop_on_one_process_are_used_by_the_other(
    postgres: PostgresServer, meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    """No Meta set up: the welcome says so and A refuses Meta's webhooks (404). A desktop on B
    sends ``meta_credentials`` and ``meta_verify`` (ok, with the Page's name); then A takes a
    webhook signed with the app secret B stored and fetches the shopper's profile with the page
    token; a second message, posted to B while that fetch is still waiting for Meta, asks for
    no profile again; the desktop back on A, and the operator's ``shops list``, are told Meta
    is set up."""
    cluster = _cluster(postgres, relay_factory, meta_api, meta=False)
    meta_api.app_secret = APP_SECRET
    meta_api.subscriptions = {meta_api.app_id: list(p.META_FIELDS)}
    meta_api.instagram = {"id": IG_ACCOUNT, "username": "shop.ig"}
    meta_api.profiles[PSID] = {"first_name": "สมหญิง", "last_name": "ใจดี"}
    meta_api.profile_gate = threading.Event()
    fb = webhook("page", PAGE, user_message(PSID, PAGE, "m_1", text="สวัสดีค่ะ"))

    async def go() -> None:
        desk, welcome = await clients.desktop(cluster.b, cluster.token)
        assert welcome.meta_configured is False
        assert meta_api.post_webhook(_endpoint(cluster, cluster.a), fb, APP_SECRET)[0] == 404
        await desk.send(p.SetMetaCredentials("cfg-1", APP_SECRET, TOKEN, VERIFY))
        assert await desk.recv_type(p.Ok, 20) == p.Ok("cfg-1")
        await desk.send(p.VerifyMeta("v-1"))
        verified = await desk.recv_type(p.MetaVerified, 20)
        assert verified == p.MetaVerified("v-1", p.MetaCheck.OK, "ร้านทดสอบ", PAGE, "shop.ig")
        _post(meta_api, cluster, cluster.a, fb)
        assert (await desk.recv_type(p.Inbound, 20)).message.id == message_id("m_1")
        again = webhook("page", PAGE, user_message(PSID, PAGE, "m_2", text="ยังอยู่ไหม"))
        _post(meta_api, cluster, cluster.b, again)
        assert (await desk.recv_type(p.Inbound, 20)).message.id == message_id("m_2")
        assert meta_api.profile_gate is not None
        meta_api.profile_gate.set()
        prof = await desk.recv_type(p.Profile, 20)
        assert (prof.conversation, prof.name) == (f"messenger:{PSID}", "สมหญิง ใจดี")
        await desk.nothing(1.0, ignore=(p.Receipt,))
        await desk.close()
        desk, welcome = await clients.desktop(cluster.a, cluster.token)
        assert welcome.meta_configured is True
        await desk.close()

    arun(go())
    asked = [(c["user"], c["auth"]) for c in meta_api.profile_calls]
    assert asked == [(PSID, f"Bearer {TOKEN}")]  # once, with the token B stored
    listed = relay_cli(
        cluster.a.data_dir, "--store", cluster.url, "shops", "list", "--json", env=cluster.a.env
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.strip().splitlines()[-1])["meta_configured"] is True


def test_an_instagram_comment_posted_to_either_process_reaches_the_desktop_once(
    cluster: Cluster, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """An Instagram comment posted to A and then, redelivered, to B reaches the desktop on B
    once; its private reply goes out once, through the Instagram account."""
    cid = "17858893269000001"
    body = instagram_comment(IG_ACCOUNT, cid, IGSID, "nok.lover", "CF B7")

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.b, cluster.token)
        _post(meta_api, cluster, cluster.a, body)
        got = await desk.recv_type(p.PageComment, 20)
        assert (got.comment_id, got.platform) == (cid, p.CommentPlatform.INSTAGRAM)
        await desk.send(p.Ack(got.seq))
        _post(meta_api, cluster, cluster.b, body)
        await desk.nothing(1.5, ignore=(p.Receipt, p.Profile))
        await desk.send(p.Send(f"comment:{cid}", p.Message("ig-r1", p.Text("จองให้แล้วค่ะ"))))
        assert (await desk.recv_type(p.Accepted, 20)).id == "ig-r1"
        sent = await desk.recv_type(p.Receipt, 20)
        assert (sent.ids, sent.status) == (("ig-r1",), p.ReceiptStatus.SENT)
        await desk.close()

    arun(go())
    assert meta_api.nodes == [(IG_ACCOUNT, cid)]


def test_a_webhook_body_whose_process_died_mid_work_is_worked_by_the_other_once(
    cluster: Cluster, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """B stores a Messenger picture message and starts working it (downloading the picture);
    B is killed with SIGKILL meanwhile; once B's claim on the body is gone (its transaction
    rolled back with its connection, or at the latest its 30 s lease ended), A works it: the
    desktop on A gets the message once, with the relay's copy of the picture."""
    photo = _jpeg()
    meta_api.cdn_gate = threading.Event()
    url = meta_api.host("photo1.jpg", photo)
    picture = {"type": "image", "payload": {"url": url}}
    body = webhook("page", PAGE, user_message(PSID, PAGE, "m_pic", attachments=[picture]))

    async def go() -> None:
        desk, _ = await clients.desktop(cluster.a, cluster.token)
        _post(meta_api, cluster, cluster.b, body)
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, meta_api.cdn_asked.wait, 20)
        await loop.run_in_executor(None, cluster.b.kill)
        assert meta_api.cdn_gate is not None
        meta_api.cdn_gate.set()  # B's download ends with nobody to read it
        await until(lambda: ("photo1.jpg", 200) in meta_api.fetched, timeout=20)
        meta_api.host("photo1.jpg", photo)  # (the stand-in's URLs serve one GET)
        got = await desk.recv_type(p.Inbound, 60)
        assert got.message.id == message_id("m_pic")
        assert isinstance(got.message.body, p.Image) and got.message.body.width == 40
        await desk.nothing(6.0, ignore=(p.Profile,))  # (A's next look at the inbox: 5 s)
        await desk.close()

    arun(go())


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()
