"""An order's status and tracking reach the shopper's chat: a real relay process, the desktop's
relay client and a widget shopper on a real WebSocket."""

from __future__ import annotations

from support.bot_shop import make_shop
from support.recorder import Recorder
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import Channel, OrderStatus
from minichat_desktop.domain.sales import order_actions, order_notify, orders
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient


async def test_shipping_with_tracking_reaches_the_shoppers_chat_in_the_shops_words(
    db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> None:
    client, rec = desktop
    ids = make_shop(db)
    await shopper.say("w-1", "สั่งเสื้อ 2 ตัวค่ะ")
    await until(lambda: len(rec.stored) == 1, timeout=10)
    ref = rec.stored[0].conversation.ref
    with db.write() as s:
        order = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(2, variant_id=ids.tee_red_m)],
                customer_name="สมหญิง ใจดี",
                conversation_ref=ref,
            ),
            "owner",
        )
        order_notify.save_templates(
            s, {"shipped": "ส่งแล้วนะคะ {order_number}\n{carrier} {tracking}\n{tracking_url}"}
        )
        order_actions.mark_paid(s, order.id, "owner", tell=True)
        changed = order_actions.ship(
            s, order.id, "owner", carrier="Thailand Post", tracking="EE123456785TH", tell=True
        )
    assert changed.order.status == OrderStatus.SHIPPED
    client.wake()

    paid = await shopper.next_message(timeout=10)
    assert paid["kind"] == "text"
    assert paid["text"] == (
        f"ได้รับชำระเงินออเดอร์ {order.number} จำนวน ฿580 เรียบร้อยแล้วค่ะ ทางร้านจะรีบจัดส่งให้นะคะ 🙏"
    )
    shipped = await shopper.next_message(timeout=10)
    assert (shipped["kind"], shipped["text"]) == (
        "text",
        f"ส่งแล้วนะคะ {order.number}\nThailand Post EE123456785TH\n"
        "https://track.thailandpost.co.th/?trackNumber=EE123456785TH",
    )

    def outbox_empty() -> bool:
        with db.read() as s:
            return not convs.pending_outbox(s)

    await until(outbox_empty, timeout=10)


def test_a_counter_sale_has_no_chat_and_nothing_is_sent(db: Database) -> None:
    ids = make_shop(db)
    with db.write() as s:
        sale = orders.place_order(
            s,
            orders.NewOrder(channel=Channel.POS, lines=[orders.LineInput(1, variant_id=ids.mug)]),
            "staff",
        )
        changed = order_actions.mark_paid(s, sale.id, "owner", tell=True)
        assert changed.told is None
        assert convs.pending_outbox(s) == []
