"""A broadcast through a real relay process: widget shoppers on real WebSockets, LINE users
through a local server that speaks LINE's push and quota API; opted-out shoppers get
nothing, and the quota the relay reports is what the broadcast is checked against."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from support.relay_proc import Relay, add_shop, line_env, relay_cli
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p

SECRET = "channel-secret-broadcast-0123456"
TOKEN = "channel-token-broadcast"
LINE_USERS = [f"U{i:032x}" for i in (0xA1, 0xA2, 0xA3)]


class LineStandIn:
    """api.line.me on 127.0.0.1: takes pushes (recording them and their retry keys) and
    answers the quota and consumption endpoints from what it has accepted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pushes: list[dict[str, Any]] = []
        self.retry_keys: set[str] = set()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_get("/v2/bot/message/quota", self._quota)
        app.router.add_get("/v2/bot/message/quota/consumption", self._consumption)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def _push(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"message": "Authentication failed"}, status=401)
        key = request.headers.get("X-Line-Retry-Key", "")
        if key in self.retry_keys:
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        if len(self.pushes) >= self.limit:
            return web.json_response({"message": "You have reached your monthly limit."}, 429)
        body = json.loads(await request.read())
        texts = [m.get("text") for m in body.get("messages", [])]
        if "ห้ามส่ง" in texts:  # LINE's 400, naming the message it refuses
            i = texts.index("ห้ามส่ง")
            return web.json_response(
                {
                    "message": "The request body has 1 error(s)",
                    "details": [{"message": "Not allowed here", "property": f"messages[{i}].text"}],
                },
                status=400,
            )
        self.retry_keys.add(key)
        self.pushes.append(json.loads(await request.read()))
        return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    async def _reply(self, request: web.Request) -> web.Response:
        return web.json_response({"message": "Invalid reply token"}, status=400)

    async def _quota(self, request: web.Request) -> web.Response:
        return web.json_response({"type": "limited", "value": self.limit})

    async def _consumption(self, request: web.Request) -> web.Response:
        return web.json_response({"totalUsage": len(self.pushes)})


class Events:
    def __init__(self) -> None:
        self.online = asyncio.Event()
        self.quotas: list[p.LineQuota] = []

    def status_changed(self, status: Any) -> None:
        if status.state.value == "online":
            self.online.set()

    def messages_stored(self, stored: Any) -> None:
        pass

    def conversations_changed(self, ids: Any) -> None:
        pass

    def welcomed(self, welcome: Any) -> None:
        pass

    def line_quota(self, quota: p.LineQuota) -> None:
        self.quotas.append(quota)

    def shopper_typing(self, conversation: str, state: bool) -> None:
        pass

    def caught_up(self, sent: tuple[str, ...]) -> None:
        pass


@pytest.fixture
async def line() -> AsyncIterator[LineStandIn]:
    stand_in = LineStandIn(limit=3)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
def relay(tmp_path: Path, line: LineStandIn) -> Any:
    folder = tmp_path / "relay"
    folder.mkdir()
    env = {"MINICHAT_LINE_API_BASE": line.url}
    r = Relay(folder, [], env)
    shop_id, token = add_shop(folder, "ร้านบรอดแคสต์")
    res = relay_cli(folder, "shops", "line", shop_id, env={**env, **line_env(SECRET, TOKEN)})
    assert res.returncode == 0, res.stderr
    r.start()
    yield r, shop_id, token
    if r.proc is not None:
        r.stop()
    assert "Traceback" not in r.log(), r.log()[-3000:]


async def test_broadcast_reaches_widget_and_line_and_skips_opt_outs(
    relay: Any, line: LineStandIn, db: Database
) -> None:
    r, shop_id, token = relay
    events = Events()
    client = RelayClient(db, r.url, lambda: token, events, backoff_base=0.05, bot=False)
    task = asyncio.create_task(client.run())
    shoppers = [Shopper(r, shop_id) for _ in range(3)]
    try:
        await asyncio.wait_for(events.online.wait(), 10)
        # Three widget shoppers write in; the third opts out of broadcasts.
        for i, shopper in enumerate(shoppers):
            await shopper.connect()
            await shopper.say(f"w{i}", "สวัสดีค่ะ")

        def stored(n: int) -> bool:
            with db.read() as s:
                return len(convs.list_conversations(s)) >= n

        await until(lambda: stored(3), timeout=10)
        now = dt.datetime.now(dt.UTC)
        with db.write() as s:
            views = {v.ref: v for v in convs.list_conversations(s)}
            opted = views[shoppers[2].conversation].customer_id
            assert opted is not None
            customers.update_customer(s, opted, "owner", opted_out=True)
            # Three LINE friends (their chats came in earlier through the webhook).
            for i, user in enumerate(LINE_USERS):
                convs.record_inbound(
                    s,
                    f"line:{user}",
                    {"id": f"l{i}", "kind": "text", "text": "ดีค่ะ"},
                    now - dt.timedelta(hours=2 + i),
                )
            shirt = catalog.save_product(
                s,
                ProductInput(sku="TS1", name_th="เสื้อยืดสีแดง", price_satang=25900, stock=4),
                "owner",
            ).id
        # The shop asks the relay for its quota; LINE says 3 a month, 1 already used.
        line.pushes.append({"to": "earlier", "messages": []})
        assert await client.send_live(p.GetLineQuota("q-1"))
        await until(lambda: bool(events.quotas), timeout=10)
        with db.write() as s:
            quota = bc.line_quota(s)
            assert quota is not None and (quota.used, quota.limit) == (1, 3)
            pre = bc.preview_audience(s, Audience(), now)
            assert (pre.widget, pre.line, pre.opted_out, pre.over_quota) == (2, 3, 1, 1)
            b = bc.create_broadcast(
                s, "owner", title="โปรปลายเดือน", text="ลดทั้งร้าน 20% ค่ะ", product_ids=[shirt]
            )
            bc.send_now(s, b.id, "owner", now)
            report = bc.send_due(s, now)
            assert report.queued == 4  # two widget shoppers, two LINE friends (quota left: 2)
        client.wake()
        for shopper in shoppers[:2]:
            got = await shopper.next_message(10)
            assert (got["kind"], got["text"]) == ("carousel", "ลดทั้งร้าน 20% ค่ะ")
            assert got["cards"][0]["title"] == "เสื้อยืดสีแดง"
        # the opted-out shopper gets nothing
        with pytest.raises(TimeoutError):
            await shoppers[2].next_message(0.8)
        await until(lambda: len(line.pushes) == 3, timeout=10)
        pushed = [push["to"] for push in line.pushes[1:]]
        assert sorted(pushed) == sorted(LINE_USERS[:2])  # the two most recent LINE chats
        flex = line.pushes[1]["messages"]
        assert any(m["type"] == "flex" for m in flex)

        def result() -> dict[str, int]:
            with db.read() as s:
                return bc.results(s, b.id).counts

        # widget: delivered (the shopper acked); LINE: sent (LINE accepted the push)
        await until(lambda: result() == {"delivered": 2, "sent": 2, "skipped": 2}, timeout=10)
        with db.read() as s:
            res = bc.results(s, b.id)
        skipped = sorted(r.detail for r in res.recipients if r.status == "skipped")
        assert skipped == ["line_quota", "opted_out"]
    finally:
        for shopper in shoppers:
            await shopper.close()
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_a_message_line_refuses_tells_the_owner_why(
    relay: Any, line: LineStandIn, db: Database
) -> None:
    """LINE refuses a push (400 naming the message): the desktop's message turns failed and
    the owner gets a notification carrying LINE's own words, once."""
    from minichat_desktop.domain.activity import notifications

    r, _shop_id, token = relay
    events = Events()
    client = RelayClient(db, r.url, lambda: token, events, backoff_base=0.05, bot=False)
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(events.online.wait(), 10)
        with db.write() as s:
            conv = convs.record_inbound(
                s,
                f"line:{LINE_USERS[0]}",
                {"id": "l0", "kind": "text", "text": "ดีค่ะ"},
                dt.datetime.now(dt.UTC),
            )
            conv_id = conv.conversation.id
            bad = convs.send_text(s, conv_id, "ห้ามส่ง", "owner")
        client.wake()

        def state() -> str:
            with db.read() as s:
                return {m.uid: m.state for m in convs.messages(s, conv_id, limit=5)}[bad.uid]

        await until(lambda: state() == "failed", timeout=15)
        with db.read() as s:
            notes = [
                n
                for n in notifications.list_notifications(s)
                if n.kind == notifications.NotificationKind.MESSAGE_FAILED
            ]
        assert len(notes) == 1
        assert (notes[0].title, notes[0].title_en) == ("ส่งข้อความไม่สำเร็จ", "Message not sent")
        assert "LINE" in notes[0].body and "Not allowed here" in notes[0].body
        assert notes[0].ref == f"conversation:{conv_id}"
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)
