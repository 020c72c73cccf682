"""A slip through the bot end to end: a real relay process, the desktop's relay client with
its bot, a widget shopper uploading a generated slip picture. The bot fetches it, reads its QR
off the UI thread, records the check on the order, tells the owner what it found (a transfer
already used for another order, named) and answers the shopper without accusing anyone."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from support.bot_shop import make_shop
from support.recorder import Recorder
from support.shopper import Shopper
from support.slip_services import FakeSlipOK, Slip
from support.slips import KBANK_QR, add_noise, encode, slip_screen
from support.waiting import until

from minichat_desktop.app import slip_verify
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.models import Channel, PaymentMethod, SlipCheck
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.shop import put_setting
from minichat_desktop.secrets import Secrets, slip_key
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p


def _order(db: Database, ref: str) -> orders.OrderView:
    with db.write() as s:
        return orders.place_order(
            s,
            NewOrder(
                channel=Channel.WIDGET,
                lines=[LineInput(quantity=1, sku="MUG")],
                payment_method=PaymentMethod.BANK_TRANSFER,
                customer_name="สมหญิง ใจดี",
                conversation_ref=ref,
            ),
            "bot",
        )


async def _send_picture(relay: Any, shopper: Shopper, uid: str, data: bytes, mime: str) -> None:
    r, shop_id, _ = relay
    async with httpx.AsyncClient() as http:
        up = await http.post(
            f"{r.url}/widget/{shop_id}/upload",
            content=data,
            headers={"Authorization": f"Bearer {shopper.session}", "Content-Type": mime},
        )
    assert up.status_code == 201, up.text
    media_id = up.json()["media_id"]
    await shopper.ws.send(p.encode(p.WidgetSend(p.Message(uid, p.Image(media_id, mime=mime)))))


async def _shopper_says_paid(
    db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> str:
    """The demo shop with its bot on; a shopper says they paid and is asked for the slip.
    Returns the chat's ref."""
    _client, rec = desktop
    make_shop(db)
    with db.write() as s:
        put_setting(s, ENABLED_KEY, True)
    await shopper.say("w-1", "โอนแล้วค่ะ")
    await until(lambda: len(rec.stored) == 1)
    asked = await shopper.next_message(timeout=15)
    assert "สลิป" in asked["text"]
    return rec.stored[0].conversation.ref


async def test_a_reused_slip_is_read_flagged_to_the_owner_and_answered_neutrally(
    relay: Any, db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> None:
    """The shopper's slip carries a transfer already attached to another order: the order
    gets the slip with check 'reused' naming that order, the owner's notification says so,
    and the shopper is only thanked."""
    ref = await _shopper_says_paid(db, desktop, shopper)
    earlier = _order(db, "line:Uother")
    with db.write() as s:  # the same transfer, sent earlier for another shopper's order
        orders.attach_slip(s, earlier.id, "media/slips/old.jpg", "bot", payloads=(KBANK_QR,))
    order = _order(db, ref)

    picture = encode(add_noise(slip_screen(KBANK_QR), 3), "JPEG", quality=80)
    await _send_picture(relay, shopper, "w-2", picture, "image/jpeg")
    thanks = await shopper.next_message(timeout=15)
    assert thanks["text"] == (
        f"ได้รับสลิปของออเดอร์ {order.number} แล้วค่ะ ทางร้านจะตรวจสอบและยืนยันให้เร็วที่สุดนะคะ 🙏"
    )

    with db.read() as s:
        after = orders.get_order(s, order.id)
        (note,) = notifications.list_notifications(s, limit=1)
    check = after.slip_check
    assert check is not None
    assert (check.check, check.bank_code, check.trans_ref, check.reused_order_number) == (
        SlipCheck.REUSED,
        "004",
        "016340141523ATF05798",
        earlier.number,
    )
    assert check.sha256 == hashlib.sha256(picture).hexdigest()
    assert (db.path.parent / after.slip_path).read_bytes() == picture
    assert after.payment_status == "pending"  # nothing is paid without the owner
    assert note.title == f"สลิปโอนเงิน ออเดอร์ {order.number}"
    assert note.body == (
        f"⚠ สลิปนี้เคยใช้กับออเดอร์ {earlier.number} — ตรวจก่อนยืนยัน · สมหญิง ใจดี · ฿150.50"
    )


async def test_a_slip_the_bank_confirms_pays_the_order_when_the_owner_allowed_it(
    relay: Any, db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> None:
    """With an online check set up (SlipOK's stand-in) and "confirm automatically" on, the
    slip's transfer for exactly the amount due to the shop's account pays the order: the check
    is kept on the slip, the reference is the bank's, and the shopper is told after the thanks."""
    order = _order(db, await _shopper_says_paid(db, desktop, shopper))
    service = FakeSlipOK("sk-test-0001")
    service.add(
        Slip(KBANK_QR, "016340141523ATF05798", Decimal(order.total_satang) / 100,
             dt.datetime.now(dt.UTC), receiver_account="xxx-x-x6789-x")
    )  # fmt: skip
    await service.start()
    try:
        Secrets(Path(db.path).parent).set(slip_key("slipok"), "sk-test-0001")
        with db.write() as s:
            slip_verify.save_settings(
                s, "slipok", branch_id="12345", base_url=service.base_url, auto_confirm=True
            )
        picture = encode(add_noise(slip_screen(KBANK_QR), 3), "JPEG", quality=80)
        await _send_picture(relay, shopper, "w-2", picture, "image/jpeg")
        thanks = await shopper.next_message(timeout=15)
        assert thanks["text"].startswith(f"ได้รับสลิปของออเดอร์ {order.number}")
        told = await shopper.next_message(timeout=15)
        assert told["text"].startswith(f"ได้รับชำระเงินออเดอร์ {order.number}")
    finally:
        await service.stop()
    with db.read() as s:
        paid = orders.get_order(s, order.id)
    assert (paid.payment_status, paid.payment_ref) == ("paid", "016340141523ATF05798")
    assert paid.slip_check is not None and paid.slip_check.verify_status == "passed"
    assert [e.actor for e in paid.timeline if e.kind == "payment"] == [slip_verify.AUTO_ACTOR]
