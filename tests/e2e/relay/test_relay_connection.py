"""The relay process's connection behaviour against hostile or newer peers: lone surrogates
and refused frames come back as ``error`` with the frame's id and the socket stays open;
unknown frame types are skipped without counting toward the 4008 close."""

from __future__ import annotations

import json
from typing import Any

import websockets

from relay import protocol as p

# What a browser sends after cutting "😀" in half: JSON's escape of a lone high surrogate.
SPLIT_EMOJI = "\\ud83d"


def _raw_widget_send(msg_id: str, text_json: str) -> str:
    return f'{{"type":"send","message":{{"id":"{msg_id}","kind":"text","text":"ok {text_json}"}}}}'


def test_lone_surrogate_on_the_widget_socket_is_refused_by_id(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A widget text with a lone surrogate: error bad_frame with ref, the socket stays open,
    nothing is stored or forwarded, and the next message goes through."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        await w.send(_raw_widget_send("w-bad", SPLIT_EMOJI))
        err = await w.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.BAD_FRAME, "w-bad")
        assert err.message == "message.text: not valid unicode (a lone surrogate)"
        await desk.nothing(0.3, ignore=(p.ShopperTyping,))
        await w.send(p.WidgetSend(clients.text("w-good", "สวัสดี 😀")))
        accepted = await w.recv_type(p.Accepted)
        assert (accepted.id, accepted.seq) == ("w-good", 1)  # the bad one took no position
        got = await desk.recv_type(p.Inbound)
        assert (got.message.id, got.message.body) == ("w-good", p.Text("สวัสดี 😀"))
        # a reload shows only the good message
        again, welcome = await clients.widget(r, shop_relay.shop_id, ww.session)
        assert [h.message.id for h in welcome.history] == ["w-good"]
        for peer in (desk, w, again):
            await peer.close()

    arun(go())


def test_lone_surrogate_on_the_desktop_socket_is_refused_by_id(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A desktop send with a lone surrogate: error bad_frame with ref = the message id, the
    socket stays open, the shopper gets nothing, the next send is accepted."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        await w.send(p.WidgetSend(clients.text("w1", "hi")))
        await desk.recv_type(p.Inbound)
        message = f'{{"id":"d-bad","kind":"text","text":"ok {SPLIT_EMOJI}"}}'
        await desk.send(f'{{"type":"send","conversation":"{ww.conversation}","message":{message}}}')
        err = await desk.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.BAD_FRAME, "d-bad")
        # bad JSON still names the id it carried
        await desk.send('{"type":"send","message":{"id":"d-broken","kind":"text","text":"x"')
        err = await desk.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.BAD_FRAME, "d-broken")
        await w.nothing(0.3, ignore=(p.Accepted, p.WidgetReceipt))
        await desk.send(p.Send(ww.conversation, clients.text("d-good", "ได้ค่ะ")))
        accepted = await desk.recv_type(p.Accepted)
        assert accepted.id == "d-good"
        shown = await w.recv_type(p.WidgetMessage)
        assert shown.item.message.id == "d-good"
        for peer in (desk, w):
            await peer.close()

    arun(go())


def test_unknown_frame_types_are_skipped_and_never_close(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """50 frames of a type from a newer version (more than the 20 bad frames that close a
    socket): no error, no close, and the socket still works."""

    async def go() -> None:
        r = shop_relay.relay
        desk, _ = await clients.desktop(r, shop_relay.token)
        w, _ = await clients.widget(r, shop_relay.shop_id)
        for peer in (desk, w):
            for i in range(50):
                await peer.send(json.dumps({"type": "reaction", "id": f"x{i}", "emoji": "👍"}))
        await desk.nothing(0.3)
        await w.nothing(0.3)
        await w.send(p.WidgetSend(clients.text("w1", "ยังอยู่ไหม")))
        assert (await w.recv_type(p.Accepted)).id == "w1"
        assert (await desk.recv_type(p.Inbound)).message.id == "w1"
        for peer in (desk, w):
            await peer.close()

    arun(go())


def test_twenty_bad_frames_in_a_row_still_close_with_4008(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """Refused frames (not unknown types) keep the 20-in-a-row policy; each names its id."""

    async def go() -> None:
        w, _ = await clients.widget(shop_relay.relay, shop_relay.shop_id)
        for i in range(20):
            await w.send(_raw_widget_send(f"b{i}", SPLIT_EMOJI))
        refs = [(await w.recv_type(p.Error)).ref for _ in range(20)]
        assert refs == [f"b{i}" for i in range(20)]
        try:
            await w.recv(2)
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code == 4008
        else:
            raise AssertionError("the socket stayed open")

    arun(go())
