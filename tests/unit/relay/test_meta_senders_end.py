"""A Messenger conversation's sender ends once its outbox is empty, and leaves nothing behind:
the relay used to keep one wake-up event per conversation it ever sent to, for as long as it
ran. The relay runs in this process (its Hub on a real port 0 socket, a real SQLite file),
Meta's Send API is a local server speaking its wire format (support.fake_meta), the shoppers
write through signed webhooks and the desktop is a real WebSocket client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from support.fake_meta import APP_SECRET, FakeMeta, user_message, webhook
from support.relay_inproc import InProcessRelay, desktop_socket
from support.waiting import until

from relay import protocol as p
from relay.meta_store import MetaCredentials

PAGE = "1122334455"
TOKEN = "page-token-1"
SHOPPERS = [f"22334455667{i:05d}" for i in range(40)]


@pytest.fixture
def meta_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMeta]:
    fake = FakeMeta(TOKEN)
    monkeypatch.setenv("MINICHAT_META_API_BASE", fake.url)  # (read at each request)
    yield fake
    fake.close()


async def test_senders_end_and_forget_their_conversations(
    meta_api: FakeMeta, relay: InProcessRelay
) -> None:
    hub = relay.hub
    hub.meta.store.set_credentials(relay.shop_id, MetaCredentials(APP_SECRET, TOKEN, "verify"))
    hub.store.commit()
    hub.meta.start()  # (the relay's serve starts it: its inbox worker and housekeeping)
    endpoint = f"{relay.http}/meta/{relay.shop_id}/webhook"
    # each shopper writes first (Meta's window opens): one webhook, as Meta batches them
    items = [
        user_message(psid, PAGE, f"m.in-{i}", text="มีเสื้อสีแดงไหมคะ 👕")
        for i, psid in enumerate(SHOPPERS)
    ]
    status, _ = await asyncio.to_thread(
        meta_api.post_webhook, endpoint, webhook("page", PAGE, *items), APP_SECRET
    )
    assert status == 200
    # (this desktop reads none of its stream: no receive limit, or its close would wait)
    desk, _ = await desktop_socket(relay, ride=False, max_queue=None)
    try:
        for i, psid in enumerate(SHOPPERS):
            reply = p.Message(f"r-{i}", p.Text(f"มีค่ะ ตัวที่ {i} 🙂"))
            await desk.send(p.encode(p.Send(f"messenger:{psid}", reply)))
        await until(lambda: len(meta_api.delivered()) == len(SHOPPERS), 30)
        await until(lambda: not hub.meta._senders, 10)
        assert hub.meta._send_wake == {}  # (the old relay: one event per conversation)
        got = {m["recipient"]["id"]: m["message"]["text"] for m in meta_api.delivered()}
        assert got == {psid: f"มีค่ะ ตัวที่ {i} 🙂" for i, psid in enumerate(SHOPPERS)}
        # a later reply to one of them starts a new sender, which is sent and ends too
        again = p.Message("r-again", p.Text("ส่งแล้วค่ะ"))
        await desk.send(p.encode(p.Send(f"messenger:{SHOPPERS[7]}", again)))
        await until(lambda: len(meta_api.delivered()) == len(SHOPPERS) + 1, 30)
        last = meta_api.delivered()[-1]
        assert (last["recipient"]["id"], last["message"]["text"]) == (SHOPPERS[7], "ส่งแล้วค่ะ")
        await until(lambda: not hub.meta._senders and not hub.meta._send_wake, 10)
    finally:
        await desk.close()
