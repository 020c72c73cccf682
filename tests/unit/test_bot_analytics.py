"""The sales bot records what shoppers do for the analytics: products shown on cards, items
added to the cart, checkouts started — in the transaction that answers, so a rolled-back
answer leaves no event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.bot_shop import NOW, BotShop, make_shop, new_conversation, shopper_says

from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.engine import DialogueEngine
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.errors import OutOfStock
from minichat_desktop.storage.db import Database
from relay import protocol as p

REF = "widget:analytic0001"


@pytest.fixture
def setup(db: Database, tmp_path: Path) -> tuple[DialogueEngine, int, BotShop]:
    return DialogueEngine(tmp_path / "media"), new_conversation(db, REF), make_shop(db)


def _answer(db: Database, engine: DialogueEngine, conv: int, msg: dict[str, Any]) -> list[Outgoing]:
    with db.write() as s:
        return engine.answer(s, conv, msg, NOW)


def _events(db: Database, kind: str) -> list[analytics.EventView]:
    with db.read() as s:
        return analytics.events(s, kind=kind)


def _shown(out: list[Outgoing]) -> list[int]:
    ids: list[int] = []
    for o in out:
        if isinstance(o.body, p.ProductCard):
            ids.append(int(o.body.card.product_id))
        elif isinstance(o.body, p.Carousel):
            ids.extend(int(c.product_id) for c in o.body.cards)
    return ids


def test_cards_shown_adds_and_checkout_are_recorded(
    db: Database, setup: tuple[DialogueEngine, int, BotShop]
) -> None:
    engine, conv, shop_ = setup
    _, msg = shopper_says(db, REF, "มีเสื้อยืดไหมคะ")
    out = _answer(db, engine, conv, msg)
    shown = _shown(out)
    assert shop_.tee_id in shown
    viewed = _events(db, analytics.PRODUCT_VIEWED)
    assert [(e.conversation_id, e.product_id) for e in viewed] == [(conv, pid) for pid in shown]

    _answer(db, engine, conv, {"id": "pb1", "kind": "postback", "data": f"cart:add:{shop_.mug}:2"})
    (added,) = _events(db, analytics.ADDED_TO_CART)
    assert (added.conversation_id, added.product_id) == (conv, shop_.mug_id)
    assert added.data == {"variant_id": shop_.mug, "quantity": 2}

    assert _events(db, analytics.CHECKOUT_STARTED) == []
    _answer(db, engine, conv, {"id": "pb2", "kind": "postback", "data": "checkout:start"})
    (started,) = _events(db, analytics.CHECKOUT_STARTED)
    assert started.conversation_id == conv
    assert started.data == {"goods_satang": 2 * 15050, "items": 2}


def test_an_add_refused_for_stock_records_nothing(
    db: Database, setup: tuple[DialogueEngine, int, BotShop]
) -> None:
    _engine, conv, shop_ = setup
    with pytest.raises(OutOfStock), db.write() as s:
        carts.add_item(s, conv, shop_.cap, 5)
    assert _events(db, analytics.ADDED_TO_CART) == []
    with db.write() as s:
        carts.add_item(s, conv, shop_.cap, 1)
    assert len(_events(db, analytics.ADDED_TO_CART)) == 1


def test_an_empty_cart_checkout_is_not_a_checkout(
    db: Database, setup: tuple[DialogueEngine, int, BotShop]
) -> None:
    engine, conv, _ = setup
    _answer(db, engine, conv, {"id": "pb", "kind": "postback", "data": "checkout:start"})
    assert _events(db, analytics.CHECKOUT_STARTED) == []
