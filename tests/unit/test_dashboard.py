"""The dashboard's figures on a small shop made by hand, every number known in advance:
sales by Bangkok day (an order just after midnight Bangkok belongs to the next day),
cancelled orders left out, the previous period, top products, channels, conversion and the
bot's performance."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations
from minichat_desktop.domain.models import (
    Channel,
    ConversationStatus,
    Customer,
    OrderStatus,
    PaymentMethod,
)
from minichat_desktop.domain.reporting import dashboard
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database
from relay import protocol as p

D1, D2, D3 = dt.date(2026, 3, 10), dt.date(2026, 3, 11), dt.date(2026, 3, 12)


def bkk(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), BANGKOK)


def order(db: Database, when: dt.datetime, channel: Channel, lines: dict[str, int], **kw: object):
    with db.write() as s:
        return orders.place_order(
            s,
            NewOrder(
                channel=channel,
                lines=[LineInput(quantity=q, sku=sku) for sku, q in lines.items()],
                created_at=when,
                **kw,  # type: ignore[arg-type]
            ),
            "owner",
        )


def chat(
    db: Database,
    ref: str,
    shopper_at: dt.datetime,
    replies: list[tuple[str, int]],
    status: ConversationStatus | None = None,
) -> int:
    """A shopper message at ``shopper_at`` and replies ``(author, seconds later)``."""
    with db.write() as s:
        rec = conversations.record_inbound(
            s, ref, {"id": f"{ref}-{shopper_at.isoformat()}", "kind": "text", "text": "มีไหม"},
            at=shopper_at,
        )  # fmt: skip
        assert rec is not None
        cid = rec.conversation.id
        for author, after in replies:
            conversations.queue_outgoing(
                s, cid, p.Text("ค่ะ"), author, at=shopper_at + dt.timedelta(seconds=after)
            )
        if status is not None:
            conversations.set_status(s, cid, status)
        return cid


@pytest.fixture
def shop_db(db: Database) -> Database:
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืด", price_satang=25_000, stock=100), "owner"
        )
        catalog.save_product(
            s, ProductInput(sku="P2", name_th="แก้วน้ำ", price_satang=12_000, stock=100), "owner"
        )
    # Conversations (each makes its customer).
    chat(db, "line:u1", bkk(dt.date(2026, 3, 8), 9), [("bot", 20)])  # previous period
    chat(db, "line:u1", bkk(D1, 9), [("bot", 30)])  # converts (order O1)
    chat(db, "widget:w2", bkk(D3, 20), [("bot", 60), ("นุ่น", 300)])  # a person answered
    chat(db, "widget:w3", bkk(D2, 8), [("bot", 10)], ConversationStatus.RESOLVED)
    chat(db, "widget:w4", bkk(D2, 9), [])  # nobody answered, no bot
    chat(db, "widget:w5", bkk(D1, 10), [("bot", 120)], ConversationStatus.ESCALATED)
    # Orders.
    order(db, bkk(D1, 10), Channel.LINE, {"P1": 2}, conversation_ref="line:u1")  # 500.00
    order(
        db, bkk(D2, 14), Channel.POS, {"P2": 1}, completed=True,
        payment_method=PaymentMethod.CASH,
    )  # 120.00  # fmt: skip
    cancelled = order(db, bkk(D3, 23, 30), Channel.WIDGET, {"P1": 1, "P2": 1},
                      conversation_ref="widget:w2")  # fmt: skip
    with db.write() as s:
        orders.change_status(s, cancelled.id, OrderStatus.CANCELLED, "owner", "ลูกค้ายกเลิก")
    order(db, bkk(D3, 0, 10), Channel.WIDGET, {"P2": 3})  # 360.00: 17:10 UTC the day before
    order(db, bkk(dt.date(2026, 3, 8), 12), Channel.LINE, {"P1": 1}, conversation_ref="line:u1")
    order(db, bkk(dt.date(2026, 3, 13), 0, 0), Channel.LINE, {"P1": 5})  # after the range
    # Customers: when they joined (the chats made them "now").
    with db.write() as s:
        ids = [c.id for c in s.query(Customer).order_by(Customer.id)]
        joined = [bkk(dt.date(2026, 3, 8), 9), bkk(D1, 9), bkk(D3, 20), bkk(D2, 8), bkk(D2, 9)]
        for cid, when in zip(ids, joined, strict=True):
            s.execute(update(Customer).where(Customer.id == cid).values(created_at=when))
        merged = Customer(name="ซ้ำ", created_at=bkk(D2, 10), merged_into_id=ids[1], tags=[])
        s.add(merged)
    return db


def test_kpis_and_the_previous_period(shop_db: Database) -> None:
    data = dashboard.dashboard(shop_db, D1, D3)
    now, before = data.current, data.previous
    assert (now.sales_satang, now.orders, now.average_order_satang) == (98_000, 3, 32_667)
    assert (now.new_customers, now.conversations, now.converted) == (4, 5, 1)
    assert now.conversion == pytest.approx(0.2)
    assert (data.previous_from, data.previous_to) == (dt.date(2026, 3, 7), dt.date(2026, 3, 9))
    assert (before.sales_satang, before.orders, before.new_customers) == (25_000, 1, 1)
    assert (before.conversations, before.converted) == (1, 1)
    assert data.change(now.sales_satang, before.sales_satang) == pytest.approx(2.92)


def test_daily_series_uses_bangkok_days_and_fills_gaps(shop_db: Database) -> None:
    data = dashboard.dashboard(shop_db, D1, dt.date(2026, 3, 13))
    assert data.bucket == "day"
    assert [(pt.start.date(), pt.sales_satang, pt.orders) for pt in data.series] == [
        (D1, 50_000, 1),
        (D2, 12_000, 1),
        (D3, 36_000, 1),
        (dt.date(2026, 3, 13), 125_000, 1),
    ]


def test_one_day_is_shown_by_hour(shop_db: Database) -> None:
    data = dashboard.dashboard(shop_db, D3, D3)
    assert data.bucket == "hour"
    assert len(data.series) == 24
    assert [(pt.start.hour, pt.sales_satang) for pt in data.series if pt.orders] == [(0, 36_000)]


def test_top_products_and_channels(shop_db: Database) -> None:
    data = dashboard.dashboard(shop_db, D1, D3)
    assert [(r.sku, r.name, r.quantity, r.sales_satang) for r in data.top_products] == [
        ("P1", "เสื้อยืด", 2, 50_000),
        ("P2", "แก้วน้ำ", 4, 48_000),
    ]
    assert [(c.channel, c.orders, c.sales_satang) for c in data.channels] == [
        ("widget", 1, 36_000),
        ("line", 1, 50_000),
        ("pos", 1, 12_000),
        ("manual", 0, 0),
    ]


def test_bot_performance(shop_db: Database) -> None:
    bot = dashboard.dashboard(shop_db, D1, D3).bot
    assert (bot.conversations, bot.closed_by_bot, bot.handed_off) == (4, 2, 2)
    assert bot.handoff_rate == pytest.approx(0.5)
    assert bot.bot_close_rate == pytest.approx(0.5)
    assert (bot.answered, bot.unanswered) == (4, 1)
    assert bot.first_response_median_s == pytest.approx(45.0)  # of 10, 30, 60, 120 s


def test_an_empty_shop_shows_zeros(db: Database) -> None:
    data = dashboard.dashboard(db, D1, D3)
    assert (data.current.sales_satang, data.current.orders, data.current.average_order_satang) == (
        0,
        0,
        0,
    )
    assert data.current.conversion is None
    assert data.bot.first_response_median_s is None
    assert data.top_products == ()
    assert [pt.sales_satang for pt in data.series] == [0, 0, 0]
    assert data.change(0, 0) is None


def test_a_range_that_ends_before_it_starts_is_refused(db: Database) -> None:
    with pytest.raises(UserError) as err:
        dashboard.dashboard(db, D3, D1)
    assert err.value.code == "dashboard.bad_range"


# ---------------------------------------------------------------------------- the day cache


def test_the_cache_gives_the_same_figures_and_forgets_changed_days(shop_db: Database) -> None:
    cache = dashboard.DashboardCache()
    ranges = [(D1, D3), (D1, D2), (dt.date(2026, 3, 1), dt.date(2026, 3, 31)), (D2, D3)]

    def same(today: dt.date) -> None:
        for lo, hi in ranges:
            direct = dashboard.dashboard(shop_db, lo, hi)
            # Cold, the cache answers directly; warmed, from its days.
            assert dashboard.dashboard(shop_db, lo, hi, cache=cache, today=today) == direct
            with shop_db.read() as s:
                cache.warm(s, lo, hi, today)
            assert cache.missing(lo, hi, today) == 0
            for _ in range(2):  # the second from the kept sums: the first changed none of them
                cached = dashboard.dashboard(shop_db, lo, hi, cache=cache, today=today)
                assert cached == direct, (lo, hi, today)

    same(dt.date(2026, 4, 1))  # every day closed: all from the cache after the first call
    same(D3)  # today is read afresh
    # A chat of a closed day goes on today: its closed-days sum is copied, not changed.
    chat(shop_db, "widget:w3", bkk(D3, 12), [("นุ่น", 7)])  # closed by the bot on D2
    same(D3)
    # A past order cancelled, a late message on a past day, a backdated order and a customer
    # merged: each changes closed days the cache holds.
    with shop_db.write() as s:
        first = orders.list_orders(s, orders.OrderFilters(channel="line"))[-1]
        orders.change_status(s, first.id, OrderStatus.CANCELLED, "owner", "ลูกค้าขอยกเลิก")
    same(dt.date(2026, 4, 1))
    chat(shop_db, "widget:late", bkk(D2, 23), [("bot", 5), ("นุ่น", 50)])
    same(dt.date(2026, 4, 1))
    order(shop_db, bkk(D1, 15), Channel.WIDGET, {"P1": 1, "P2": 2}, conversation_ref="widget:w3")
    same(dt.date(2026, 4, 1))
    with shop_db.write() as s:
        conversations.set_status(s, 1, ConversationStatus.ESCALATED)
    same(dt.date(2026, 4, 1))
