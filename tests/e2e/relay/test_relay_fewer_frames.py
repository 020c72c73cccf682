"""The negotiated ``ride`` feature (docs/adr/0011-fewer-frames.md) through a real relay
process and real WebSocket clients: a relayed round trip in at most 5 frames with every
guarantee kept, and peers of version 1 behaviour (old widgets, old desktops, an old relay)
working unchanged next to new ones."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from support.relay_proc import add_shop

from relay import protocol as p

# The relay's holds are made generous so that a loaded machine gives the same count.
GENEROUS = {"MINICHAT_RELAY_RIDE_HOLD_MS": "3000"}


class Counting:
    """A client socket that counts WebSocket messages both ways and hands out the frames
    they hold (riders first, then the carrier), decoded with ``decode``; ``log`` keeps every
    frame received, in the order they are to be acted on."""

    def __init__(self, ws: Any, decode: Any) -> None:
        self.ws, self.decode = ws, decode
        self.sent = self.received = 0
        self.riders = 0  # frames that came riding on another
        self.carried: list[Any] = []  # frames read but not yet handed out
        self.log: list[Any] = []
        self.raw: list[dict[str, Any]] = []  # every message received, as JSON

    async def send(self, frame: Any) -> None:
        self.sent += 1
        await self.ws.send(frame if isinstance(frame, str) else p.encode(frame))

    async def recv(self, timeout: float = 20) -> Any:
        if not self.carried:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            self.received += 1
            self.raw.append(json.loads(raw))
            objs = p.unpack_riders(raw)
            self.riders += len(objs) - 1
            self.carried = [self.decode(o) for o in objs]
            self.log += self.carried
        return self.carried.pop(0)

    async def recv_type(self, cls: type, timeout: float = 20) -> Any:
        while True:
            frame = await self.recv(timeout)
            if isinstance(frame, cls):
                return frame

    async def until(self, done: Any, timeout: float = 20) -> None:
        """Read frames until ``done(self.log)`` holds."""
        while not done(self.log):
            await self.recv(timeout)

    def of(self, cls: type) -> list[Any]:
        return [f for f in self.log if isinstance(f, cls)]

    @property
    def frames(self) -> int:
        return self.sent + self.received


async def _open(url: str, decode: Any, hello: Any, headers: dict[str, str] | None = None) -> Any:
    ws = await websockets.connect(url, additional_headers=headers, compression=None)
    peer = Counting(ws, decode)
    await peer.send(hello)
    welcome = await peer.recv()
    assert peer.raw[0]["type"] == "welcome" and p.RIDERS not in peer.raw[0]  # always alone
    peer.sent = peer.received = 0  # the handshake is not part of a round trip
    return peer, welcome


async def desktop(relay: Any, token: str, ride: bool, after: int = 0) -> tuple[Counting, Any]:
    features = (p.RIDE,) if ride else ()
    hello = p.DesktopHello((1,), "tests", after, p.Presence.ONLINE, features)
    return await _open(
        f"{relay.ws}/ws/desktop", p.decode_to_desktop, hello, {"Authorization": f"Bearer {token}"}
    )


async def widget(relay: Any, shop_id: str, ride: bool) -> tuple[Counting, Any]:
    hello = p.WidgetHello((1,), None, 0, None, (p.RIDE,) if ride else ())
    return await _open(f"{relay.ws}/ws/widget?shop={shop_id}", p.decode_to_widget, hello)


def _text(mid: str, body: str) -> p.Message:
    return p.Message(mid, p.Text(body))


async def _round_trips(desk: Counting, w: Counting, conv: str, n: int, ride: bool) -> list[Any]:
    """``n`` round trips as the real clients make them in a steady chat: the shopper writes
    when the reply came, the desktop answers every message at once. Returns what each side
    saw: [(frames of the trip, shopper accepted ids+seqs, delivered ids, reply seq)...]."""
    trips = []
    shop_ack: int | None = None  # the widget's ack of the last reply, riding in its next send
    stream_top = 0
    for i in range(n):
        before = desk.frames + w.frames
        send = p.WidgetSend(_text(f"m-{i}", f"ข้อความที่ {i}"), ack=shop_ack if ride else None)
        await w.send(send)
        inbound = await desk.recv_type(p.Inbound)
        assert inbound.message.id == f"m-{i}" and inbound.seq > stream_top
        stream_top = inbound.seq
        if ride:
            await desk.send(p.Send(conv, _text(f"r-{i}", f"ตอบ {i}"), ack=stream_top))
        else:
            await desk.send(p.Ack(stream_top))
            await desk.send(p.Send(conv, _text(f"r-{i}", f"ตอบ {i}")))
        got = await w.recv_type(p.WidgetMessage)
        assert (got.item.message.id, got.item.origin) == (f"r-{i}", p.Origin.SHOP)
        shop_ack = got.item.seq
        if not ride:
            await w.send(p.Ack(shop_ack))
        trips.append(desk.frames + w.frames - before)
    return trips


def _ids(frames: list[Any], status: p.ReceiptStatus | None = None) -> list[str]:
    return [i for f in frames if status is None or f.status is status for i in f.ids]


def test_a_round_trip_takes_at_most_five_frames_and_keeps_every_tick(
    relay_factory: Any, arun: Any
) -> None:
    """Both clients offer ride: each round trip is at most 5 WebSocket
    messages (4 here: the send, the desktop's one, its reply, the widget's one), and every
    notice still arrives, in order, once: the shopper's accepted (with its seq) and delivered
    ticks, the desktop's accepted and delivered receipts; the riding acks were stored."""
    r = relay_factory(env=GENEROUS)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    n = 8

    async def go() -> None:
        desk, dwel = await desktop(r, token, ride=True)
        w, wwel = await widget(r, shop_id, ride=True)
        assert dwel.features == (p.RIDE,) and wwel.features == (p.RIDE,)
        trips = await _round_trips(desk, w, wwel.conversation, n, ride=True)
        assert max(trips) <= 5, trips
        print("ride: WebSocket messages per round trip:", trips)
        assert w.riders > 0 and desk.riders > 0
        assert [(a.id, a.seq) for a in w.of(p.Accepted)] == [
            (f"m-{i}", 2 * i + 1) for i in range(n)
        ]
        # the last reply's ack has nothing to ride in: the widget sends it alone
        await w.send(p.Ack(2 * n))
        await w.until(lambda log: len(_ids(w.of(p.WidgetReceipt))) == n)
        assert _ids(w.of(p.WidgetReceipt)) == [f"m-{i}" for i in range(n)]
        await desk.until(lambda log: len(desk.of(p.Accepted)) == n)
        assert [a.id for a in desk.of(p.Accepted)] == [f"r-{i}" for i in range(n)]
        delivered = p.ReceiptStatus.DELIVERED
        await desk.until(lambda log: len(_ids(desk.of(p.Receipt), delivered)) == n)
        assert _ids(desk.of(p.Receipt), delivered) == [f"r-{i}" for i in range(n)]
        seqs = [f.seq for f in desk.log if getattr(f, "seq", 0)]
        assert seqs == sorted(set(seqs))  # the stream: in order, each item once
        # the acks that rode in the sends were stored: a new desktop resumes after them
        top = seqs[-1]
        await desk.send(p.Ack(top))
        await w.ws.close()
        await desk.ws.close()
        again, welcome = await desktop(r, token, ride=True)
        assert (welcome.after, welcome.pending) == (top, 0)
        await again.ws.close()

    arun(go())


@pytest.mark.parametrize(
    ("desk_ride", "widget_ride", "relay_ride"),
    [
        (False, False, True),  # old desktop and old widget, new relay
        (True, False, True),  # new desktop, old widget
        (False, True, True),  # old desktop, new widget
        (True, True, False),  # new clients, a relay that does not grant ride (as an old one)
    ],
)
def test_peers_without_ride_keep_version_1_behaviour(
    relay_factory: Any, arun: Any, desk_ride: bool, widget_ride: bool, relay_ride: bool
) -> None:
    """Whoever did not get ride gets every frame alone, as before (no ``features`` in its
    welcome, no ``with`` list, an ``accepted`` and an ack frame of their own); the other side
    may still ride. Every message and notice arrives either way."""
    r = relay_factory(env={} if relay_ride else {"MINICHAT_RELAY_RIDE": "0"})
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    d_on, w_on = desk_ride and relay_ride, widget_ride and relay_ride
    n = 4

    async def go() -> None:
        desk, dwel = await desktop(r, token, ride=desk_ride)
        w, wwel = await widget(r, shop_id, ride=widget_ride)
        assert dwel.features == ((p.RIDE,) if d_on else ())
        assert wwel.features == ((p.RIDE,) if w_on else ())
        conv = wwel.conversation
        shop_ack: int | None = None
        for i in range(n):
            await w.send(p.WidgetSend(_text(f"m-{i}", "ถามค่ะ"), ack=shop_ack if w_on else None))
            inbound = await desk.recv_type(p.Inbound)
            if d_on:
                await desk.send(p.Send(conv, _text(f"r-{i}", "ตอบค่ะ"), ack=inbound.seq))
            else:
                await desk.send(p.Ack(inbound.seq))
                await desk.send(p.Send(conv, _text(f"r-{i}", "ตอบค่ะ")))
            shop_ack = (await w.recv_type(p.WidgetMessage)).item.seq
            if not w_on:
                await w.send(p.Ack(shop_ack))
        await w.send(p.Ack(shop_ack or 0))
        await w.until(lambda log: len(_ids(w.of(p.WidgetReceipt))) == n)
        await desk.until(lambda log: len(desk.of(p.Accepted)) == n)
        delivered = p.ReceiptStatus.DELIVERED
        await desk.until(lambda log: len(_ids(desk.of(p.Receipt), delivered)) == n)
        assert [a.id for a in w.of(p.Accepted)] == [f"m-{i}" for i in range(n)]
        assert _ids(w.of(p.WidgetReceipt)) == [f"m-{i}" for i in range(n)]
        assert [a.id for a in desk.of(p.Accepted)] == [f"r-{i}" for i in range(n)]
        assert _ids(desk.of(p.Receipt), delivered) == [f"r-{i}" for i in range(n)]
        for peer, on in ((desk, d_on), (w, w_on)):
            if not on:  # version 1 on the wire: one frame per message
                assert all(p.RIDERS not in obj for obj in peer.raw)
                assert peer.riders == 0
        await w.ws.close()
        await desk.ws.close()

    arun(go())


def test_a_riding_ack_counts_even_when_its_send_is_refused(relay_factory: Any, arun: Any) -> None:
    """A send the relay refuses after reading it (a rate limit) still delivers the ack that
    rode in it: the shop sees "delivered" for its reply."""
    r = relay_factory("--shopper-burst", "1", "--shopper-rate", "0.01", env=GENEROUS)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()

    async def go() -> None:
        desk, _ = await desktop(r, token, ride=True)
        w, wwel = await widget(r, shop_id, ride=True)
        await w.send(p.WidgetSend(_text("m-0", "ถามค่ะ")))
        inbound = await desk.recv_type(p.Inbound)
        await desk.send(p.Send(wwel.conversation, _text("r-0", "ตอบค่ะ"), ack=inbound.seq))
        seq = (await w.recv_type(p.WidgetMessage)).item.seq
        await w.send(p.WidgetSend(_text("m-1", "อีกข้อค่ะ"), ack=seq))
        err = await w.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.RATE_LIMITED, "m-1")
        receipt = await desk.recv_type(p.Receipt)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.DELIVERED, ("r-0",))
        await w.ws.close()
        await desk.ws.close()

    arun(go())


def test_a_backlog_resumes_after_the_welcome_packed_in_order(relay_factory: Any, arun: Any) -> None:
    """What waited while the desktop was away comes after a welcome that goes alone, packed
    into few messages, every item once and in order; acking the last one empties the queue."""
    r = relay_factory("--shopper-rate", "0", env=GENEROUS)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    n = 600  # about 1 MB: more than one write and one page of the relay's stream pump
    long = "ข้อความยาว " * 40

    async def go() -> None:
        w, _ = await widget(r, shop_id, ride=False)
        for i in range(n):
            await w.send(p.WidgetSend(_text(f"m-{i}", f"{long}{i}")))
        await w.until(lambda log: len(w.of(p.Accepted)) == n)
        desk, welcome = await desktop(r, token, ride=True)
        assert welcome.pending == n
        await desk.until(lambda log: len(desk.of(p.Inbound)) == n)
        assert [f.message.id for f in desk.of(p.Inbound)] == [f"m-{i}" for i in range(n)]
        assert [f.seq for f in desk.of(p.Inbound)] == list(range(1, n + 1))
        assert desk.received < n / 4  # packed (up to 65 frames, about 64 K characters)
        await desk.send(p.Ack(n))
        await desk.ws.close()
        again, welcome = await desktop(r, token, ride=True)
        assert (welcome.after, welcome.pending) == (n, 0)
        await again.ws.close()
        await w.ws.close()

    arun(go())


def test_receipts_riding_on_a_message_survive_a_kill_9(relay_factory: Any, arun: Any) -> None:
    """The widget's ack and read mark of the reply rode in its next message, so the reply's
    "delivered" and "read" receipts are stored on that message's row (schema 4), not on rows
    of their own. Killed with SIGKILL before the desktop acked any, the restarted relay gives
    the desktop the very same receipts and message, in the same order under the same seqs."""
    r = relay_factory(env=GENEROUS)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()

    def tail(log: list[Any], after: int) -> list[Any]:
        return [f for f in log if isinstance(f, p.Receipt | p.Inbound) and f.seq > after]

    async def go() -> None:
        desk, _ = await desktop(r, token, ride=True)
        w, wwel = await widget(r, shop_id, ride=True)
        await w.send(p.WidgetSend(_text("m-0", "ถามค่ะ")))
        first = await desk.recv_type(p.Inbound)
        await desk.send(p.Send(wwel.conversation, _text("r-0", "ตอบค่ะ"), ack=first.seq))
        reply = (await w.recv_type(p.WidgetMessage)).item.seq
        await w.send(p.WidgetSend(_text("m-1", "อีกข้อค่ะ"), ack=reply, read=reply))
        await desk.until(lambda log: any(isinstance(f, p.Inbound) for f in tail(log, first.seq)))
        live = tail(desk.log, first.seq)
        conv, at = wwel.conversation, first.seq
        assert live[:2] == [
            p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-0",), at + 1),
            p.Receipt(conv, p.ReceiptStatus.READ, ("r-0",), at + 2),
        ]
        assert (live[2].message.id, live[2].seq) == ("m-1", at + 3)
        await asyncio.get_running_loop().run_in_executor(None, r.kill)
        await w.ws.close()
        await desk.ws.close()
        await asyncio.get_running_loop().run_in_executor(None, r.start)

        again, welcome = await desktop(r, token, ride=True, after=first.seq)
        assert (welcome.after, welcome.pending) == (first.seq, 3)
        await again.until(lambda log: len(tail(log, first.seq)) == 3)
        assert tail(again.log, first.seq) == live
        await again.ws.close()

    arun(go())
