"""The ``ride`` feature's frames and client machine (docs/adr/0011-fewer-frames.md), with no
socket: features in hello/welcome, acks riding in sends, riders in ``with`` lists."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relay import protocol as p
from relay.protocol.connection import ClientSide, LinkPhase, Received

CONV = "widget:AAAAAAAAAAAAAAAA"


def welcome(features: tuple[str, ...] = ()) -> str:
    return p.encode(
        p.DesktopWelcome(1, "s1", "ร้าน", 0, 0, False, p.WidgetConfig(), (), False, features)
    )


def ride_client() -> ClientSide:
    client = ClientSide(features=(p.RIDE,))
    client.hello(0, p.Presence.ONLINE, None)
    client.receive(welcome((p.RIDE,)))
    return client


def test_features_are_offered_and_unknown_names_ignored() -> None:
    """A hello offers features; names this version does not know are dropped, not refused
    (a newer peer may offer more); without the list nothing is offered (version 1)."""
    hello = json.loads(ClientSide(features=(p.RIDE,)).hello(3, p.Presence.ONLINE, "t"))
    assert hello["features"] == ["ride"]
    assert "features" not in json.loads(ClientSide().hello(3, p.Presence.ONLINE, "t"))
    got = p.decode_desktop_frame({"type": "hello", "protocol": [1], "features": ["x", "ride", 7]})
    assert isinstance(got, p.DesktopHello) and got.features == (p.RIDE,)
    widget = p.decode_widget_frame({"type": "hello", "protocol": [1], "features": ["ride"]})
    assert isinstance(widget, p.WidgetHello) and widget.features == (p.RIDE,)
    with pytest.raises(p.ProtocolError, match="features"):
        p.decode_desktop_frame({"type": "hello", "protocol": [1], "features": "ride"})


def test_a_welcome_without_features_is_version_1() -> None:
    """An older relay's welcome has no ``features``: the client does not ride."""
    client = ClientSide(features=(p.RIDE,))
    client.hello(0, p.Presence.ONLINE, None)
    assert not client.ride
    client.receive(welcome())
    assert client.phase is LinkPhase.OPEN and not client.ride
    assert "features" not in json.loads(welcome())
    assert ride_client().ride


def test_acks_ride_in_sends_and_round_trip() -> None:
    desk = p.Send(CONV, p.Message("r-1", p.Text("ตอบ")), ack=12)
    assert json.loads(p.encode(desk))["ack"] == 12
    assert p.decode_desktop_frame(p.encode(desk)) == desk
    assert "ack" not in json.loads(p.encode(p.Send(CONV, p.Message("r-1", p.Text("x")))))
    shopper = p.WidgetSend(p.Message("w-1", p.Text("ถาม")), ack=4, read=4)
    assert p.decode_widget_frame(p.encode(shopper)) == shopper
    with pytest.raises(p.ProtocolError, match="ack"):
        p.decode_widget_frame(
            {"type": "send", "message": {"id": "w", "kind": "text", "text": "a"}, "ack": -1}
        )


def test_riders_come_first_in_their_order_then_the_carrier() -> None:
    accepted = p.encode(p.Accepted("w-1", None, 7))
    tick = p.encode(p.WidgetReceipt(p.ReceiptStatus.DELIVERED, ("w-1",)))
    reply = p.encode_message_frame(
        8, '{"id":"r-1","kind":"text","text":"มีค่ะ"}', origin=p.Origin.SHOP
    )
    text = p.with_riders(reply, [accepted, tick])
    assert json.loads(text)["with"][0]["type"] == "accepted"
    frames = [p.decode_to_widget(o) for o in p.unpack_riders(text)]
    assert [type(f) for f in frames] == [p.Accepted, p.WidgetReceipt, p.WidgetMessage]
    assert p.with_riders(reply, []) == reply
    assert p.unpack_riders(reply) == [json.loads(reply)]


@pytest.mark.parametrize(
    "bad",
    [
        '{"type":"ok","ref":"a","with":{}}',
        '{"type":"ok","ref":"a","with":[1]}',
        '{"type":"ok","ref":"a","with":[{"type":"ok","ref":"b","with":[]}]}',
        '{"type":"ok","ref":"a","with":[' + ",".join(['{"type":"ok","ref":"b"}'] * 65) + "]}",
    ],
)
def test_a_broken_rider_list_is_refused(bad: str) -> None:
    with pytest.raises(p.ProtocolError, match="with"):
        p.unpack_riders(bad)


def test_the_client_acts_on_riders_and_skips_what_it_cannot_read() -> None:
    """Riders are handed out before their carrier; an unreadable rider is skipped with its
    seq (acknowledged past), and a message whose list is broken is skipped whole."""
    client = ride_client()
    inbound = p.encode(p.Inbound(5, CONV, p.Message("m-1", p.Text("ถาม"))))
    future = '{"type":"future","seq":4}'
    got = client.receive_all(p.with_riders(inbound, [p.encode(p.Accepted("r-1", CONV)), future]))
    assert got[0] == Received(p.Accepted("r-1", CONV))
    assert got[1] == Received(None, 4)
    assert isinstance(got[2].frame, p.Inbound) and got[2].frame.seq == 5
    assert client.receive_all('{"type":"receipt","seq":9,"with":7}') == [Received(None, 9)]
    assert client.phase is LinkPhase.OPEN


def test_a_client_without_ride_takes_a_message_whole() -> None:
    """Before the welcome or without ride a ``with`` key is just an unknown field."""
    client = ClientSide()
    client.hello(0, p.Presence.ONLINE, None)
    client.receive(welcome())
    got = client.receive_all(p.with_riders(p.encode(p.Accepted("r-1", CONV)), ['{"type":"x"}']))
    assert got == [Received(p.Accepted("r-1", CONV))]


@given(st.text(max_size=200))
def test_the_riding_client_never_raises_after_welcome(raw: str) -> None:
    client = ride_client()
    client.receive_all(raw)
    client.receive_all(p.with_riders('{"type":"ok","ref":"a"}', [json.dumps({"type": raw})]))
    assert client.phase is LinkPhase.OPEN
