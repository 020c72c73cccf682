"""The dashboard's less travelled paths, on a shop made by hand: the shop writing before the
shopper (a broadcast, a follow-up), system notices, conversations going on over several days,
best sellers whose product was renamed or is gone; and the day cache against the direct
statements over many ranges while days are closed, today goes on and old days change."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import text

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations
from minichat_desktop.domain.models import Channel, ConversationStatus, OrderStatus
from minichat_desktop.domain.reporting import dashboard
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.storage.db import Database
from relay import protocol as p

START = dt.date(2026, 5, 1)  # the shop's data: 1-20 May 2026


def bkk(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), BANGKOK)


def shopper(db: Database, ref: str, at: dt.datetime) -> int:
    with db.write() as s:
        rec = conversations.record_inbound(
            s, ref, {"id": f"{ref}-{at.isoformat()}", "kind": "text", "text": "สนใจค่ะ"}, at=at
        )
        assert rec is not None
        return rec.conversation.id


def shop_writes(db: Database, cid: int, author: str, at: dt.datetime) -> None:
    with db.write() as s:
        conversations.queue_outgoing(s, cid, p.Text("ได้ค่ะ"), author, at=at)


def sell(db: Database, at: dt.datetime, lines: dict[str, int], ref: str = "") -> int:
    with db.write() as s:
        return orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE if ref else Channel.POS,
                lines=[LineInput(quantity=q, sku=sku) for sku, q in lines.items()],
                created_at=at,
                conversation_ref=ref,
            ),
            "owner",
        ).id


@pytest.fixture
def products(db: Database) -> Database:
    with db.write() as s:
        shop.ensure_defaults(s)
        for sku, name, price in (
            ("TEA", "ชาไทย", 4_500),
            ("MUG", "แก้วมัค", 19_000),
            ("SOAP", "สบู่", 6_000),
        ):
            catalog.save_product(
                s, ProductInput(sku=sku, name_th=name, price_satang=price, stock=10_000), "owner"
            )
    return db


def test_the_first_reply_when_the_shop_wrote_first(products: Database) -> None:
    db = products
    d1, d3 = START, START + dt.timedelta(days=2)
    cid = shopper(db, "line:early", bkk(d1, 9))
    shop_writes(db, cid, "bot", bkk(d1, 9, 0, 20))
    # Day 3: the shop writes first (a broadcast, then a notice), the shopper answers an hour
    # later and the bot replies 30 s after that.
    shop_writes(db, cid, "broadcast", bkk(d3, 9))
    shop_writes(db, cid, "system", bkk(d3, 9, 30))
    shopper(db, "line:early", bkk(d3, 10))
    shop_writes(db, cid, "system", bkk(d3, 10, 0, 10))  # a notice is not a reply
    shop_writes(db, cid, "bot", bkk(d3, 10, 0, 30))

    for lo, hi in ((d3, d3 + dt.timedelta(days=1)), (d3, d3)):
        bot = dashboard.dashboard(db, lo, hi).bot
        assert (bot.answered, bot.unanswered, bot.first_response_median_s) == (1, 0, 30.0)
        # The broadcast's author counts as a person: handed off.
        assert (bot.conversations, bot.handed_off, bot.closed_by_bot) == (1, 1, 0)
    # Over both days the shopper's first message is on day 1: answered in 20 s.
    data = dashboard.dashboard(db, d1, d3)
    assert data.bot.first_response_median_s == 20.0
    # The same from the day cache (days closed: summed from each day's figures).
    cache = dashboard.DashboardCache()
    today = START + dt.timedelta(days=10)
    for lo, hi in ((d1, d3), (d3, d3 + dt.timedelta(days=1))):
        with db.read() as s:
            cache.warm(s, lo, hi, today)
        assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == dashboard.dashboard(
            db, lo, hi
        )


def test_best_sellers_show_todays_names_and_keep_lines_of_gone_products(
    products: Database,
) -> None:
    db = products
    d = START + dt.timedelta(days=1)
    sell(db, bkk(d, 10), {"TEA": 3, "MUG": 1})  # TEA 135.00, MUG 190.00
    sell(db, bkk(d, 11), {"SOAP": 5})  # 300.00
    with db.write() as s:
        tea = catalog.get_product_by_sku(s, "TEA").id
        mug = catalog.get_product_by_sku(s, "MUG").id
        # Renamed since: shown under today's name.
        catalog.save_product(
            s, ProductInput(sku="MUG", name_th="แก้วมัคใบใหญ่", price_satang=19_000), "owner"
        )
        # SOAP's lines lose their product (as a deleted product's lines do): grouped by SKU,
        # shown under the name they were sold under.
        s.execute(text("UPDATE order_items SET product_id = NULL WHERE sku = 'SOAP'"))
    data = dashboard.dashboard(db, d, d + dt.timedelta(days=1))
    assert [
        (r.product_id, r.sku, r.name, r.quantity, r.sales_satang) for r in data.top_products
    ] == [
        (None, "SOAP", "สบู่", 5, 30_000),
        (mug, "MUG", "แก้วมัคใบใหญ่", 1, 19_000),
        (tea, "TEA", "ชาไทย", 3, 13_500),
    ]
    cache = dashboard.DashboardCache()
    today = START + dt.timedelta(days=5)
    with db.read() as s:
        cache.warm(s, d, d + dt.timedelta(days=1), today)
    cached = dashboard.dashboard(db, d, d + dt.timedelta(days=1), cache=cache, today=today)
    assert cached.top_products == data.top_products


def _busy_shop(db: Database, days: int, seed: int, start: dt.date = START) -> list[int]:
    """Chats and orders over ``days`` days from ``start``: chats going on over several days,
    the shop writing first, notices, sales from chats (some cancelled), counter sales."""
    rng = random.Random(seed)
    cids: list[int] = []
    for n in range(24):
        day = start + dt.timedelta(days=rng.randrange(days))
        ref = f"{rng.choice(('line', 'widget'))}:s{n}"
        at = bkk(day, rng.randrange(7, 23), rng.randrange(60))
        if rng.random() < 0.2:  # the shop begins (a broadcast); the shopper answers later
            cid = shopper(db, ref, at - dt.timedelta(days=3))
            shop_writes(db, cid, "broadcast", at - dt.timedelta(minutes=40))
        cid = shopper(db, ref, at)
        cids.append(cid)
        t = at
        for _ in range(rng.randrange(4)):
            t += dt.timedelta(seconds=rng.randrange(5, 4000))
            shop_writes(db, cid, rng.choice(("bot", "bot", "system", "นุ่น")), t)
            if rng.random() < 0.5:
                t += dt.timedelta(hours=rng.randrange(1, 30))  # often the next day
                shopper(db, ref, t)
        if rng.random() < 0.5:
            oid = sell(db, t + dt.timedelta(minutes=5), {"TEA": rng.randrange(1, 4)}, ref)
            if rng.random() < 0.3:
                with db.write() as s:
                    orders.change_status(s, oid, OrderStatus.CANCELLED, "owner", "ยกเลิก")
        if rng.random() < 0.3:
            with db.write() as s:
                status = rng.choice((ConversationStatus.RESOLVED, ConversationStatus.ESCALATED))
                conversations.set_status(s, cid, status)
    for _ in range(30):
        day = start + dt.timedelta(days=rng.randrange(days))
        sell(db, bkk(day, rng.randrange(24), rng.randrange(60)), {"MUG": 1, "SOAP": 2})
    return cids


# 1-14 May; 24 April - 7 May (the cache sums calendar months, then the months).
@pytest.mark.parametrize("start", [START, dt.date(2026, 4, 24)])
def test_the_cache_agrees_with_the_direct_figures_as_the_shop_goes_on(
    products: Database, start: dt.date
) -> None:
    db = products
    cids = _busy_shop(db, 14, seed=7, start=start)
    # A shopper of day 2 buys on day 6 (no message then) and writes again on the last day:
    # from then on, a conversation of the ranges from day 4 that converted.
    returning = shopper(db, "line:returning", bkk(start + dt.timedelta(days=1), 9))
    sell(db, bkk(start + dt.timedelta(days=5), 15), {"MUG": 2}, "line:returning")
    rng = random.Random(11)
    cache = dashboard.DashboardCache()
    end = start + dt.timedelta(days=13)
    ranges = [
        (start, end),
        (start + dt.timedelta(days=3), end),
        (start + dt.timedelta(days=6), start + dt.timedelta(days=9)),
        (end - dt.timedelta(days=1), end + dt.timedelta(days=2)),  # today and days to come
    ]

    def check(today: dt.date) -> None:
        for lo, hi in ranges:
            direct = dashboard.dashboard(db, lo, hi)
            assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == direct
            with db.read() as s:
                cache.warm(s, lo, hi, today)
            for _ in range(2):
                assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == direct

    check(end + dt.timedelta(days=5))  # every day closed
    check(end)  # the last day is today
    for step in range(6):
        now = bkk(end, 12 + step)
        # Today: an old chat goes on and buys (its first message is days ago), a new chat,
        # a counter sale, a chat of an earlier day escalated.
        cid = rng.choice(cids)
        with db.read() as s:
            ref = conversations.get_conversation(s, cid).ref
        shopper(db, ref, now)
        shop_writes(db, cid, rng.choice(("bot", "นุ่น")), now + dt.timedelta(seconds=40))
        sell(db, now + dt.timedelta(minutes=2), {"TEA": 1}, ref)
        new = shopper(db, f"widget:today{step}", now + dt.timedelta(minutes=3))
        shop_writes(db, new, "bot", now + dt.timedelta(minutes=4))
        with db.write() as s:
            conversations.set_status(s, rng.choice(cids), ConversationStatus.ESCALATED)
        if step == 2:
            shopper(db, "line:returning", now + dt.timedelta(minutes=5))
            shop_writes(db, returning, "bot", now + dt.timedelta(minutes=6))
        check(end)
    # An old day changes: a sale of day 2 cancelled, a late message on day 4.
    with db.write() as s:
        first = orders.list_orders(s, orders.OrderFilters(channel="pos"))[-1]
        orders.change_status(s, first.id, OrderStatus.CANCELLED, "owner", "ลูกค้าขอยกเลิก")
    shopper(db, "line:late", bkk(start + dt.timedelta(days=3), 23, 50))
    check(end)
    check(end + dt.timedelta(days=1))


def test_statuses_read_by_id_or_from_the_index_give_the_same_figures(
    products: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few conversations' statuses are read by id, many from the status index's id lists
    (a threshold tuned for speed): the figures do not depend on which."""
    db = products
    _busy_shop(db, 10, seed=3)
    lo, hi = START, START + dt.timedelta(days=9)
    today = START + dt.timedelta(days=12)

    def figures() -> tuple[dashboard.DashboardData, dashboard.DashboardData]:
        cache = dashboard.DashboardCache()
        with db.read() as s:
            cache.warm(s, lo, hi, today)
        return dashboard.dashboard(db, lo, hi), dashboard.dashboard(
            db, lo, hi, cache=cache, today=today
        )

    by_id = figures()
    assert by_id[0].bot.conversations > 0
    assert by_id[0] == by_id[1]
    monkeypatch.setattr(dashboard, "_FEW_CONVERSATIONS", 0)
    assert figures() == by_id


def test_warm_ups_and_refreshes_from_several_threads_agree_with_the_direct_figures(
    products: Database,
) -> None:
    """The screen warms the cache on a worker thread while refreshes come from others and
    the shop goes on: whatever the interleaving, a refresh afterwards gives the direct
    figures (days read from an older snapshot are forgotten when they changed since)."""
    db = products
    _busy_shop(db, 12, seed=5)
    lo, hi = START, START + dt.timedelta(days=11)
    today = START + dt.timedelta(days=11)
    cache = dashboard.DashboardCache()
    errors: list[BaseException] = []

    def warm() -> None:
        try:
            with db.read() as s:
                cache.warm(s, lo, hi, today)
        except BaseException as exc:  # reported below
            errors.append(exc)

    for k in range(3):
        workers = [threading.Thread(target=warm) for _ in range(2)]
        for w in workers:
            w.start()
        # Meanwhile: a sale on an old day, and a refresh.
        sell(db, bkk(START + dt.timedelta(days=2 + k), 16), {"SOAP": 1})
        dashboard.dashboard(db, lo, hi, cache=cache, today=today)
        for w in workers:
            w.join()
        assert errors == []
        assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == dashboard.dashboard(
            db, lo, hi
        )


def test_days_read_long_ago_are_read_again_in_the_background(products: Database) -> None:
    """A change no mark shows (here: an order's total edited by hand in the database) stays
    unseen until the day is due (MAX_AGE_S after it was read): then the refresh still answers
    at once from the kept days, the screen's warm-up reads them again, and the figures are
    right; a day read more than twice MAX_AGE_S ago is not used at all."""
    db = products
    _busy_shop(db, 10, seed=9)
    lo, hi = START, START + dt.timedelta(days=9)
    today = START + dt.timedelta(days=20)
    now = [1000.0]
    cache = dashboard.DashboardCache(clock=lambda: now[0])
    with db.read() as s:
        cache.warm(s, lo, hi, today)
    before = dashboard.dashboard(db, lo, hi)
    assert cache.missing(lo, hi, today) == 0
    with db.write() as s:
        s.execute(text("UPDATE orders SET total_satang = total_satang + 100 WHERE id = 1"))
    after = dashboard.dashboard(db, lo, hi)
    assert after.current.sales_satang == before.current.sales_satang + 100
    assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == before  # not seen

    now[0] += cache.MAX_AGE_S + 1  # due: still used, and counted as missing
    assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == before
    assert cache.missing(lo, hi, today) == (hi - lo).days * 2 + 2
    with db.read() as s:
        assert cache.warm(s, lo, hi, today) == (hi - lo).days * 2 + 2
    assert cache.missing(lo, hi, today) == 0
    assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == after

    with db.write() as s:
        s.execute(text("UPDATE orders SET total_satang = total_satang - 100 WHERE id = 1"))
    now[0] += 2 * cache.MAX_AGE_S + 1  # too old: forgotten, answered directly
    assert dashboard.dashboard(db, lo, hi, cache=cache, today=today) == before
