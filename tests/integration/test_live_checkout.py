"""A live cart's checkout button, tapped in the commenter's chat: the bot runner turns the cart
into an order for that conversation (stock passes from the cart to the order, none freed in
between) and answers with the PromptPay QR — with the bot switched off too, as the private
reply promised it. A second tap finds nothing left to check out."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from support.bot_shop import make_shop

from minichat_desktop.app import live
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.live.selling import Comment, PickedProduct
from minichat_desktop.domain.models import LiveCart, Order, OutboxItem, ProductVariant
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.bot_runner import BotRunner

REF = "widget:livebuyer0001"
NOW = dt.datetime(2026, 12, 6, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
async def runner(db: Database, tmp_path: Path) -> AsyncIterator[BotRunner]:
    r = BotRunner(db, relay_url=lambda: "http://127.0.0.1:9", token=lambda: None, data_dir=tmp_path)
    yield r
    await r.stop()


def _stock(db: Database, vid: int) -> int:
    with db.read() as s:
        return int(s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) or 0)


async def _tap(db: Database, runner: BotRunner, data: str, n: int) -> list[str]:
    message = {"id": f"tap-{n}", "kind": "postback", "data": data}
    with db.write() as s:
        rec = convs.record_inbound(s, REF, message, NOW)
        assert rec is not None
        conv = rec.conversation.id
    replies = await runner.handle(conv, message)
    return [str(getattr(r.body, "text", "") or r.caption or "") for r in replies]


async def test_checkout_button_places_the_order_and_answers_with_the_qr(
    db: Database, runner: BotRunner
) -> None:
    ids = make_shop(db)  # the bot stays off
    before = _stock(db, ids.mug)
    live_id = live.start_live(db, "", [PickedProduct("C1", ids.mug)], 60, "owner")
    live.record_comment(db, live_id, Comment("cm1", "fb77", "คุณแพร", "CF C1 2", NOW))
    with db.read() as s:
        frame = s.scalars(select(OutboxItem.frame)).one()
    data = frame["message"]["buttons"][0]["data"]
    assert data == f"live:{live_id}:checkout:fb77"
    assert _stock(db, ids.mug) == before - 2

    said = await _tap(db, runner, data, 1)
    assert any(t.startswith("สแกนจ่ายพร้อมเพย์ ฿") for t in said), said
    with db.read() as s:
        order = s.scalars(select(Order)).one()
        cart = s.scalars(select(LiveCart)).one()
        assert (order.conversation_ref, order.customer_name) == (REF, "คุณแพร")
        assert (cart.status, cart.order_id) == ("ordered", order.id)
    assert _stock(db, ids.mug) == before - 2  # held by the order now, not twice

    again = await _tap(db, runner, data, 2)
    assert again == [
        "ตะกร้าไลฟ์นี้ไม่มีสินค้าที่จองไว้แล้วค่ะ (ชำระไปแล้ว หรือหมดเวลาจอง) — พิมพ์ CF ในไลฟ์ถัดไปได้เลย"
    ]
    with db.read() as s:
        assert len(s.scalars(select(Order)).all()) == 1
