"""The demo shop: a believable VAT-registered Thai shop, filled through the use cases."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from minichat_desktop.demo.shop import DemoSummary, fill_demo_shop, is_valid_ean13
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentStatus, PipelineStatus
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.thai import is_valid_postcode, is_valid_s10, is_valid_thai_id
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    db = Database.open(tmp_path_factory.mktemp("demo"))
    summary = fill_demo_shop(db, seed=7, now=NOW)
    yield db, summary
    db.dispose()


def _order_facts(db: Database) -> list[tuple[str, str, str, int, int]]:
    with db.read() as s:
        return [
            (o.number, o.status, o.channel, o.total_satang, o.item_count)
            for o in orders.list_orders(s, limit=10_000)
        ]


def test_profile_is_a_vat_registered_head_office(filled: tuple[Database, DemoSummary]) -> None:
    """The shop is VAT registered, prices include VAT, tax ID has a valid check digit."""
    db, _ = filled
    with db.read() as s:
        p = shop.get_profile(s)
    assert p.name == "ร้านมินิแชท เซเลกต์"
    assert p.name_en == "MiniChat Select"
    assert p.vat_registered is True
    assert p.prices_include_vat is True
    assert is_valid_thai_id(p.tax_id)
    assert p.branch_code == "00000"
    assert p.branch_label == "สำนักงานใหญ่"
    assert p.promptpay_id == "0891234567"
    assert re.search(r"\b10330$", p.address)
    assert [a.bank for a in p.bank_accounts] == ["ธนาคารกสิกรไทย", "ธนาคารไทยพาณิชย์"]
    assert all(len(re.sub(r"\D", "", a.account_number)) == 10 for a in p.bank_accounts)


def test_catalog_has_variants_barcodes_and_stock_states(
    filled: tuple[Database, DemoSummary],
) -> None:
    """≥ 45 products in 6–8 categories, about half with variants, valid Thai EAN-13s."""
    db, summary = filled
    with db.read() as s:
        products = catalog.list_products(s)
        categories = catalog.list_categories(s)
    assert len(products) == summary.products >= 45
    assert 6 <= len(categories) == summary.categories <= 8
    with_options = [p for p in products if p.has_options]
    assert len(products) * 0.4 <= len(with_options) <= len(products) * 0.6
    variants = [v for p in products for v in p.variants]
    assert len(variants) == summary.variants
    assert len({v.sku for v in variants}) == len(variants)
    barcodes = [v.barcode for v in variants]
    assert all(b is not None and b.startswith("885") and is_valid_ean13(b) for b in barcodes)
    assert len(set(barcodes)) == len(barcodes)
    assert all(
        p.price_satang % 100 == 0 and (p.price_satang // 100) % 10 in (0, 9) for p in products
    )
    assert any(p.compare_at_satang for p in products)
    assert all(p.cost_satang and p.cost_satang < p.price_satang for p in products)
    assert all(p.name_en and p.description for p in products)
    assert [p.sku for p in products if not p.active] == ["BG-007"]
    active = [p for p in products if p.active]
    assert sorted(p.sku for p in active if p.stock == 0) == ["BG-003", "SH-006"]
    low = [p for p in active if 0 < p.stock <= p.low_stock_threshold]
    assert len(low) >= 3
    tee = next(p for p in products if p.sku == "TS-001")
    assert tee.option_names == ("สี", "ไซส์")
    assert {v.options["สี"] for v in tee.variants} == {"ขาว", "ดำ", "แดง", "กรมท่า"}
    assert {v.options["ไซส์"] for v in tee.variants} == {"S", "M", "L", "XL"}


def test_stock_ledger_adds_up_and_never_goes_negative(
    filled: tuple[Database, DemoSummary],
) -> None:
    """Every variant's stock equals the sum of its movements and is zero or more."""
    db, summary = filled
    with db.read() as s:
        variants = [v for p in catalog.list_products(s) for v in p.variants]
        sums = stock.ledger_sums(s)
    assert {v.id: v.stock for v in variants} == {v.id: sums.get(v.id, 0) for v in variants}
    assert min(v.stock for v in variants) == 0
    assert summary.stock_units == sum(v.stock for v in variants if v.active)


def test_orders_cover_every_status_and_channel(filled: tuple[Database, DemoSummary]) -> None:
    """150–250 orders over 60 days, in every status and every channel the demo shop has."""
    db, summary = filled
    facts = _order_facts(db)
    assert 150 <= len(facts) == summary.orders <= 250
    statuses = Counter(f[1] for f in facts)
    channels = Counter(f[2] for f in facts)
    assert set(statuses) == set(OrderStatus)
    assert all(statuses[s] >= 3 for s in OrderStatus)
    # every channel but Facebook's two: the demo shop has no Page (its chats come through a
    # relay connected to Meta)
    assert set(channels) == set(Channel) - {Channel.MESSENGER, Channel.INSTAGRAM}
    assert dict(summary.orders_by_status) == dict(statuses)
    assert dict(summary.orders_by_channel) == dict(channels)
    numbers = sorted(f[0] for f in facts)
    assert numbers == [f"MC-2026-{n:06d}" for n in range(1, len(facts) + 1)]
    with db.read() as s:
        listed = orders.list_orders(s, limit=10_000)
    oldest = min(o.created_at for o in listed)
    assert NOW - dt.timedelta(days=61) <= oldest
    assert max(o.created_at for o in listed) < NOW


def test_orders_are_priced_with_vat_and_shipped_with_tracking(
    filled: tuple[Database, DemoSummary],
) -> None:
    """Totals include 7 % VAT; shipped orders carry a carrier and a tracking number, and
    Thailand Post numbers have a valid S10 check digit; counter sales are paid and complete."""
    db, _ = filled
    with db.read() as s:
        views = [orders.get_order(s, o.id) for o in orders.list_orders(s, limit=10_000)]
    carriers: Counter[str] = Counter()
    for o in views:
        assert o.total_satang == o.subtotal_satang - o.discount_satang + o.shipping_satang
        assert o.vat_rate_bp == 700
        assert o.vat_satang == (2 * o.total_satang * 700 + 10_700) // (2 * 10_700)
        if o.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and o.channel != Channel.POS:
            assert o.carrier and o.tracking_number
        if o.carrier:
            carriers[o.carrier] += 1
        if o.carrier == "Thailand Post":
            assert is_valid_s10(o.tracking_number), o.tracking_number
        if o.channel == Channel.POS:
            assert o.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
            assert o.status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED)
            assert o.payment_method in ("cash", "promptpay")
        elif o.payment_status == PaymentStatus.PAID:
            assert o.payment_ref and o.paid_at is not None
    assert set(carriers) == {"Thailand Post", "Kerry Express", "Flash Express", "J&T Express"}
    assert any(o.discount_satang for o in views)
    assert any(o.shipping_satang for o in views)
    assert any(o.notes for o in views)
    assert any(o.payment_method == "cod" for o in views)
    assert any(o.customer_tax_id and is_valid_thai_id(o.customer_tax_id) for o in views)
    assert sum(o.payment_method == "cash" for o in views) >= 20


def test_customers_span_channels_provinces_and_pipeline(
    filled: tuple[Database, DemoSummary],
) -> None:
    """About 40 customers with mobiles, LINE ids, widget sessions, real postcodes, tags and
    every pipeline status; two widget chats carry the phone of a LINE customer."""
    db, summary = filled
    with db.read() as s:
        people = customers.list_customers(s, limit=1000)
    assert 38 <= len(people) == summary.customers <= 45
    assert {c.status for c in people} == set(PipelineStatus)
    kinds = Counter(kind for c in people for kind, _ in c.identities)
    assert kinds["line"] >= 10 and kinds["widget"] >= 8 and kinds["phone"] >= 25
    line_ids = [v for c in people for k, v in c.identities if k == "line"]
    assert all(re.fullmatch(r"U[0-9a-f]{32}", v) for v in line_ids)
    assert all(re.fullmatch(r"0[689]\d{8}", c.phone) for c in people if c.phone)
    assert all(is_valid_postcode(c.postcode) for c in people if c.postcode)
    assert len({c.province for c in people}) >= 8
    tags = Counter(t for c in people for t in c.tags)
    assert tags["vip"] >= 1 and tags["ลูกค้าประจำ"] >= 1
    phones = {c.phone: c for c in people if c.phone}
    twins = [
        c
        for c in people
        if not c.phone
        and (m := re.search(r"(0\d{2})-(\d{3})-(\d{4})", c.notes))
        and "".join(m.groups()) in phones
    ]
    assert len(twins) == 2
    assert all(dict(t.identities).keys() == {"widget"} for t in twins)


def test_status_changes_happen_at_their_own_times(filled: tuple[Database, DemoSummary]) -> None:
    """Refunds, shipping and delivery are stamped after their order and spread over the two
    months, not all at the moment the demo was made (which put every refund in one month)."""
    from sqlalchemy import select

    from minichat_desktop.domain.models import Order, OrderEvent

    db, _ = filled
    with db.read() as s:
        refunds = s.execute(
            select(Order.created_at, OrderEvent.created_at)
            .join(OrderEvent, OrderEvent.order_id == Order.id)
            .where(OrderEvent.kind == "status", OrderEvent.status == OrderStatus.REFUNDED)
        ).all()
        trips = s.execute(
            select(Order.created_at, Order.shipped_at, Order.delivered_at).where(
                Order.delivered_at.is_not(None), Order.shipped_at.is_not(None)
            )
        ).all()
    assert len(refunds) >= 5
    assert all(placed < refunded <= NOW for placed, refunded in refunds)
    months = Counter(f"{r.astimezone(shop.BANGKOK):%Y-%m}" for _, r in refunds)
    assert len(months) >= 2, months
    assert len({r for _, r in refunds}) == len(refunds)
    assert trips and all(placed < out < there <= NOW for placed, out, there in trips)


def test_two_partial_refunds_at_their_own_dates_with_credit_notes(
    filled: tuple[Database, DemoSummary],
) -> None:
    """An amount off after a complaint (early: October) and one unit sent back into stock
    (lately: November), each after its order's delivery, with its credit note in the VAT
    report of its own month and taken out of that month's sales; the orders stay delivered
    and paid."""
    from sqlalchemy import select

    from minichat_desktop.domain.models import Order, Refund
    from minichat_desktop.domain.reporting import reports
    from minichat_desktop.domain.sales import refunds as refunds_mod
    from minichat_desktop.domain.sql import DriverConnection

    db, summary = filled
    with db.read() as s:
        partial = s.execute(
            select(Refund, Order)
            .join(Order, Order.id == Refund.order_id)
            .where(Order.status != OrderStatus.REFUNDED)
            .order_by(Refund.at)
        ).all()
        made = [
            (
                r.at.astimezone(shop.BANGKOK).strftime("%Y-%m"),
                r.restocked,
                [(ln.quantity, ln.amount_satang > 0) for ln in r.lines],
                o.status,
                o.payment_status,
                o.delivered_at is not None and o.delivered_at < r.at < NOW,
                refunds_mod.list_refunds(s, o.id)[0].credit_note,
                r.amount_satang,
            )
            for r, o in partial
        ]
        vat = {
            m: reports.vat_rows(DriverConnection(s), *reports.month_range(m))
            for m in ("2026-10", "2026-11")
        }
        paid = sum(
            o.total_satang for o in orders.list_orders(s, limit=10_000)
            if o.payment_status == PaymentStatus.PAID
        )  # fmt: skip
    assert [m[:6] for m in made] == [
        ("2026-10", False, [(0, True)], "delivered", "paid", True),
        ("2026-11", True, [(1, True)], "delivered", "paid", True),
    ]
    for month, *_rest, credit, amount in made:
        assert credit.startswith("CN")
        (row,) = [r for r in vat[month] if r[1] == credit]
        assert row[5] + row[6] == -amount
    assert summary.revenue_satang == paid - sum(m[-1] for m in made)


def test_search_finds_red_tees(filled: tuple[Database, DemoSummary]) -> None:
    """Searching เสื้อยืด, แดง and เสื้อยืดสีแดง finds products (design scenario 1)."""
    db, _ = filled
    with db.read() as s:
        tees = catalog.search_products(s, "เสื้อยืด")
        red = catalog.search_products(s, "แดง")
        red_tee = catalog.search_products(s, "เสื้อยืดสีแดง")
        red_tees = catalog.search_products(s, "เสื้อยืด สีแดง")
    assert len(tees) >= 8 and all(h.category == "เสื้อยืด" for h in tees)
    assert len(red) >= 3
    assert [h.sku for h in red_tee] == ["TS-004"]
    assert {"TS-001", "TS-003", "TS-004"} <= {h.sku for h in red_tees}


def test_fill_is_deterministic_for_a_seed(
    filled: tuple[Database, DemoSummary], tmp_path: Path
) -> None:
    """Two fills with the same seed and time give the same orders, numbers and totals."""
    db, summary = filled
    again = Database.open(tmp_path)
    try:
        assert fill_demo_shop(again, seed=7, now=NOW) == summary
        assert _order_facts(again) == _order_facts(db)
    finally:
        again.dispose()


def test_second_fill_is_refused(filled: tuple[Database, DemoSummary]) -> None:
    """A database that has products is not filled again, and nothing changes."""
    db, summary = filled
    with pytest.raises(UserError) as err:
        fill_demo_shop(db, seed=8, now=NOW)
    assert err.value.code == "demo.not_empty"
    assert len(_order_facts(db)) == summary.orders


def test_naive_now_is_rejected(tmp_path: Path) -> None:
    """``now`` must carry a time zone."""
    db = Database.open(tmp_path)
    try:
        with pytest.raises(ValueError, match="aware"):
            fill_demo_shop(db, now=dt.datetime(2026, 11, 23, 10, 0))
    finally:
        db.dispose()


def test_chat_orders_come_with_the_chat_that_led_to_them(tmp_path: Path) -> None:
    """Every demo order placed from a chat (but the last six hours') has its conversation —
    the shopper's question and confirmation, the bot's answers with the order number —
    resolved, read and with nothing left to send; so the dashboard's chat conversion and bot
    figures are not empty."""
    from sqlalchemy import func, select

    from minichat_desktop.demo.chats import fill_order_chats
    from minichat_desktop.domain.conversations import conversations as convs
    from minichat_desktop.domain.models import ChatMessage, Order
    from minichat_desktop.domain.reporting import dashboard

    db = Database.open(tmp_path)
    try:
        fill_demo_shop(db, seed=7, now=NOW)
        made = fill_order_chats(db, now=NOW)
        with db.read() as s:
            chat_orders = s.scalars(
                select(Order).where(
                    Order.conversation_ref != "",
                    Order.status != OrderStatus.CANCELLED,
                    Order.created_at < NOW - dt.timedelta(hours=6),
                )
            ).all()
            assert made == len(chat_orders) > 50
            for order in chat_orders[:20]:
                conv = convs.find_conversation(s, order.conversation_ref)
                assert conv is not None and conv.status == "resolved" and conv.unread == 0
                texts = [
                    m.text
                    for m in s.scalars(
                        select(ChatMessage).where(ChatMessage.conversation_id == conv.id)
                    )
                ]
                assert any(order.number in t for t in texts)
            assert s.scalar(select(func.count()).select_from(ChatMessage)) >= 4 * made
            assert convs.pending_outbox(s) == []
            today = shop.bangkok_today(NOW)
            data = dashboard.dashboard(s, today - dt.timedelta(days=29), today, today=today)
        assert data.current.conversion is not None and data.current.conversion > 0.5
        assert data.bot.closed_by_bot > 0 and data.bot.first_response_median_s is not None
    finally:
        db.dispose()
