"""Recommendations: the seed's scoring on a hand-made catalog, cards and template phrasing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from minichat_desktop.domain import shop
from minichat_desktop.domain.bot import recommend as rec
from minichat_desktop.domain.bot.context import ConversationContext
from minichat_desktop.domain.bot.nlu import classify
from minichat_desktop.domain.bot.recommend import Criteria
from minichat_desktop.domain.bot.templates import phrase_recommendations
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.models import Channel, MovementReason, OrderStatus, ProductReview
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales.refunds import RefundRequest
from minichat_desktop.storage.db import Database
from relay import protocol as p

COLOUR, SIZE = "สี", "ไซส์"


@dataclass(frozen=True)
class Shop:
    ids: dict[str, int]  # SKU → product id
    variants: dict[str, int]  # variant SKU → variant id


def _variants(sku: str, rows: list[tuple[str, str, int]]) -> list[catalog.VariantInput]:
    return [
        catalog.VariantInput(sku=f"{sku}-{c}-{s}", options={COLOUR: c, SIZE: s}, stock=n)
        for c, s, n in rows
    ]


@pytest.fixture
def tees(db: Database) -> Shop:
    """Four tees and a bag:

    - TA plain tee ฿199, red/black × M/L in stock; 30 sold; rated 3.
    - TB cat tee ฿350, white M; rated 5 and 5.
    - TC vintage tee ฿250, red M, none in stock.
    - TD premium tee ฿890, red M/L; 500 sold (sales points capped).
    - BG tote ฿290 (another category), 1 sold in an order later cancelled.
    """
    with db.write() as s:
        shop.ensure_defaults(s)
        made = {}
        specs = [
            ("TA", "เสื้อยืดสีพื้น", 19_900, [("แดง", "M", 40), ("แดง", "L", 40), ("ดำ", "M", 5)]),
            ("TB", "เสื้อยืดลายแมว", 35_000, [("ขาว", "M", 9)]),
            ("TC", "เสื้อยืดวินเทจ", 25_000, [("แดง", "M", 0)]),
            ("TD", "เสื้อยืดพรีเมียม", 89_000, [("แดง", "M", 600), ("แดง", "L", 3)]),
        ]
        for sku, name, price, rows in specs:
            made[sku] = catalog.save_product(
                s,
                catalog.ProductInput(
                    sku=sku,
                    name_th=name,
                    price_satang=price,
                    category="เสื้อยืด",
                    option_names=[COLOUR, SIZE],
                    variants=_variants(sku, rows),
                    compare_at_satang=39_000 if sku == "TB" else None,
                    images=["https://shop.example/ta.jpg"] if sku == "TA" else ["local/tb.jpg"],
                ),
                "t",
            )
        made["BG"] = catalog.save_product(
            s,
            catalog.ProductInput(
                sku="BG", name_th="กระเป๋าผ้า", price_satang=29_000, category="กระเป๋า", stock=5
            ),
            "t",
        )
        for sku, qty in (("TA-แดง-M", 30), ("TD-แดง-M", 500)):
            orders.place_order(
                s,
                orders.NewOrder(channel=Channel.LINE, lines=[orders.LineInput(qty, sku=sku)]),
                "t",
            )
        cancelled = orders.place_order(
            s, orders.NewOrder(channel=Channel.LINE, lines=[orders.LineInput(1, sku="BG")]), "t"
        )
        orders.change_status(s, cancelled.id, OrderStatus.CANCELLED, "t")
        for sku, rating in (("TA", 3), ("TB", 5), ("TB", 5)):
            s.add(ProductReview(product_id=made[sku].id, rating=rating))
        s.flush()
        return Shop(
            {k: v.id for k, v in made.items()},
            {v.sku: v.id for pv in made.values() for v in pv.variants},
        )


Recommend = Callable[[Session, Criteria, int], list[rec.Recommendation]]


@pytest.fixture(params=["sql", "index"])
def recommend(request: pytest.FixtureRequest) -> Recommend:
    """Both ways of ranking: SQL aggregates now, or a RecommendIndex built now."""

    def run(session: Session, criteria: Criteria, limit: int = 3) -> list[rec.Recommendation]:
        index = rec.RecommendIndex.load(session) if request.param == "index" else None
        return rec.recommend(session, criteria, limit, index=index)

    return run


def order(
    db: Database, recommend: Recommend, criteria: Criteria, limit: int = 3
) -> list[tuple[str, float]]:
    with db.read() as s:
        return [(r.sku, r.score) for r in recommend(s, criteria, limit)]


def test_scoring_follows_the_seed(db: Database, tees: Shop, recommend: Recommend) -> None:
    """Category 15 + price 30 + colour 20 + sales 0.1/unit + stock 10 + 5/star."""
    got = order(db, recommend, Criteria(category="เสื้อยืด", color="แดง", price_max=30_000))
    # TA: 15 + 30 + 20 + 3 (30 sold) + 10 + 15 (3 stars); TC: 15 + 30 + 20, nothing in stock.
    # TB (฿350) and TD (฿890) are over budget and dropped, since two products fit.
    assert got == [("TA", 93.0), ("TC", 65.0)]


def test_without_a_budget_sales_are_capped_so_fit_still_counts(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    got = order(db, recommend, Criteria(category="เสื้อยืด", color="แดง", size="L"), limit=4)
    # TD: 15 + 20 + 20 + 20 (500 sold, capped) + 10; TA: 15 + 20 + 20 + 3 + 10 + 15;
    # TB: 15 + 10 + 25; TC: 15 + 20 (no L, nothing in stock).
    assert got == [("TD", 85.0), ("TA", 83.0), ("TB", 50.0), ("TC", 35.0)]


def test_cancelled_orders_are_not_sales(db: Database, tees: Shop, recommend: Recommend) -> None:
    with db.read() as s:
        [bag] = recommend(s, Criteria(category="กระเป๋า"))
    assert (bag.sku, bag.units_sold, bag.reasons) == ("BG", 0, ("category", "stock"))


def test_a_named_product_comes_first_with_alternatives(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    got = order(db, recommend, Criteria(product_ids=(tees.ids["TC"],)))
    # Alternatives by the seed's points alone: TB 10 + 25, TD 20 + 10, TA 3 + 10 + 15.
    assert got == [("TC", 60.0), ("TB", 35.0), ("TD", 30.0)]


def test_when_nothing_fits_the_budget_the_closest_are_offered(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    with db.read() as s:
        recs = recommend(s, Criteria(category="เสื้อยืด", price_max=10_000))
    # Partly scored by closeness (30 × budget / price, halved): TB 4.3 + 35, TA 7.5 + 28,
    # TD 1.7 + 30; TC (6.0, nothing in stock) comes last.
    assert [(r.sku, r.fits_price) for r in recs] == [("TB", False), ("TA", False), ("TD", False)]
    assert phrase_recommendations(recs, "th").count("เกินงบเล็กน้อย") == 3


def test_with_nothing_to_go_on_sales_stock_and_rating_decide(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    got = order(db, recommend, Criteria(), limit=5)
    assert got == [("TB", 35.0), ("TD", 30.0), ("TA", 28.0), ("BG", 10.0), ("TC", 0.0)]


def test_recommendation_facts_come_from_the_database(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    with db.read() as s:
        [ta] = recommend(s, Criteria(product_ids=(tees.ids["TA"],), color="ดำ"), 1)
        [tb] = recommend(s, Criteria(product_ids=(tees.ids["TB"],)), 1)
    assert (ta.price_satang, ta.stock, ta.in_stock, ta.units_sold) == (
        19_900,
        55,
        True,
        30,
    )  # 30 reserved by the order
    assert (ta.rating, ta.review_count) == (Decimal("3.0"), 1)
    assert ta.variant_id == tees.variants["TA-ดำ-M"]  # the one black option
    assert ta.options == {COLOUR: ("แดง", "ดำ"), SIZE: ("M", "L")}
    assert (tb.rating, tb.compare_at_satang, tb.variant_id) == (
        Decimal("5.0"),
        39_000,
        tees.variants["TB-ขาว-M"],
    )


def test_inactive_and_excluded_products_are_never_offered(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    with db.write() as s:
        catalog.set_product_active(s, tees.ids["TD"], False, "t")
    got = order(db, recommend, Criteria(category="เสื้อยืด", exclude_ids=(tees.ids["TA"],)), limit=5)
    assert [sku for sku, _ in got] == ["TB", "TC"]


def test_criteria_from_a_message_and_the_context() -> None:
    ctx = ConversationContext(1, focus=(5,), interested_products=(5, 9), size="M", color="ดำ")
    c = Criteria.from_classification(classify("งบ 300 มีสีแดงไหม"), ctx)
    assert c == Criteria(product_ids=(5, 9), price_max=30_000, color="แดง", size="M")
    assert Criteria.from_context(ctx).product_ids == (5, 9)


def test_cards_follow_the_protocol(db: Database, tees: Shop, recommend: Recommend) -> None:
    with db.read() as s:
        recs = recommend(s, Criteria(category="เสื้อยืด", color="แดง", size="M"))
    cards = rec.to_cards(recs, "th")
    for card in cards:
        assert p.Card.from_obj(card.to_obj(), "card.") == card  # valid on the wire
    # TD 15 + 20 + 20 + 20 + 10, TA 15 + 20 + 20 + 3 + 10 + 15, TB 15 + 20 (M) + 10 + 25.
    assert [(r.sku, r.score) for r in recs] == [("TD", 85.0), ("TA", 83.0), ("TB", 70.0)]
    td, ta, tb = cards
    assert (td.title, td.price_satang, td.in_stock) == ("เสื้อยืดพรีเมียม", 89_000, True)
    assert td.buttons[0].data == f"cart:add:{tees.variants['TD-แดง-M']}"
    assert ta.image_url == "https://shop.example/ta.jpg"
    assert tb.image_url is None  # a local picture stays off cards (LINE needs https)
    assert tb.compare_at_satang == 39_000
    with db.read() as s:
        [tc] = rec.to_cards(recommend(s, Criteria(product_ids=(tees.ids["TC"],)), 1))
    assert (tc.in_stock, tc.subtitle) == (False, "สินค้าหมดชั่วคราว")
    assert [b.data for b in tc.buttons] == [f"product:detail:{tees.ids['TC']}"]
    message = rec.to_message(recs, "th", "แนะนำค่ะ")
    assert isinstance(message, p.Carousel) and len(message.cards) == 3
    assert isinstance(rec.to_message(recs[:1], "en"), p.ProductCard)
    assert rec.to_message([], "th") is None


def test_options_button_when_the_option_is_not_known(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    with db.read() as s:
        [ta] = recommend(s, Criteria(product_ids=(tees.ids["TA"],)), 1)
    [card] = rec.to_cards([ta], "en")
    assert [(b.label, b.data) for b in card.buttons] == [
        ("Choose option", f"product:options:{tees.ids['TA']}"),
        ("Details", f"product:detail:{tees.ids['TA']}"),
    ]


def test_template_phrasing_states_only_database_prices(
    db: Database, tees: Shop, recommend: Recommend
) -> None:
    criteria = Criteria(category="เสื้อยืด", color="แดง", price_max=30_000)
    with db.read() as s:
        recs = recommend(s, criteria)
    th = phrase_recommendations(recs, "th", criteria)
    assert th.splitlines() == [
        "แนะนำเสื้อยืด สีแดง งบไม่เกิน ฿300 ให้ 2 ตัวเลือกค่ะ",
        "1. เสื้อยืดสีพื้น — ฿199 · ★ 3.0",
        "2. เสื้อยืดวินเทจ — ฿250 · สินค้าหมดชั่วคราว",
        "ถูกใจตัวไหน กด “ใส่ตะกร้า” ได้เลย หรือสอบถามเพิ่มเติมได้นะคะ",
    ]
    en = phrase_recommendations(recs[:1], "en")
    assert en.splitlines()[:2] == ["Here is our pick:", "1. เสื้อยืดสีพื้น — ฿199 · ★ 3.0"]
    assert "ขออภัย" in phrase_recommendations([], "th", criteria)
    assert "Sorry" in phrase_recommendations([], "en")


def test_an_empty_catalog_recommends_nothing(db: Database, recommend: Recommend) -> None:
    with db.read() as s:
        assert recommend(s, Criteria()) == []
        assert recommend(s, Criteria(category="เสื้อยืด", color="แดง")) == []


def test_index_is_rebuilt_when_stock_sales_or_reviews_change(db: Database, tees: Shop) -> None:
    with db.read() as s:
        index = rec.RecommendIndex.load(s)
        assert len(index) == 5
        assert index.refreshed(s) is index
    with db.write() as s:
        stock.adjust_stock(
            s, tees.variants["TC-แดง-M"], 4, MovementReason.ADJUSTMENT, "t", note="counted"
        )
    with db.read() as s:
        assert index.refreshed(s, max_age=60) is index  # a recent check is trusted
        fresh = index.refreshed(s)
        assert fresh is not index
        [tc] = rec.recommend(s, Criteria(product_ids=(tees.ids["TC"],)), 1, index=fresh)
    assert (tc.in_stock, tc.reasons) == (True, ("named", "stock"))
    with db.write() as s:
        s.add(ProductReview(product_id=tees.ids["BG"], rating=4))
    with db.read() as s:
        assert fresh.refreshed(s) is not fresh


def test_cards_show_current_stock_even_from_an_old_index(db: Database, tees: Shop) -> None:
    """The index only ranks; what a card states is read when the answer is made."""
    with db.read() as s:
        index = rec.RecommendIndex.load(s)
    with db.write() as s:
        stock.adjust_stock(
            s, tees.variants["TB-ขาว-M"], -9, MovementReason.ADJUSTMENT, "t", note="counted"
        )
    with db.read() as s:
        [tb] = rec.recommend(s, Criteria(product_ids=(tees.ids["TB"],)), 1, index=index)
    assert (tb.sku, tb.stock, tb.in_stock) == ("TB", 0, False)


def test_units_given_back_are_not_sales(db: Database, tees: Shop, recommend: Recommend) -> None:
    """TA's 30 units, paid, then 20 returned by a partial refund: 10 units sold, +1 not +3
    (both with the SQL aggregates and with an index built after the refund)."""
    with db.write() as s:
        placed = [orders.get_order(s, o.id) for o in orders.list_orders(s)]
        [ta_order] = [o for o in placed if o.items[0].sku == "TA-แดง-M"]
        orders.mark_paid(s, ta_order.id, "t")
        item = ta_order.items[0].id
        refunds.refund_order(s, ta_order.id, RefundRequest({item: 20}, reason="ชำรุด"), "t")
    got = order(db, recommend, Criteria(category="เสื้อยืด", color="แดง", price_max=30_000))
    # TA: 15 + 30 + 20 + 1 (10 kept) + 10 + 15; TC as before
    assert got == [("TA", 91.0), ("TC", 65.0)]
