"""Shopper ↔ shop delivery through a real relay process: acks, receipts, resume, no loss."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from relay import protocol as p


def test_widget_message_reaches_desktop_and_reply_reaches_widget(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A shopper's text arrives at the desktop once; the shop's reply arrives at the widget;
    both sides get delivered receipts."""

    async def go() -> None:
        r = shop_relay.relay
        desk, welcome = await clients.desktop(r, shop_relay.token)
        assert (welcome.shop_id, welcome.shop_name, welcome.after, welcome.pending) == (
            shop_relay.shop_id,
            "ร้านทดสอบ",
            0,
            0,
        )
        w, ww = await clients.widget(r, shop_relay.shop_id)
        assert ww.presence is p.Presence.ONLINE
        assert ww.history == ()
        assert ww.conversation.startswith("widget:")

        await w.send(p.WidgetSend(clients.text("m-1", "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม")))
        acc = await w.recv_type(p.Accepted)
        assert (acc.id, acc.seq) == ("m-1", 1)

        inbound = await desk.recv_type(p.Inbound)
        assert inbound.seq == 1
        assert inbound.conversation == ww.conversation
        assert inbound.message.id == "m-1"
        assert inbound.message.body == p.Text("สวัสดีค่ะ มีเสื้อยืดสีแดงไหม")
        assert inbound.message.at is not None and inbound.message.at.endswith("Z")
        await desk.send(p.Ack(inbound.seq))
        receipt = await w.recv_type(p.WidgetReceipt)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.DELIVERED, ("m-1",))

        reply = p.Message(
            "r-1",
            p.Text("มีค่ะ ราคา 290 บาท"),
            (p.Button("ดูสินค้า", p.ButtonAction.POSTBACK, data="show=p1"),),
        )
        await desk.send(p.Send(ww.conversation, reply))
        accepted = await desk.recv_type(p.Accepted)
        assert (accepted.id, accepted.conversation) == ("r-1", ww.conversation)
        got = await w.recv_type(p.WidgetMessage)
        assert got.item.seq == 2
        assert got.item.origin is p.Origin.SHOP
        assert got.item.message.body == p.Text("มีค่ะ ราคา 290 บาท")
        assert got.item.message.quick_replies == reply.quick_replies
        await w.send(p.Ack(2))
        rec = await desk.recv_type(p.Receipt)
        assert (rec.conversation, rec.status, rec.ids, rec.seq) == (
            ww.conversation,
            p.ReceiptStatus.DELIVERED,
            ("r-1",),
            2,
        )
        await w.send(p.WidgetRead(2))
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids, rec.seq) == (p.ReceiptStatus.READ, ("r-1",), 3)

        await desk.send(p.Read(ww.conversation, "m-1"))
        receipt = await w.recv_type(p.WidgetReceipt)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.READ, ("m-1",))

        # a repeated id is the same message: accepted again, never delivered twice
        await w.send(p.WidgetSend(clients.text("m-1", "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม")))
        acc = await w.recv_type(p.Accepted)
        assert (acc.id, acc.seq) == ("m-1", 1)
        await desk.send(p.Send(ww.conversation, reply))
        assert (await desk.recv_type(p.Accepted)).id == "r-1"
        await desk.send(p.Ack(3))
        await desk.nothing(0.4, ignore=(p.ShopperTyping,))
        await w.nothing(0.2)
        await w.close()
        await desk.close()

    arun(go())


def test_reload_shows_history_and_typing_flows_both_ways(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A shopper who comes back with the session token sees the conversation so far."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        await w.send(p.WidgetTyping(True))
        typing = await desk.recv_type(p.ShopperTyping)
        assert (typing.conversation, typing.state) == (ww.conversation, True)
        await desk.send(p.Typing(ww.conversation, True))
        assert (await w.recv_type(p.ShopTyping)).state is True

        await w.send(p.WidgetSend(clients.text("a", "ขอดูเสื้อ")))
        await w.recv_type(p.Accepted)
        await desk.send(p.Send(ww.conversation, clients.text("b", "ได้เลยค่ะ")))
        await w.recv_type(p.WidgetMessage)
        await w.close()

        w2, again = await clients.widget(r, shop_relay.shop_id, session=ww.session)
        assert again.conversation == ww.conversation
        assert again.session == ww.session
        assert [(h.seq, h.origin, h.message.id, h.message.body) for h in again.history] == [
            (1, p.Origin.SHOPPER, "a", p.Text("ขอดูเสื้อ")),
            (2, p.Origin.SHOP, "b", p.Text("ได้เลยค่ะ")),
        ]
        # resume after what the page already shows
        w3, partial = await clients.widget(r, shop_relay.shop_id, session=ww.session, after=1)
        assert [h.seq for h in partial.history] == [2]
        # a second tab sees the shopper's own new message
        await w2.send(p.WidgetSend(clients.text("c", "สีแดงไซส์ M")))
        echo = await w3.recv_type(p.WidgetMessage)
        assert (echo.item.seq, echo.item.origin, echo.item.message.id) == (3, p.Origin.SHOPPER, "c")
        for peer in (w2, w3, desk):
            await peer.close()

    arun(go())


def test_desktop_away_queues_in_order_and_resumes_from_last_ack(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """With the desktop closed shoppers see 'away'; on reconnect every message arrives in order,
    unacknowledged ones again after another reconnect, acknowledged ones never again."""

    async def go() -> None:
        r = shop_relay.relay
        w, ww = await clients.widget(r, shop_relay.shop_id)
        assert ww.presence is p.Presence.AWAY
        assert ww.config.away_th.startswith("ตอนนี้ร้านไม่อยู่")
        for i in range(1, 6):
            await w.send(p.WidgetSend(clients.text(f"q{i}", f"ข้อความที่ {i}")))
            assert (await w.recv_type(p.Accepted)).id == f"q{i}"
        await w.send(
            p.WidgetSend(p.Message("contact-1", p.Contact("081-234-5678", "สมชาย", "โทรหลัง 6 โมง")))
        )
        await w.recv_type(p.Accepted)

        desk, welcome = await clients.desktop(r, shop_relay.token)
        assert (welcome.after, welcome.pending) == (0, 6)
        assert (await w.recv_type(p.PresenceNotice)).state is p.Presence.ONLINE
        got = [await desk.recv_type(p.Inbound) for _ in range(6)]
        assert [g.seq for g in got] == [1, 2, 3, 4, 5, 6]
        assert [g.message.id for g in got] == ["q1", "q2", "q3", "q4", "q5", "contact-1"]
        assert got[5].message.body == p.Contact("0812345678", "สมชาย", "โทรหลัง 6 โมง")
        await desk.send(p.Ack(3))
        await asyncio.sleep(0.2)
        await desk.close()
        assert (await w.recv_type(p.PresenceNotice)).state is p.Presence.AWAY

        desk, welcome = await clients.desktop(r, shop_relay.token)
        assert (welcome.after, welcome.pending) == (3, 3)
        assert (await w.recv_type(p.PresenceNotice)).state is p.Presence.ONLINE
        again = [await desk.recv_type(p.Inbound) for _ in range(3)]
        assert [g.message.id for g in again] == ["q4", "q5", "contact-1"]
        await desk.send(p.Ack(6))
        await desk.nothing(0.3)
        await desk.send(p.SetPresence(p.Presence.AWAY))
        assert (await w.recv_type(p.PresenceNotice)).state is p.Presence.AWAY
        await desk.close()

        desk, welcome = await clients.desktop(r, shop_relay.token)
        assert (welcome.after, welcome.pending) == (6, 0)
        await desk.nothing(0.3)
        await desk.close()
        await w.close()

    arun(go())


def test_sigterm_closes_sockets_going_away_and_keeps_queue(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """SIGTERM: sockets close with 1001, exit code 0, queued messages survive the restart."""

    async def go() -> tuple[Any, Any]:
        r = shop_relay.relay
        w, ww = await clients.widget(r, shop_relay.shop_id)
        await w.send(p.WidgetSend(clients.text("k1", "ยังอยู่ไหม")))
        await w.recv_type(p.Accepted)
        loop = asyncio.get_running_loop()
        rc_future = loop.run_in_executor(None, r.stop)
        try:
            while True:
                await w.ws.recv()
        except Exception:
            pass
        assert await rc_future == 0
        return w.ws.close_code, ww

    code, ww = arun(go())
    assert code == 1001
    shop_relay.relay.start()

    async def after() -> None:
        desk, welcome = await clients.desktop(shop_relay.relay, shop_relay.token)
        assert welcome.pending == 1
        got = await desk.recv_type(p.Inbound)
        assert (got.conversation, got.message.id) == (ww.conversation, "k1")
        await desk.close()

    arun(after())


def test_new_desktop_connection_replaces_old(shop_relay: Any, clients: Any, arun: Any) -> None:
    """Only one desktop per shop: a second connection closes the first with 4000."""

    async def go() -> None:
        r = shop_relay.relay
        d1, _ = await clients.desktop(r, shop_relay.token)
        d2, _ = await clients.desktop(r, shop_relay.token)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(d1.ws.recv(), 5)
        assert d1.ws.close_code == 4000
        w, ww = await clients.widget(r, shop_relay.shop_id)
        assert ww.presence is p.Presence.ONLINE
        await w.send(p.WidgetSend(clients.text("x", "hi")))
        assert (await d2.recv_type(p.Inbound)).message.id == "x"
        await d2.close()
        await w.close()

    arun(go())


def test_history_carries_delivered_and_read_ticks(shop_relay: Any, clients: Any, arun: Any) -> None:
    """After a reload the shopper's messages show what the shop has: delivered once the
    desktop acknowledged them, read once it said so, nothing before."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        for mid in ("a1", "a2"):
            await w.send(p.WidgetSend(clients.text(mid, "ขอเลขบัญชีค่ะ")))
        got = [await desk.recv_type(p.Inbound) for _ in range(2)]
        await w.close()

        async def ticks() -> list[tuple[str, p.ReceiptStatus | None]]:
            again, welcome = await clients.widget(r, shop_relay.shop_id, session=ww.session)
            await again.close()
            return [(h.message.id, h.status) for h in welcome.history]

        assert await ticks() == [("a1", None), ("a2", None)]
        await desk.send(p.Ack(got[0].seq))
        await asyncio.sleep(0.2)
        assert await ticks() == [("a1", p.ReceiptStatus.DELIVERED), ("a2", None)]
        await desk.send(p.Read(ww.conversation, "a1"))
        await asyncio.sleep(0.2)
        assert await ticks() == [("a1", p.ReceiptStatus.READ), ("a2", None)]
        await desk.send(p.Ack(got[1].seq))
        await asyncio.sleep(0.2)
        assert await ticks() == [("a1", p.ReceiptStatus.READ), ("a2", p.ReceiptStatus.DELIVERED)]
        await desk.close()

    arun(go())


def test_frames_of_every_size_arrive_whole_from_one_batched_write(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """The relay frames a commit's output itself and writes it at once: short frames, frames
    of 126-65,535 bytes (2-byte length) and a welcome of more than 64 KiB (8-byte length) all
    reach real clients whole and in order, and the desktop gets 15 messages sent in one burst
    in seq order (20 messages in all: the shopper's burst allowance)."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        long_text = "ก" * 5000  # 15,000 bytes of UTF-8 in one frame
        ids = [f"w-{i:02d}" for i in range(15)]
        for mid in ids:
            await w.send(p.WidgetSend(clients.text(mid, long_text if mid == "w-00" else "ค่ะ")))
        got = [await desk.recv_type(p.Inbound) for _ in ids]
        assert [f.message.id for f in got] == ids
        assert [f.seq for f in got] == list(range(got[0].seq, got[0].seq + 15))
        assert got[0].message.body == p.Text(long_text)
        accepted = [await w.recv_type(p.Accepted) for _ in ids]
        assert [a.id for a in accepted] == ids
        for i in range(5):  # the history grows past 64 KiB (6 texts of 15,000 bytes)
            await w.send(p.WidgetSend(clients.text(f"w-big-{i}", long_text)))
            await w.recv_type(p.Accepted)
        await w.close()
        w2, ww2 = await clients.widget(r, shop_relay.shop_id, session=ww.session)
        assert len(p.encode(ww2).encode()) > 65536  # bytes on the wire
        assert [h.message.id for h in ww2.history] == [*ids, *(f"w-big-{i}" for i in range(5))]
        await w2.close()
        await desk.close()

    arun(go())
