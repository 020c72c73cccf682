"""The owner is told about new orders from chats and about stock running low — once."""

from __future__ import annotations

from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, MovementReason, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database


def _shop(db: Database) -> int:
    with db.write() as s:
        shop.ensure_defaults(s)
        view = catalog.save_product(
            s,
            ProductInput(
                sku="MUG", name_th="แก้วมัค", price_satang=15000, stock=8, low_stock_threshold=3
            ),
            "owner",
        )
    return view.variants[0].id


def _kinds(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as s:
        return [(n.kind, n.title, n.body) for n in reversed(notifications.list_notifications(s))]


def test_chat_order_notifies_counter_sale_does_not(db: Database) -> None:
    _shop(db)
    with db.write() as s:
        o = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.LINE, customer_name="สมชาย", lines=[orders.LineInput(1, sku="MUG")]
            ),
            "bot",
        )
        orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.POS,
                completed=True,
                payment_method=PaymentMethod.CASH,
                lines=[orders.LineInput(1, sku="MUG")],
            ),
            "staff",
        )
    assert _kinds(db) == [("new_order", f"ออเดอร์ใหม่ {o.number}", "สมชาย · ฿150.00")]


def test_low_stock_is_told_once_as_it_crosses_the_threshold(db: Database) -> None:
    vid = _shop(db)
    with db.write() as s:
        stock.adjust_stock(s, vid, -4, MovementReason.ADJUSTMENT, "staff", "แตก")  # 8 → 4
    assert _kinds(db) == []
    with db.write() as s:
        stock.adjust_stock(s, vid, -1, MovementReason.ADJUSTMENT, "staff", "แตก")  # 4 → 3
        stock.adjust_stock(s, vid, -1, MovementReason.ADJUSTMENT, "staff", "แตก")  # 3 → 2
    assert _kinds(db) == [("low_stock", "สต็อกใกล้หมด: แก้วมัค", "เหลือ 3 ชิ้น · MUG")]
    with db.write() as s:
        stock.adjust_stock(s, vid, 10, MovementReason.ADJUSTMENT, "staff", "ของเข้า")  # 2 → 12
        orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.POS,
                completed=True,
                payment_method=PaymentMethod.CASH,
                lines=[orders.LineInput(12, sku="MUG")],
            ),
            "staff",
        )
    # out of stock is said as such, not "running low" (seen by the outside review)
    assert _kinds(db)[-1] == ("low_stock", "สินค้าหมด: แก้วมัค", "ไม่เหลือในสต็อก · MUG")


def test_read_and_unread(db: Database) -> None:
    with db.write() as s:
        a = notifications.notify(s, notifications.NotificationKind.NEW_MESSAGE, "นก", "สวัสดี")
        notifications.notify(s, notifications.NotificationKind.PAYMENT_SLIP, "นก", "[รูปภาพ]")
        assert notifications.unread_count(s) == 2
        notifications.mark_read(s, [a.id])
        assert notifications.unread_count(s) == 1
        assert [n.read for n in notifications.list_notifications(s)] == [False, True]
        notifications.mark_read(s)
        assert notifications.unread_count(s) == 0


def test_notifications_keep_english_words_for_an_owner_reading_in_english(db: Database) -> None:
    """A new order and stock running out read in English too (issue 16: the panel stayed Thai
    in English mode); a notification made before, with no English, shows its Thai."""
    vid = _shop(db)
    with db.write() as s:
        o = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.LINE, customer_name="สมชาย", lines=[orders.LineInput(8, sku="MUG")]
            ),
            "bot",
        )
        notifications.notify(s, notifications.NotificationKind.BACKUP, "แบบเก่า", "ไทยเท่านั้น")
    del vid
    with db.read() as s:
        seen = {n.kind: n for n in notifications.list_notifications(s)}
    new_order, out, old = seen["new_order"], seen["low_stock"], seen["backup"]
    assert (new_order.title_in("en"), new_order.body_in("en")) == (
        f"New order {o.number}",
        "สมชาย · ฿1,200.00",
    )
    assert new_order.title_in("th") == f"ออเดอร์ใหม่ {o.number}"
    assert (out.title_in("en"), out.body_in("en")) == ("Out of stock: แก้วมัค", "None left · MUG")
    assert (old.title_in("en"), old.body_in("en")) == ("แบบเก่า", "ไทยเท่านั้น")
