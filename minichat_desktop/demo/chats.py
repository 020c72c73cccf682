"""Believable conversations for the demo shop's inbox (widget and LINE, every state), so a
new user sees what the inbox looks like before the first real shopper writes."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import ConversationStatus, Order, OrderStatus
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.storage.db import Database
from relay import protocol as p

_CHATS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    # (conversation ref, customer name, state, [(who, text)])  who: in / bot / owner
    (
        "widget:demoNokShop01",
        "นก",
        "active",
        [
            ("in", "สวัสดีค่ะ มีเสื้อยืดสีแดงไหมคะ"),
            ("bot", "สวัสดีค่ะ มีค่ะ เสื้อยืดสีแดง ลายช้างไทย ราคา 290 บาท มีไซส์ S ถึง XL ค่ะ"),
            ("in", "ไซส์ M เหลือไหมคะ ราคาเท่าไหร่"),
        ],
    ),
    (
        "line:U4af4980629dem0c0ffee0123456789ab",
        "Somchai J.",
        "human",
        [
            ("in", "โอนแล้วนะครับ ออเดอร์ MC-2026-000210"),
            ("in", "[slip]"),
            ("owner", "ได้รับแล้วค่ะ ขอบคุณมากค่ะ จะจัดส่งพรุ่งนี้เช้านะคะ"),
            ("in", "ขอบคุณครับ 🙏"),
        ],
    ),
    (
        "widget:demoPloyShop02",
        "พลอย",
        "escalated",
        [
            ("in", "ได้ของแล้วแต่ไซส์ผิดค่ะ สั่ง L ได้ M มา"),
            ("bot", "ขออภัยค่ะ ส่งเรื่องให้เจ้าหน้าที่ดูแลต่อแล้วนะคะ"),
        ],
    ),
    (
        "line:U9bd1c2e3f4a5b6c7d8e9f0a1b2c3d4e5",
        "Mint",
        "resolved",
        [
            ("in", "ส่งของวันไหนคะ"),
            ("bot", "ร้านจัดส่งทุกวันจันทร์ถึงเสาร์ ตัดรอบบ่ายสองโมงค่ะ"),
            ("in", "โอเคค่ะ ขอบคุณค่ะ"),
        ],
    ),
    (
        "widget:demoGuestShop03",
        "",
        "active",
        [
            ("in", "<b>ลดราคา</b> ไหมคะ?"),
        ],
    ),
]


def _demo_slip(session: Session, data_dir: Path, said: str, at: dt.datetime, sender: str) -> str:
    """A real slip picture for the order the shopper names in ``said`` (its amount), kept in
    the data folder: the path the chat shows it from."""
    from minichat_desktop.demo.slip_picture import write_demo_slip
    from minichat_desktop.domain.shop import get_profile

    number = re.search(r"MC-\d{4}-\d{6}", said)
    total = (
        session.scalar(select(Order.total_satang).where(Order.number == number.group()))
        if number
        else None
    )
    path, _sha, _payload = write_demo_slip(
        data_dir, total or 44_300, at, get_profile(session).name, sender
    )
    return path


def fill_demo_chats(db: Database, now: dt.datetime | None = None) -> int:
    """Add the demo conversations (once; returns how many were added)."""
    now = now or dt.datetime.now(dt.UTC)
    added = 0
    with db.write() as s:
        for n, (ref, name, state, lines) in enumerate(_CHATS):
            if convs.find_conversation(s, ref) is not None:
                continue
            added += 1
            start = now - dt.timedelta(hours=5 - n, minutes=7 * n)
            conv_id = None
            for i, (who, text) in enumerate(lines):
                at = start + dt.timedelta(minutes=2 * i)
                if who == "in":
                    body: dict[str, object] = {"id": f"demo{n}-{i}", "kind": "text", "text": text}
                    if text == "[slip]":
                        body = {
                            "id": f"demo{n}-{i}",
                            "kind": "image",
                            "caption": "สลิปโอนเงิน",
                            "url": _demo_slip(s, Path(db.path).parent, lines[i - 1][1], at, name),
                        }
                    rec = convs.record_inbound(s, ref, body, at)
                    assert rec is not None
                    conv_id = rec.conversation.id
                    if name and rec.conversation.customer_id is not None and i == 0:
                        customers.update_customer(
                            s, rec.conversation.customer_id, "demo", name=name
                        )
                else:
                    assert conv_id is not None
                    if state == "human" and who == "owner":
                        convs.take_over(s, conv_id, "เจ้าของร้าน")
                    msg = convs.queue_outgoing(
                        s, conv_id, p.Text(text), "bot" if who == "bot" else "เจ้าของร้าน", at=at
                    )
                    convs.mark_accepted(s, [msg.uid])
                    convs.apply_receipt(s, ref, "read", [msg.uid])
            assert conv_id is not None
            if state in ("escalated", "resolved"):
                convs.set_status(s, conv_id, ConversationStatus(state))
            if state == "resolved":
                convs.mark_read(s, conv_id)
        # Demo history is not for sending: nothing of it waits in the outbox.
        convs.mark_accepted(s, [uid for uid, _ in convs.pending_outbox(s)])
    return added


# The chats the demo's chat orders came from: the shopper asks, the bot answers, the shopper
# confirms, the bot confirms the order. Orders of the last six hours get none, so the live
# chats above stay at the top of the inbox.
_ASKS = (
    "สวัสดีค่ะ {name} ยังมีไหมคะ",
    "{name} ราคาเท่าไหร่คะ",
    "สนใจ {name} ค่ะ มีของพร้อมส่งไหม",
    "Hi, is the {name} still available?",
    "ขอดู {name} หน่อยครับ",
)
_CONFIRMS = ("CF {qty} ค่ะ", "เอา {qty} ชิ้นค่ะ", "สั่งเลยครับ {qty} ชิ้น", "I'll take {qty}, thanks")
_QUIET_HOURS = 6
_LIVE_REFS = frozenset(ref for ref, *_ in _CHATS)  # never given an order history


def fill_order_chats(db: Database, now: dt.datetime | None = None, seed: int = 11) -> int:
    """Give every demo order placed from a chat (``conversation_ref``) the few messages that
    led to it, resolved and read, so the dashboard's chat conversion and bot figures and the
    customers' histories have something to show. Returns how many orders got a chat."""
    now = now or dt.datetime.now(dt.UTC)
    rng = random.Random(seed)
    quiet = now - dt.timedelta(hours=_QUIET_HOURS)
    done = 0
    with db.write() as s:
        placed = s.scalars(
            select(Order)
            .where(Order.conversation_ref != "", Order.status != OrderStatus.CANCELLED)
            .options(selectinload(Order.items))
            .order_by(Order.created_at)
        ).all()
        touched: set[int] = set()
        for order in placed:
            at = order.created_at
            if at >= quiet or not order.items or order.conversation_ref in _LIVE_REFS:
                continue
            item = order.items[0]
            name = item.name.split(" (")[0]
            start = at - dt.timedelta(minutes=rng.randint(3, 25))
            ref = order.conversation_ref
            english = rng.random() < 0.15
            ask = _ASKS[3] if english else rng.choice([a for a in _ASKS if not a.startswith("Hi")])
            rec = convs.record_inbound(
                s,
                ref,
                {"id": f"o{order.id}-1", "kind": "text", "text": ask.format(name=name)},
                start,
            )
            if rec is None:
                continue
            conv = rec.conversation.id
            touched.add(conv)
            price = format_baht(item.unit_price_satang)
            reply = (
                f"Yes, {name} is in stock: ฿{price}. How many would you like?"
                if english
                else f"มีค่ะ {name} ราคา {price} บาท รับกี่ชิ้นดีคะ"
            )
            _bot(s, conv, reply, start + dt.timedelta(seconds=rng.randint(2, 6)))
            confirm = _CONFIRMS[3] if english else rng.choice(_CONFIRMS[:3])
            convs.record_inbound(
                s,
                ref,
                {"id": f"o{order.id}-2", "kind": "text", "text": confirm.format(qty=item.quantity)},
                at - dt.timedelta(seconds=40),
            )
            total = format_baht(order.total_satang)
            thanks = (
                f"Thank you! Order {order.number}, ฿{total}. Pay by PromptPay or transfer."
                if english
                else f"ขอบคุณค่ะ ออเดอร์ {order.number} ยอด {total} บาท ชำระผ่านพร้อมเพย์หรือโอนได้เลยค่ะ"
            )
            _bot(s, conv, thanks, at + dt.timedelta(seconds=5))
            done += 1
        for conv in touched:
            convs.set_status(s, conv, ConversationStatus.RESOLVED)
            convs.mark_read(s, conv)
        convs.mark_accepted(s, [uid for uid, _ in convs.pending_outbox(s)])
    return done


def _bot(s: Session, conversation_id: int, text: str, at: dt.datetime) -> None:
    msg = convs.queue_outgoing(s, conversation_id, p.Text(text), "bot", at=at)
    convs.mark_accepted(s, [msg.uid])


def prepare_demo_shop(db: Database) -> bool:
    """The whole demo: shop, catalog, customers, orders (``demo.fill_demo_shop``), the chats
    above and the default canned replies, with the sales bot switched on so the demo shows it
    selling (a real shop starts with it off). Does nothing to a database that has products;
    returns whether it filled one."""
    from minichat_desktop.demo import shop as demo
    from minichat_desktop.domain.bot.engine import set_bot_enabled
    from minichat_desktop.domain.catalog import products as catalog

    with db.read() as s:
        empty = not catalog.list_products(s, limit=1)
    if empty:
        demo.fill_demo_shop(db)
        fill_order_chats(db)
        fill_demo_chats(db)
        with db.write() as s:
            # Sixty days of history made notifications; a new user starts with the latest few.
            latest = [n.id for n in notifications.list_notifications(s, limit=5)]
            notifications.mark_read(s)
            notifications.mark_unread(s, latest)
            set_bot_enabled(s, True)
    with db.write() as s:
        convs.ensure_default_canned(s)
    return empty
