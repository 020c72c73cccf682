"""The connection state machines (relay/protocol/connection.py), fed text and close codes
with no socket: handshake, bad-frame policy, unknown frames, close-code actions, backoff."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relay import protocol as p
from relay.protocol.connection import (
    CLIENT_ACTIONS,
    MAX_BAD_FRAMES,
    Action,
    ClientSide,
    CloseCode,
    LinkPhase,
    Outcome,
    Phase,
    Received,
    RelaySide,
    WelcomeRefused,
    action_for,
)

HELLO = p.encode(p.DesktopHello((1,), "tests", 0))
CONV = "widget:AAAAAAAAAAAAAAAA"


def relay_side() -> RelaySide:
    machine = RelaySide(p.decode_desktop_frame, p.DesktopHello, "desktop s1")
    out = machine.receive_hello(HELLO)
    assert isinstance(out.frame, p.DesktopHello) and out.reply is None and out.close is None
    return machine


def send_text(msg_id: str, text: str) -> str:
    return json.dumps(
        {
            "type": "send",
            "conversation": CONV,
            "message": {"id": msg_id, "kind": "text", "text": text},
        }
    )


def welcome(after: int = 0) -> str:
    return p.encode(p.DesktopWelcome(1, "s1", "ร้าน", after, 0, False, p.WidgetConfig(), ()))


# ---------------------------------------------------------------------------- relay side


def test_relay_side_takes_hello_and_picks_the_version() -> None:
    """hello with versions [1, 7] opens the socket with version 1."""
    machine = RelaySide(p.decode_desktop_frame, p.DesktopHello)
    out = machine.receive_hello(p.encode(p.DesktopHello((1, 7))))
    assert machine.phase is Phase.OPEN and machine.version == 1
    assert isinstance(out.frame, p.DesktopHello) and out.close is None


@pytest.mark.parametrize(
    ("first", "code", "error"),
    [
        (p.encode(p.Ack(3)), CloseCode.POLICY, p.ErrorCode.BAD_FRAME),
        (None, CloseCode.POLICY, p.ErrorCode.BAD_FRAME),
        ('{"type":"zap"}', CloseCode.POLICY, p.ErrorCode.BAD_FRAME),
        (p.encode(p.DesktopHello((9,))), CloseCode.UNSUPPORTED, p.ErrorCode.UNSUPPORTED_VERSION),
    ],
)
def test_a_first_frame_that_is_not_a_usable_hello_closes(
    first: str | None, code: CloseCode, error: p.ErrorCode
) -> None:
    """Not hello (or a binary frame, or an unknown type) → 4008; no common version → 4002."""
    machine = RelaySide(p.decode_desktop_frame, p.DesktopHello)
    out = machine.receive_hello(first)
    assert out.close is not None and out.close.code is code
    assert out.reply is not None and out.reply.code is error
    assert machine.phase is Phase.CLOSED and out.frame is None


def test_no_hello_in_time_closes_with_4008() -> None:
    out = RelaySide(p.decode_widget_frame, p.WidgetHello).hello_timeout()
    assert out.close is not None and (out.close.code, out.close.reason) == (4008, "no hello")


def test_a_lone_surrogate_is_refused_with_the_message_id() -> None:
    """A text holding "\\ud800" is bad_frame with ref = the message id, not an exception."""
    machine = relay_side()
    raw = send_text("m-1", "ok \ud800 no")
    assert "\\ud800" in raw  # JSON's escape, as a browser sends a split emoji
    out = machine.receive(raw)
    assert out.frame is None and out.close is None and out.reply is not None
    assert out.reply.code is p.ErrorCode.BAD_FRAME and out.reply.ref == "m-1"
    assert "not valid unicode" in out.reply.message
    # a well-formed frame after it is taken
    good = machine.receive(send_text("m-2", "สวัสดี 😀"))
    assert isinstance(good.frame, p.Send) and good.frame.message.id == "m-2"


def test_surrogates_anywhere_are_refused_keys_included() -> None:
    for raw in (
        '{"type":"send","conversation":"widget:AAAAAAAAAAAAAAAA","message":{"id":"m","kind":"text","text":"a","\\udc00":1}}',
        '{"type":"typing","conversation":"widget:AAAAAAAAAAAAAAAA","state":true,"x":["\\ud83d"]}',
    ):
        with pytest.raises(p.ProtocolError, match=r"not valid unicode|a key is not valid"):
            p.decode_desktop_frame(raw)
    # a proper pair, escaped, is one emoji and fine
    frame = p.decode_desktop_frame(
        send_text("m", "").replace('"text": ""', '"text": "\\ud83d\\ude00"')
    )
    assert isinstance(frame, p.Send) and frame.message.body == p.Text("😀")


def test_the_id_is_found_even_when_the_frame_does_not_decode() -> None:
    assert p.ref_of('{"type":"send","message":{"id":"m-7","kind":"nope"}}') == "m-7"
    assert p.ref_of('{"type":"set_widget_config","ref":"cfg-1","config":5}') == "cfg-1"
    assert p.ref_of('{"type":"send","message":{"id":"m-8","text":"broken') == "m-8"
    assert p.ref_of('{"type":"send","message":{"id":"bad id!"}}') is None
    assert p.ref_of(b"\xff\xfe") is None


def test_twenty_refused_frames_in_a_row_close_with_4008() -> None:
    machine = relay_side()
    for i in range(MAX_BAD_FRAMES - 1):
        out = machine.receive(send_text(f"m{i}", ""))
        assert out.reply is not None and out.reply.ref == f"m{i}" and out.close is None
    out = machine.receive_binary()
    assert out.close is not None and out.close.code is CloseCode.POLICY
    assert out.close.reason == "too many bad frames" and machine.phase is Phase.CLOSED
    assert machine.receive(p.encode(p.Ack(1))).frame is None  # nothing after the close


def test_a_handled_frame_breaks_the_run_of_refusals() -> None:
    machine = relay_side()
    for _ in range(MAX_BAD_FRAMES - 1):
        machine.receive("{")
    machine.receive(p.encode(p.Ack(1)))
    machine.handled()
    for _ in range(MAX_BAD_FRAMES - 1):
        assert machine.receive("{").close is None
    assert machine.refused == 2 * (MAX_BAD_FRAMES - 1)


def test_unknown_frame_types_are_skipped_not_refused_not_counted() -> None:
    """A newer peer's frame types pass without an error and never lead to 4008."""
    machine = relay_side()
    for i in range(3 * MAX_BAD_FRAMES):
        out = machine.receive(json.dumps({"type": "future_thing", "n": i}))
        assert out == Outcome(skipped="future_thing")
    assert machine.skipped == 3 * MAX_BAD_FRAMES and machine.bad_in_a_row == 0
    assert machine.phase is Phase.OPEN


def test_a_second_hello_is_refused() -> None:
    machine = relay_side()
    out = machine.receive(HELLO)
    assert out.reply is not None and out.reply.message == "type: hello was already received"


def test_a_refusal_by_the_handler_carries_the_id() -> None:
    machine = relay_side()
    raw = send_text("m-9", "hi")
    out = machine.refuse(p.ProtocolError("message: too large", "too_large"), raw)
    assert out.reply == p.Error(p.ErrorCode.TOO_LARGE, "message: too large", "m-9")


def test_acks_only_move_forward_and_replacement_is_4000() -> None:
    machine = relay_side()
    machine.receive(p.encode(p.Ack(5)))
    machine.receive(p.encode(p.Ack(3)))
    assert machine.acked == 5
    assert machine.replaced().code is CloseCode.REPLACED
    failed = machine.storage_failed()
    assert failed.close is not None and failed.close.code is CloseCode.INTERNAL_ERROR
    assert failed.reply is not None and failed.reply.code is p.ErrorCode.INTERNAL
    removed = machine.shop_removed().close
    assert removed is not None and removed.code is CloseCode.UNAUTHORIZED


def test_text_limits_count_utf16_units_like_line() -> None:
    """5000 UTF-16 units pass; 2500 emoji (5000 units) pass; 2501 emoji do not."""
    p.decode_desktop_frame(send_text("a", "ก" * 5000))
    p.decode_desktop_frame(send_text("a", "😀" * 2500))
    with pytest.raises(p.ProtocolError, match=r"^message.text: too long \(max 5000\)$"):
        p.decode_desktop_frame(send_text("a", "😀" * 2501))
    assert p.utf16_len("a😀ก") == 4


@given(st.text(max_size=50))
def test_utf16_len_is_what_javascript_counts(text: str) -> None:
    if not p.lone_surrogate(text):
        assert p.utf16_len(text) == len(text.encode("utf-16-le")) // 2


@given(st.text(max_size=40))
def test_any_text_is_either_taken_or_refused_with_its_id(text: str) -> None:
    """Whatever the text (lone surrogates included), the machine never raises."""
    machine = relay_side()
    raw = json.dumps(
        {"type": "send", "conversation": CONV, "message": {"id": "m", "kind": "text", "text": text}}
    )
    out = machine.receive(raw)
    if out.frame is None:
        assert out.reply is not None and out.reply.ref == "m"
    else:
        assert isinstance(out.frame, p.Send) and out.frame.message.body == p.Text(text)


# ---------------------------------------------------------------------------- client side


def test_client_hello_then_welcome_opens() -> None:
    client = ClientSide()
    hello = json.loads(client.hello(42, p.Presence.AWAY, "tests"))
    assert hello == {
        "type": "hello",
        "protocol": [1],
        "client": "tests",
        "after": 42,
        "presence": "away",
    }
    assert client.phase is LinkPhase.WELCOME
    got = client.receive(welcome(42))
    assert isinstance(got.frame, p.DesktopWelcome) and client.phase is LinkPhase.OPEN


def test_an_error_instead_of_welcome_is_welcome_refused() -> None:
    client = ClientSide()
    client.hello(0, p.Presence.ONLINE, None)
    with pytest.raises(WelcomeRefused, match="the relay refused us: no"):
        client.receive(p.encode(p.Error(p.ErrorCode.UNSUPPORTED_VERSION, "no")))


def test_client_skips_what_it_cannot_read_and_keeps_the_position() -> None:
    """Unknown frame types and stream items, bad fields, a second welcome: skipped, never
    raised; a skipped stream item's seq is reported so the client acks past it."""
    client = ClientSide()
    client.hello(0, p.Presence.ONLINE, None)
    client.receive(welcome())
    assert client.receive('{"type":"future","seq":7,"x":1}').seq == 7
    assert client.receive('{"type":"future"}') == Received(None, None)
    bad_item = {
        "type": "message",
        "seq": 8,
        "conversation": CONV,
        "message": {"id": "x", "kind": "hologram"},
    }
    got = client.receive(json.dumps(bad_item))
    assert got.frame is None and got.seq == 8
    assert client.receive(welcome()).frame is None
    assert client.skipped == 4 and client.phase is LinkPhase.OPEN
    ok = client.receive(p.encode(p.Accepted("m1", CONV)))
    assert ok.frame == p.Accepted("m1", CONV)


def test_client_acks_only_forward() -> None:
    client = ClientSide()
    client.hello(5, p.Presence.ONLINE, None)
    assert client.ack(5) is None
    assert client.ack(9) == '{"type":"ack","seq":9}'
    assert client.ack(7) is None


def test_every_close_code_has_one_action() -> None:
    assert {c: action_for(c) for c in CloseCode} == dict(CLIENT_ACTIONS)
    assert action_for(4000) is Action.WAIT_FOR_OWNER
    assert action_for(4001) is Action.ASK_TOKEN
    assert action_for(4002) is Action.UPDATE
    assert action_for(4008) is Action.RECONNECT
    assert action_for(None) is Action.RECONNECT
    assert action_for(4999) is Action.RECONNECT  # a code from a newer relay


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (4000, "another MiniChat is connected for this shop"),
        (4001, "the relay refused the shop token"),
        (4002, "this MiniChat is too old for the relay; update it"),
    ],
)
def test_stop_codes_wait_for_the_owner(code: int, reason: str) -> None:
    client = ClientSide(random=lambda: 0.0)
    decision = client.closed(code)
    assert decision.delay is None and decision.reason == reason
    assert client.phase is LinkPhase.STOPPED
    client.resume()  # the owner pressed "Save and reconnect"
    assert client.phase is LinkPhase.IDLE and client.attempt == 0


def test_backoff_doubles_to_the_cap_with_jitter_bounds() -> None:
    """base 1 s, cap 30 s: 2, 4, 8, 16, 30, 30 s × 0.5 at random 0 and × 1.5 at random → 1."""
    low = ClientSide(base=1.0, cap=30.0, random=lambda: 0.0)
    high = ClientSide(base=1.0, cap=30.0, random=lambda: 1.0 - 1e-12)
    lows = [low.closed(1001).delay for _ in range(6)]
    highs = [high.closed(1006).delay for _ in range(6)]
    assert lows == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert highs == pytest.approx([3.0, 6.0, 12.0, 24.0, 45.0, 45.0])


@given(st.floats(min_value=0.0, max_value=1.0, exclude_max=True), st.integers(0, 40))
def test_every_delay_is_within_half_and_one_and_a_half_of_the_step(r: float, n: int) -> None:
    client = ClientSide(base=0.5, cap=30.0, random=lambda: r)
    for _ in range(n):
        client.failed("relay unreachable")
    step = min(30.0, 0.5 * 2.0**n)
    delay = client.delay()
    assert 0.5 * step <= delay <= 1.5 * step


def test_a_welcome_resets_the_backoff() -> None:
    client = ClientSide(base=1.0, random=lambda: 0.5)
    for _ in range(4):
        client.failed("timeout")
    client.hello(0, p.Presence.ONLINE, None)
    client.receive(welcome())
    assert client.attempt == 0 and client.closed(1001).delay == 2.0


def test_a_frame_over_the_limit_is_too_large_with_its_id() -> None:
    """The limit counts UTF-8 bytes: 100 Thai letters are 300 bytes."""
    machine = RelaySide(p.decode_desktop_frame, p.DesktopHello, max_frame=300)
    machine.receive_hello(HELLO)
    out = machine.receive(send_text("m-big", "ก" * 100))
    assert out.reply == p.Error(p.ErrorCode.TOO_LARGE, "frame: too large (max 300 bytes)", "m-big")
    assert out.close is None and machine.bad_in_a_row == 1
    assert isinstance(machine.receive(send_text("m-ok", "ก" * 10)).frame, p.Send)


@given(st.text(max_size=200) | st.from_regex(r'\{"type":"(send|ack|typing|x)",.{0,80}\}'))
def test_the_relay_side_never_raises_whatever_arrives(raw: str) -> None:
    """Any text at all: a frame to act on, a refusal, or a skip — never an exception."""
    out = relay_side().receive(raw)
    assert (out.frame is not None) + (out.reply is not None) + (out.skipped is not None) == 1


@given(st.text(max_size=200))
def test_the_client_side_never_raises_after_welcome(raw: str) -> None:
    """Whatever the relay sends after the welcome, the session stays open."""
    client = ClientSide()
    client.hello(0, p.Presence.ONLINE, None)
    client.receive(welcome())
    client.receive(raw)
    assert client.phase is LinkPhase.OPEN


@given(st.text(min_size=0, max_size=60), st.integers(0, 40))
def test_fit_text_cuts_within_the_limit_between_code_points(text: str, limit: int) -> None:
    """What the desktop cuts (templates, bot replies) fits the relay's UTF-16 count and is a
    prefix of the text that splits no surrogate pair and strands no combining mark."""
    cut = p.fit_text(text, limit)
    assert text.startswith(cut) and p.utf16_len(cut) <= limit
    assert not p.lone_surrogate(cut)
    if p.utf16_len(text) <= limit:
        assert cut == text
    elif cut:
        assert unicodedata.category(text[len(cut)]) not in ("Mn", "Mc", "Me")


def test_fit_text_counts_an_emoji_as_two() -> None:
    assert p.fit_text("😀😀😀", 5) == "😀😀"
    assert p.fit_text("ก้าว", 2) == "ก้"  # the tone mark stays with its letter
    assert p.fit_text("ก้าว", 1) == ""  # never a letter without its mark


def test_unescaped_frames_skip_the_walk_but_not_its_refusals() -> None:
    """Most frames have no ``\\u`` escape and few brackets, so no string in them can be a lone
    surrogate and the relay does not walk them; a surrogate in the text itself, or nesting
    too deep, is refused all the same."""
    message = {"id": "m-1", "kind": "text", "text": "สวัสดี 😀 [ok] {x}"}
    plain = json.dumps({"type": "send", "message": message}, ensure_ascii=False)
    assert "\\u" not in plain
    frame = p.decode_widget_frame(plain)
    assert isinstance(frame, p.WidgetSend) and frame.message.body == p.Text("สวัสดี 😀 [ok] {x}")
    with pytest.raises(p.ProtocolError, match="not valid unicode"):
        p.decode_widget_frame(plain.replace("ok", "ok \ud800"))  # no escape: in the text
    deep = plain[:-1] + ',"x":' + "[" * 3000 + "]" * 3000 + "}"
    with pytest.raises(p.ProtocolError, match="nested too deeply"):
        p.decode_widget_frame(deep)
