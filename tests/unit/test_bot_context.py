"""Per-conversation bot context: stored in bot_contexts, merged message by message, with a TTL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from minichat_desktop.domain.bot import context as ctxmod
from minichat_desktop.domain.bot.context import ConversationContext
from minichat_desktop.domain.bot.nlu import Classification
from minichat_desktop.domain.conversations import conversations
from minichat_desktop.domain.models import BotContext, Conversation
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


def conversation(db: Database, ref: str = "widget:shopper0001") -> int:
    with db.write() as s:
        inbound = conversations.record_inbound(
            s, ref, {"id": f"m-{ref}", "kind": "text", "text": "สวัสดีค่ะ"}, at=T0
        )
        assert inbound is not None
        return inbound.conversation.id


def said(intent: str, **entities: object) -> Classification:
    return Classification(intent, 0.9, dict(entities))


def product(pid: int) -> dict[str, object]:
    return {"product_id": pid, "sku": f"P-{pid}", "name": f"p{pid}", "score": 0.9}


def test_a_new_conversation_starts_browsing_with_nothing_remembered(db: Database) -> None:
    cid = conversation(db)
    with db.read() as s:
        ctx = ctxmod.load_context(s, cid, T0)
    assert ctx == ConversationContext(cid)
    assert (ctx.stage, ctx.interested_products, ctx.preferences) == ("browsing", (), {})


def test_messages_merge_into_the_stored_context(db: Database) -> None:
    cid = conversation(db)
    with db.write() as s:
        ctxmod.remember(s, cid, said("greeting"), T0)
        ctxmod.remember(
            s, cid, said("product_inquiry", product=[product(7)], color="แดง", size="M"), T0
        )
        ctxmod.remember(
            s,
            cid,
            said("price_check", product=[product(3), product(7)], price_max=50_000),
            T0 + dt.timedelta(minutes=1),
        )
        ctxmod.remember(
            s, cid, said("provide_info", phone="0812345678"), T0 + dt.timedelta(minutes=2)
        )
    with db.read() as s:
        ctx = ctxmod.load_context(s, cid, T0 + dt.timedelta(minutes=3))
        row = s.get(BotContext, cid)
        assert row is not None and row.stage == "considering"
    assert ctx.interested_products == (3, 7)
    assert ctx.focus == (3, 7)
    assert (ctx.price_min, ctx.price_max) == (None, 50_000)
    assert ctx.preferences == {"color": "แดง", "size": "M"}
    assert ctx.customer == {"phone": "0812345678"}
    assert (ctx.last_intent, ctx.message_count) == ("provide_info", 4)
    assert ctx.expires_at == T0 + dt.timedelta(minutes=2 + 30)


def test_context_expires_after_the_ttl(db: Database) -> None:
    cid = conversation(db)
    with db.write() as s:
        ctxmod.remember(s, cid, said("product_inquiry", color="ดำ"), T0)
    with db.write() as s:
        assert ctxmod.load_context(s, cid, T0 + dt.timedelta(minutes=29)).color == "ดำ"
        fresh = ctxmod.load_context(s, cid, T0 + dt.timedelta(minutes=30))
    assert fresh == ConversationContext(cid)
    with db.read() as s:
        assert s.get(BotContext, cid) is None  # the expired row is gone


def test_ttl_comes_from_the_setting(db: Database) -> None:
    cid = conversation(db)
    with db.write() as s:
        assert ctxmod.ttl_minutes(s) == 30
        ctxmod.set_ttl_minutes(s, 5)
        saved = ctxmod.remember(s, cid, said("greeting"), T0)
    assert saved.expires_at == T0 + dt.timedelta(minutes=5)
    with db.read() as s:
        assert ctxmod.load_context(s, cid, T0 + dt.timedelta(minutes=6)).message_count == 0


@pytest.mark.parametrize("bad", [0, -5, 24 * 60 + 1, 2.5, "30", True])
def test_a_bad_ttl_is_refused(db: Database, bad: object) -> None:
    with db.write() as s, pytest.raises(UserError) as err:
        ctxmod.set_ttl_minutes(s, bad)  # type: ignore[arg-type]
    assert err.value.code == "bot.bad_ttl"


def test_price_bounds_merge(db: Database) -> None:
    ctx = ConversationContext(1)
    ctx = ctx.merged(said("product_inquiry", price_min=30_000, price_max=50_000))
    assert (ctx.price_min, ctx.price_max) == (30_000, 50_000)
    ctx = ctx.merged(said("product_inquiry", price_max=40_000))
    assert (ctx.price_min, ctx.price_max) == (30_000, 40_000)
    ctx = ctx.merged(said("product_inquiry", price_max=20_000))  # below the old minimum
    assert (ctx.price_min, ctx.price_max) == (None, 20_000)
    ctx = ctx.merged(said("product_inquiry", price_min=100_000))
    assert (ctx.price_min, ctx.price_max) == (100_000, None)


def test_stage_moves_forward_only_until_a_new_sale() -> None:
    ctx = ConversationContext(1)
    steps = [
        (said("greeting"), "browsing"),
        (said("product_inquiry", color="แดง"), "considering"),
        (said("make_purchase", quantity=2), "ready_to_buy"),
        (said("general_question"), "ready_to_buy"),
        (said("product_inquiry"), "ready_to_buy"),
    ]
    for c, stage in steps:
        ctx = ctx.merged(c)
        assert ctx.stage == stage
    done = ConversationContext(1, stage="purchased")
    assert done.merged(said("goodbye")).stage == "purchased"
    assert done.merged(said("product_inquiry", product=[product(2)])).stage == "considering"


def test_interested_products_keep_the_ten_latest() -> None:
    ctx = ConversationContext(1)
    for pid in range(1, 13):
        ctx = ctx.merged(said("product_inquiry", product=[product(pid)]))
    assert ctx.interested_products == tuple(range(12, 2, -1))


def test_set_stage_and_forget(db: Database) -> None:
    cid = conversation(db)
    with db.write() as s:
        assert ctxmod.set_stage(s, cid, "purchased", T0).stage == "purchased"
        with pytest.raises(ValueError, match="unknown stage"):
            ctxmod.set_stage(s, cid, "paid", T0)
    with db.write() as s:
        assert ctxmod.load_context(s, cid, T0).stage == "purchased"
        ctxmod.forget(s, cid)
    with db.read() as s:
        assert ctxmod.load_context(s, cid, T0).stage == "browsing"


def test_purge_expired_removes_only_expired(db: Database) -> None:
    old, new = conversation(db, "widget:shopper0001"), conversation(db, "widget:shopper0002")
    with db.write() as s:
        ctxmod.remember(s, old, said("greeting"), T0)
        ctxmod.remember(s, new, said("greeting"), T0 + dt.timedelta(minutes=20))
    with db.write() as s:
        assert ctxmod.purge_expired(s, T0 + dt.timedelta(minutes=40)) == 1
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(BotContext)) == 1
        assert s.get(BotContext, new) is not None


def test_context_goes_with_its_conversation(db: Database) -> None:
    """The row references the conversation (ON DELETE CASCADE)."""
    cid = conversation(db)
    with db.write() as s:
        ctxmod.remember(s, cid, said("greeting"), T0)
    with db.write() as s:
        conv = s.get(Conversation, cid)
        assert conv is not None
        s.delete(conv)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(BotContext)) == 0
