"""RFM scores and segments on hand-made order histories."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from minichat_desktop.domain.customers import customers, rfm
from minichat_desktop.domain.customers.rfm import Segment
from minichat_desktop.domain.models import (
    Channel,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)
from minichat_desktop.domain.sales import refunds
from minichat_desktop.domain.sales.refunds import RefundRequest
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def _order(
    s: object,
    customer_id: int,
    days_ago: int,
    baht: int,
    *,
    paid: bool = True,
    status: OrderStatus = OrderStatus.DELIVERED,
) -> None:
    s.add(  # type: ignore[attr-defined]
        Order(
            number=f"T{next(_numbers):06d}",
            channel=Channel.LINE,
            status=status,
            customer_id=customer_id,
            subtotal_satang=baht * 100,
            total_satang=baht * 100,
            payment_method=PaymentMethod.PROMPTPAY,
            payment_status=PaymentStatus.PAID if paid else PaymentStatus.PENDING,
            created_at=NOW - dt.timedelta(days=days_ago),
        )
    )


def _customer(s: object, name: str) -> int:
    return customers.create_customer(s, "owner", name=name).id  # type: ignore[arg-type]


def test_hand_made_histories_land_in_their_segments(db: Database) -> None:
    """Eight shoppers written to match each segment's rule get exactly that segment."""
    histories = {
        # 8 orders, last 3 days ago, ฿24,000: buys often, much, lately
        "champions": [(3, 3000)] * 8,
        # one order yesterday
        "new": [(1, 890)],
        # 3 orders, last 75 days ago, ฿2,400 (R3 F3 M3)
        "loyal": [(75, 800), (150, 800), (200, 800)],
        # 2 small orders, the last 10 days ago (R5 F2 M1)
        "potential_loyalist": [(10, 200), (40, 200)],
        # 7 orders worth ฿21,000, the last 200 days ago (R2, fm 5)
        "cant_lose": [(200, 3000)] * 7,
        # 3 orders ฿2,400, the last 300 days ago (R2 F3 M3)
        "at_risk": [(300, 800), (320, 800), (340, 800)],
        # one ฿300 order 150 days ago (R2 F1 M1)
        "hibernating": [(150, 300)],
        # one ฿400 order two years ago (R1 F1 M1)
        "lost": [(730, 400)],
    }
    with db.write() as s:
        ids = {}
        for seg, orders in histories.items():
            ids[seg] = _customer(s, seg)
            for days, baht in orders:
                _order(s, ids[seg], days, baht)
        no_orders = _customer(s, "ยังไม่เคยซื้อ")
        result = rfm.recompute(s, NOW)
        scores = rfm.scores_of(s, [*ids.values(), no_orders])
    assert {seg: scores[cid].segment.value for seg, cid in ids.items()} == {
        seg: seg for seg in histories
    }
    assert no_orders not in scores
    assert result.customers == 8 and not result.monetary_by_quintile
    assert result.segments == dict.fromkeys(histories, 1)
    champ = scores[ids["champions"]]
    assert (champ.recency, champ.frequency, champ.monetary) == (5, 5, 5)
    assert (champ.order_count, champ.spent_satang) == (8, 2_400_000)
    assert champ.last_order_at == NOW - dt.timedelta(days=3)
    loyal = scores[ids["loyal"]]
    assert (loyal.recency, loyal.frequency, loyal.monetary) == (3, 3, 3)


def test_only_paid_orders_that_were_kept_count(db: Database) -> None:
    """Unpaid, cancelled and refunded orders do not count; a merged duplicate's orders count
    for the customer kept."""
    with db.write() as s:
        a = _customer(s, "A")
        _order(s, a, 5, 900)
        _order(s, a, 2, 50_000, paid=False)
        _order(s, a, 3, 50_000, status=OrderStatus.CANCELLED)
        _order(s, a, 4, 50_000, status=OrderStatus.REFUNDED)
        dup = _customer(s, "A on LINE")
        _order(s, dup, 20, 1_100)
        customers.merge_customers(s, a, dup, "owner")
        rfm.recompute(s, NOW)
        score = rfm.scores_of(s, [a, dup])
    assert list(score) == [a]
    assert (score[a].order_count, score[a].spent_satang) == (2, 200_000)
    # R5 F2 M3: recent and spending, but two orders are not yet a regular
    assert score[a].segment is Segment.POTENTIAL_LOYALIST


def test_boundaries_of_the_thresholds() -> None:
    assert [rfm.recency_score(d) for d in (0, 30, 31, 60, 61, 120, 121, 365, 366)] == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
    ]
    assert [rfm.frequency_score(n) for n in (1, 2, 3, 4, 5, 6, 40)] == [1, 2, 3, 4, 4, 5, 5]
    assert [rfm.monetary_score(x) for x in (0, 49_999, 50_000, 149_999, 150_000, 1_500_000)] == [
        1,
        1,
        2,
        2,
        3,
        5,
    ]


def test_a_larger_shop_scores_money_by_quintiles(db: Database) -> None:
    """With 100 buyers spending ฿100…฿10,000 each fifth gets its own monetary score."""
    with db.write() as s:
        ids = []
        for i in range(100):
            cid = _customer(s, f"c{i}")
            ids.append(cid)
            _order(s, cid, 10, 100 * (i + 1))
        result = rfm.recompute(s, NOW)
        scores = rfm.scores_of(s, ids)
    assert result.monetary_by_quintile
    monetary = [scores[c].monetary for c in ids]
    assert monetary == [1] * 20 + [2] * 20 + [3] * 20 + [4] * 20 + [5] * 20


def test_recompute_replaces_old_scores(db: Database) -> None:
    with db.write() as s:
        a = _customer(s, "A")
        _order(s, a, 1, 500)
        rfm.recompute(s, NOW)
        assert rfm.segment_counts(s) == {"new": 1}
        rfm.recompute(s, NOW + dt.timedelta(days=800))
        assert rfm.segment_counts(s) == {"lost": 1}
        assert rfm.last_computed(s) == NOW + dt.timedelta(days=800)


def test_segments_are_refreshed_only_when_stale(db: Database) -> None:
    """Never computed with a buyer, an order written since, or older than the maximum age:
    stale and recomputed; otherwise nothing is written. A shop without orders is never
    stale."""
    with db.write() as s:
        assert not rfm.stale(s, NOW)
        assert rfm.refresh(s, NOW) is None
        a = _customer(s, "A")
        _order(s, a, 1, 500)
        s.flush()
        for order in s.scalars(select(Order)):
            order.updated_at = NOW - dt.timedelta(hours=1)
    with db.write() as s:
        assert rfm.stale(s, NOW)
        done = rfm.refresh(s, NOW)
        assert done is not None and done.segments == {"new": 1}
    with db.write() as s:
        assert not rfm.stale(s, NOW + dt.timedelta(hours=11))
        assert rfm.refresh(s, NOW + dt.timedelta(hours=11)) is None
        assert rfm.last_computed(s) == NOW
        assert rfm.stale(s, NOW + dt.timedelta(hours=13))
        _order(s, a, 0, 2_000)
        s.flush()
        s.scalars(select(Order)).all()[-1].updated_at = NOW + dt.timedelta(minutes=5)
    with db.write() as s:
        assert rfm.stale(s, NOW + dt.timedelta(minutes=10))
        done = rfm.refresh(s, NOW + dt.timedelta(minutes=10))
        assert done is not None and done.customers == 1
        assert rfm.scores_of(s, [a])[a].order_count == 2


def test_partial_refunds_come_off_what_a_customer_spent(db: Database) -> None:
    """Money given back on an order that stays a sale (a price reduction, one of two units
    returned) comes off both the customer's total spent and the score's spending, through
    the real refund path; a whole refund takes the order out of both."""
    with db.write() as s:
        a = _customer(s, "A")
        order = Order(
            number=f"T{next(_numbers):06d}",
            channel=Channel.LINE,
            status=OrderStatus.DELIVERED,
            customer_id=a,
            subtotal_satang=200_000,
            total_satang=200_000,
            payment_method=PaymentMethod.PROMPTPAY,
            payment_status=PaymentStatus.PAID,
            created_at=NOW - dt.timedelta(days=4),
            items=[
                OrderItem(
                    sku="TEE-1",
                    name="เสื้อยืด",
                    unit_price_satang=100_000,
                    quantity=2,
                    line_total_satang=200_000,
                )
            ],
        )
        s.add(order)
        s.flush()
        oid, item = order.id, order.items[0].id
        request = RefundRequest(amounts={item: 30_000}, reason="ตำหนิเล็กน้อย")
        refunds.refund_order(s, oid, request, "owner", at=NOW - dt.timedelta(days=2))
        refunds.refund_order(s, oid, RefundRequest({item: 1}, reason="ไซซ์ไม่พอดี"), "owner", at=NOW)
        rfm.recompute(s, NOW)
        score = rfm.scores_of(s, [a])[a]
        view = customers.get_customer(s, a)
    # ฿2,000 less ฿300 off the line, less one of the two units at its value after that
    # reduction (฿1,700 / 2 = ฿850): ฿850 kept
    assert (score.order_count, score.spent_satang) == (1, 85_000)
    assert (view.order_count, view.total_spent_satang) == (1, 85_000)
    with db.write() as s:
        refunds.refund_order(s, oid, RefundRequest({item: 1}, reason="คืนทั้งหมด"), "owner", at=NOW)
        rfm.recompute(s, NOW)
        assert rfm.scores_of(s, [a]) == {}
        view = customers.get_customer(s, a)
    assert (view.order_count, view.total_spent_satang) == (0, 0)
