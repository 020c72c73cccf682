"""Analytics events: recorded where things happen (orders placed, messages in and out), in the
same unit of work, and purged by the retention setting."""

from __future__ import annotations

import datetime as dt

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database
from relay import protocol as p

T0 = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)


def _shop(db: Database) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืด", price_satang=25_000, stock=50), "owner"
        )


def test_placing_an_order_records_order_created_with_channel_and_total(db: Database) -> None:
    _shop(db)
    with db.write() as s:
        view = orders.place_order(
            s,
            NewOrder(channel=Channel.LINE, lines=[LineInput(quantity=2, sku="P1")], created_at=T0),
            "bot",
        )
    with db.read() as s:
        found = analytics.events(s, kind=analytics.ORDER_CREATED)
    assert [(e.order_id, e.at, e.data) for e in found] == [
        (view.id, T0, {"channel": "line", "total_satang": 50_000})
    ]


def test_a_failed_order_leaves_no_event(db: Database) -> None:
    _shop(db)
    with pytest.raises(UserError), db.write() as s:
        orders.place_order(
            s, NewOrder(channel=Channel.POS, lines=[LineInput(quantity=999, sku="P1")]), "staff"
        )
    with db.read() as s:
        assert analytics.events(s) == []


def test_messages_in_and_out_are_recorded_with_the_author_role(db: Database) -> None:
    with db.write() as s:
        inbound = conversations.record_inbound(
            s, "widget:abc", {"id": "m1", "kind": "text", "text": "สวัสดีค่ะ"}, at=T0
        )
        assert inbound is not None
        cid = inbound.conversation.id
        conversations.queue_outgoing(s, cid, p.Text("สวัสดีค่ะ"), "bot", at=T0)
        conversations.queue_outgoing(s, cid, p.Text("แอดมินค่ะ"), "นุ่น", at=T0)
        # A redelivery is dropped: no second event.
        assert conversations.record_inbound(s, "widget:abc", {"id": "m1", "text": "x"}) is None
    with db.read() as s:
        found = analytics.events(s)
    assert [(e.kind, e.conversation_id, e.data.get("author")) for e in found] == [
        (analytics.MESSAGE_RECEIVED, cid, None),
        (analytics.MESSAGE_SENT, cid, "bot"),
        (analytics.MESSAGE_SENT, cid, "human"),
    ]
    assert found[0].customer_id == inbound.conversation.customer_id is not None


def test_record_refuses_an_unknown_kind(db: Database) -> None:
    with pytest.raises(ValueError, match="unknown analytics event kind 'clicked'"), db.write() as s:
        analytics.record(s, "clicked")


def test_record_and_count_other_kinds(db: Database) -> None:
    with db.write() as s:
        analytics.record(s, analytics.PRODUCT_VIEWED, at=T0, product_id=7, conversation_id=3)
        analytics.record(s, analytics.PRODUCT_VIEWED, at=T0, product_id=8, conversation_id=3)
        analytics.record(
            s, analytics.ADDED_TO_CART, at=T0, product_id=7, data={"quantity": 2, "variant_id": 9}
        )
        analytics.record(s, analytics.ADDED_TO_CART, at=T0 - dt.timedelta(days=2), product_id=7)
    with db.read() as s:
        got = analytics.counts(s, T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1))
        carts = analytics.events(s, kind=analytics.ADDED_TO_CART, since=T0)
    assert got[analytics.PRODUCT_VIEWED] == 2
    assert got[analytics.ADDED_TO_CART] == 1
    assert got[analytics.ORDER_CREATED] == 0
    assert set(got) == analytics.KINDS
    assert [(c.product_id, c.data) for c in carts] == [(7, {"quantity": 2, "variant_id": 9})]


def test_retention_defaults_to_a_year_and_purges_older_events(db: Database) -> None:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with db.write() as s:
        for days in (400, 366, 364, 10):
            analytics.record(s, analytics.PRODUCT_VIEWED, at=now - dt.timedelta(days=days))
    with db.write() as s:
        assert analytics.retention_days(s) == 365
        assert analytics.purge_expired(s, now=now) == 2
    with db.read() as s:
        left = sorted((now - e.at).days for e in analytics.events(s))
    assert left == [10, 364]
    with db.write() as s:
        analytics.set_retention_days(s, 30)
        assert analytics.purge_expired(s, now=now) == 1
    with db.read() as s:
        assert [(now - e.at).days for e in analytics.events(s)] == [10]
        assert analytics.retention_days(s) == 30


@pytest.mark.parametrize("days", [0, 29, 3651, -5])
def test_retention_out_of_range_is_refused_and_kept(db: Database, days: int) -> None:
    with pytest.raises(UserError) as err, db.write() as s:
        analytics.set_retention_days(s, days)
    assert err.value.code == "analytics.bad_retention"
    with db.read() as s:
        assert analytics.retention_days(s) == 365
