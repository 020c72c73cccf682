"""The sales bot sells on Messenger as it does on the widget and LINE: a relay process with the
shop's Facebook Page set up, Meta as a local server (support.fake_meta) that posts signed
webhooks and checks every Send API body against Meta's shapes and limits, the desktop's relay
link with the bot on a real SQLite file. From a product question to the product card (a
generic template), the cart, the checkout's questions answered with text and quick replies,
the order, and the PromptPay QR as an image whose code is the order's exact amount."""

from __future__ import annotations

import io
import urllib.request
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from support.bot_shop import PROMPTPAY_ID, make_shop
from support.fake_meta import APP_SECRET, FakeMeta, user_message, webhook
from support.recorder import Recorder
from support.relay_proc import Relay
from support.waiting import until

from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import put_setting
from minichat_desktop.domain.thai import satang_to_decimal
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient

PAGE = "1122334455"
PSID = "2233445566778899"
SECRET = APP_SECRET


@pytest.fixture
def relay(meta_relay: tuple[Relay, str, str]) -> tuple[Relay, str, str]:
    """The shop's Facebook Page set up on the relay (the integration tests' ``desktop`` links
    to it)."""
    return meta_relay


class Shopper:
    """A Messenger user as Meta relays them: what they write or tap becomes a signed webhook;
    what the page sends them is read from the Send API calls Meta accepted."""

    def __init__(self, relay: Any, meta_api: FakeMeta) -> None:
        r, shop_id, _ = relay
        self.endpoint = f"{r.url}/meta/{shop_id}/webhook"
        self.meta = meta_api
        self.seen = 0
        self.n = 0

    def _post(self, item: dict[str, Any]) -> None:
        assert self.meta.post_webhook(self.endpoint, webhook("page", PAGE, item), SECRET)[0] == 200

    def say(self, text: str) -> None:
        self.n += 1
        self._post(user_message(PSID, PAGE, f"m_{self.n}", text=text))

    def quick_reply(self, label: str, payload: str) -> None:
        self.n += 1
        self._post(
            user_message(PSID, PAGE, f"m_{self.n}", text=label, quick_reply={"payload": payload})
        )

    def tap(self, title: str, payload: str) -> None:
        self.n += 1
        item = user_message(PSID, PAGE, "unused")
        del item["message"]
        item["postback"] = {"mid": f"m_pb_{self.n}", "title": title, "payload": payload}
        self._post(item)

    def _to_me(self) -> list[dict[str, Any]]:
        return [
            b["message"]
            for b in self.meta.delivered()
            if "message" in b and b["recipient"] == {"id": PSID}
        ]

    async def replies(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` messages the page sent this shopper."""
        await until(lambda: len(self._to_me()) >= self.seen + count, timeout=30)
        got = self._to_me()[self.seen : self.seen + count]
        self.seen += count
        return got


def payloads(message: dict[str, Any]) -> list[str]:
    """Every button and quick reply payload in one Send API message."""
    found = [q["payload"] for q in message.get("quick_replies", []) if "payload" in q]
    payload = message.get("attachment", {}).get("payload", {})
    for element in payload.get("elements", []):
        found += [b["payload"] for b in element.get("buttons", []) if "payload" in b]
    found += [b["payload"] for b in payload.get("buttons", []) if "payload" in b]
    return found


def texts(messages: list[dict[str, Any]]) -> str:
    parts = [m.get("text", "") for m in messages]
    for m in messages:
        payload = m.get("attachment", {}).get("payload", {})
        parts.append(str(payload.get("text", "")))
        parts += [f"{e.get('title')} {e.get('subtitle', '')}" for e in payload.get("elements", [])]
    return "\n".join(parts)


async def test_a_messenger_shopper_buys_through_the_bot_and_gets_the_exact_qr(
    relay: Any, db: Database, desktop: tuple[RelayClient, Recorder], meta_api: FakeMeta
) -> None:
    client, _rec = desktop
    with db.write() as s:
        put_setting(s, ENABLED_KEY, True)
    # The bot has built its catalog matcher (on connecting) before the products exist: they
    # are found at once all the same (the database tells the bot the catalog changed).
    assert client.bot is not None
    client.bot.warm()  # (the link starts it after a welcome; whoever comes first starts it)
    await client.bot.warmed()
    ids = make_shop(db)
    shopper = Shopper(relay, meta_api)

    shopper.say("มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
    answer, card = await shopper.replies(2)
    assert "ราคา ฿290 " in answer["text"]
    [element] = card["attachment"]["payload"]["elements"][:1]
    assert element["title"] == "เสื้อยืดคอกลม" and "฿290" in element.get("subtitle", "")

    shopper.tap("ใส่ตะกร้า", f"cart:add:{ids.tee_red_m}:2")
    added, cart = await shopper.replies(2)
    assert "checkout:start" in payloads(cart) and "฿580" in texts([added, cart])

    shopper.tap("สั่งซื้อเลย", "checkout:start")
    assert (await shopper.replies(1))[0]["text"] == "ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"
    shopper.say("สมหญิง ใจดี")
    await shopper.replies(1)
    shopper.say("0812345678")
    await shopper.replies(1)
    shopper.say("99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110")
    (shipping,) = await shopper.replies(1)
    assert "ship:kerry" in payloads(shipping)
    shopper.quick_reply("Kerry", "ship:kerry")
    (paying,) = await shopper.replies(1)
    assert "pay:transfer" in payloads(paying)
    shopper.quick_reply("โอน / พร้อมเพย์", "pay:transfer")
    summary = await shopper.replies(2)
    assert "checkout:confirm" in payloads(summary[-1]) and "฿630" in texts(summary)
    shopper.tap("ยืนยันสั่งซื้อ", "checkout:confirm")
    # Meta's image messages have no caption: the caption follows as a text
    placed, qr, caption, banks = await shopper.replies(4)

    with db.read() as s:
        (only,) = orders.list_orders(s)
        order = orders.get_order(s, only.id)
    assert order.total_satang == 63000 and order.channel == "messenger"
    assert order.number in texts([placed])
    image = qr["attachment"]
    assert image["type"] == "image"
    with urllib.request.urlopen(image["payload"]["url"], timeout=10) as resp:
        picture = resp.read()
    payload = promptpay_payload(PROMPTPAY_ID, satang_to_decimal(order.total_satang))
    with Image.open(io.BytesIO(picture)) as card_image:  # the Thai QR Payment card
        assert [r.text for r in zxingcpp.read_barcodes(card_image)] == [payload]
    assert "฿630" in caption["text"] and "123-4-56789-0" in texts([banks])
    # every call Meta got had its documented shape: the stand-in records what it refused
    assert all(
        b.get("messaging_type") == "RESPONSE" for b in meta_api.delivered() if "message" in b
    )
