"""A live cart's checkout button, tapped in the commenter's chat: the bot runner asks the bot
checkout's questions and, on confirm, turns the cart into an order for that conversation with
the delivery details (stock passes from the cart to the order, none freed in between) and
answers with the PromptPay QR — with the bot switched off too, as the private reply promised
it. A second tap finds nothing left to check out."""

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
from minichat_desktop.domain.models import Conversation, LiveCart, Order, OutboxItem, ProductVariant
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


async def _tap(
    db: Database, runner: BotRunner, data: str, n: int, kind: str = "postback"
) -> list[str]:
    message = {"id": f"tap-{n}", "kind": kind, "data" if kind == "postback" else "text": data}
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

    assert await _tap(db, runner, data, 1) == ["ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"]
    answers = ("คุณแพร ใจดี", "0812345678", "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110")
    for n, answer in enumerate(answers, start=2):
        await _tap(db, runner, answer, n, kind="text")
    await _tap(db, runner, "ship:kerry", 5)
    await _tap(db, runner, "pay:transfer", 6)
    assert _stock(db, ids.mug) == before - 2  # still the cart's, while the shopper answers
    said = await _tap(db, runner, "checkout:confirm", 7)
    # the relay is unreachable here: the QR goes as its caption
    assert any(t.startswith("สแกนจ่ายพร้อมเพย์ ฿351 ") for t in said), said
    with db.read() as s:
        order = s.scalars(select(Order)).one()
        cart = s.scalars(select(LiveCart)).one()
        assert (order.conversation_ref, order.customer_name) == (REF, "คุณแพร ใจดี")
        assert (order.shipping_satang, order.total_satang) == (5_000, 35_100)
        assert (cart.status, cart.order_id) == ("ordered", order.id)
    assert _stock(db, ids.mug) == before - 2  # held by the order now, not twice

    again = await _tap(db, runner, data, 8)
    assert again == [
        "ตะกร้าไลฟ์นี้ไม่มีสินค้าที่จองไว้แล้วค่ะ (ชำระไปแล้ว หรือหมดเวลาจอง) — พิมพ์ CF ในไลฟ์ถัดไปได้เลย"
    ]
    with db.read() as s:
        assert len(s.scalars(select(Order)).all()) == 1


async def test_a_chat_the_owner_took_over_is_not_answered_by_the_checkout(
    db: Database, runner: BotRunner
) -> None:
    """The owner takes the chat over in the middle of the live checkout: the shopper's
    answers get nothing automatic (the owner answers); handed back, the checkout goes on at
    the question it was waiting on."""
    ids = make_shop(db)
    live_id = live.start_live(db, "", [PickedProduct("C1", ids.mug)], 60, "owner")
    live.record_comment(db, live_id, Comment("cm1", "fb77", "คุณแพร", "CF C1", NOW))
    data = f"live:{live_id}:checkout:fb77"
    assert await _tap(db, runner, data, 1) == ["ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"]
    with db.write() as s:
        cid = s.scalars(select(Conversation.id).where(Conversation.ref == REF)).one()
        convs.take_over(s, cid, "เจ้าของร้าน")
    assert await _tap(db, runner, "คุณแพร ใจดี", 2, kind="text") == []
    with db.write() as s:
        convs.end_session(s, cid, "เจ้าของร้าน")
    assert await _tap(db, runner, "คุณแพร ใจดี", 3, kind="text") == [
        "ขอเบอร์มือถือผู้รับค่ะ (เช่น 0812345678)"
    ]
