"""The relay's fast frame path (relay/fastframes.py) answers exactly as relay.protocol does.

Generated frames, valid and nearly so (Thai, emoji, lone surrogates, huge and negative
numbers, floats and booleans where integers belong, keys missing, extra or twice, ``\\u``
escapes, odd whitespace, broken JSON), go through both decoders: the same frame (same
classes, equal field by field) or the same error (class, text, code). The encoders give the
same text as relay.protocol's. And the common frames do take the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay import fastframes as ff
from relay import protocol as p

TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม",
            "มีค่ะ ราคา 290 บาท",
            "😀👍🏽 ok",
            "   ",
            "",
            "a:b:c",
            'say "hi" \\ /',
            "line\nbreak\ttab",
            "\x00\x1f\x7f\u2028\u2029",
            "\ud800",
            "ok \udfff",
            "ก" * 2500,
            "ก" * 5001,
            "😀" * 2500,
            "😀" * 2501,
            "a" * 5000,
            "a" * 5001,
        ]
    ),
)
IDS = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9._:~-]{1,64}\Z"),
    st.sampled_from(["", "a" * 65, "a b", "x\n", "é", "re-b1-2", "\ud800", "id:1:2"]),
    TEXTS,
)
CONVERSATIONS = st.one_of(
    st.from_regex(r"\Awidget:[A-Za-z0-9_-]{8,64}\Z"),
    st.sampled_from(
        [
            "line:U" + "0123456789abcdef" * 2,
            "messenger:123456",
            "comment:12_34",
            "widget:short",
            "widget:abcdefgh\n",
            "email:x",
        ]
    ),
    TEXTS,
)
NUMBERS = st.one_of(
    st.integers(min_value=-3, max_value=2**53 + 2),
    st.integers(),
    st.sampled_from([0, 1, 2**53, 2**53 + 1, -1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1.0, 0.0, 2.5, -0.0]),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
ODD = st.one_of(
    st.none(), st.booleans(), NUMBERS, TEXTS, st.just([]), st.just({}), st.just([1, "a"])
)
GOOD_TEXTS = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
GOOD_IDS = st.from_regex(r"\A[A-Za-z0-9._:~-]{1,64}\Z")
GOOD_CONVERSATIONS = st.from_regex(r"\Awidget:[A-Za-z0-9_-]{8,64}\Z")
GOOD_SEQS = st.integers(min_value=0, max_value=2**53)


def mostly[T](good: st.SearchStrategy[T], odd: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``good`` nine times in ten: most frames are near a valid one, not far off."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else good)


KINDS = st.sampled_from(["text", "text", "text", "image", "sticker", "product_card", "", "TEXT"])
TYPES = st.sampled_from(["send", "send", "ack", "read", "typing", "hello", "receipt", "x"])
EXTRA_KEYS = st.sampled_from(["at", "quick_replies", "human", "extra", "seq", "type", "Type"])

Pairs = list[tuple[str, Any]]


@st.composite
def messages(draw: st.DrawFn) -> Pairs:
    pairs: Pairs = [
        ("id", draw(mostly(GOOD_IDS, IDS))),
        ("kind", draw(mostly(st.just("text"), KINDS))),
        ("text", draw(mostly(GOOD_TEXTS, TEXTS))),
    ]
    if draw(st.integers(0, 9)) == 0:
        pairs.append(("at", draw(st.one_of(st.none(), TEXTS))))
    if draw(st.integers(0, 19)) == 0:
        pairs.append(("quick_replies", draw(st.sampled_from([[], None, [{"label": "x"}]]))))
    return pairs


@st.composite
def frames(draw: st.DrawFn) -> Pairs:
    """A frame as key-value pairs (a key may come twice), mostly of a shape the fast path
    takes, often slightly off."""
    ftype = draw(TYPES)
    pairs: Pairs = [("type", ftype)]
    if draw(st.booleans()):
        pairs.append(("conversation", draw(mostly(GOOD_CONVERSATIONS, CONVERSATIONS))))
    if ftype == "send":
        pairs.append(("message", draw(messages()) if draw(st.integers(0, 9)) else draw(ODD)))
        for key in ("ack", "read"):
            if draw(st.booleans()):
                pairs.append((key, draw(mostly(GOOD_SEQS, NUMBERS))))
        if draw(st.integers(0, 3)) == 0:
            pairs.append(("human", draw(mostly(st.booleans(), ODD))))
    elif ftype in ("ack", "read"):
        pairs.append(("seq", draw(mostly(GOOD_SEQS, NUMBERS))))
        if draw(st.booleans()):
            pairs.append(("up_to", draw(mostly(GOOD_IDS, IDS))))
    elif ftype == "typing" and draw(st.booleans()):
        pairs.append(("state", draw(mostly(st.booleans(), ODD))))
    if draw(st.integers(0, 5)) == 0:
        pairs.append((draw(EXTRA_KEYS), draw(ODD)))
    if draw(st.integers(0, 5)) == 0:
        key, value = draw(st.sampled_from(pairs))
        pairs.append((key, draw(st.sampled_from([value, 7, "send", "a:b"]))))
    if draw(st.integers(0, 7)) == 0:
        pairs.pop(draw(st.integers(0, len(pairs) - 1)))
    return draw(st.permutations(pairs)) if draw(st.integers(0, 4)) == 0 else pairs


def to_json(value: Any, ensure_ascii: bool, spaced: bool) -> str:
    """JSON text of ``value`` with objects given as pair lists (so keys can repeat)."""
    colon, comma = (": ", ", ") if spaced else (":", ",")
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        inner = comma.join(
            json.dumps(k, ensure_ascii=ensure_ascii) + colon + to_json(v, ensure_ascii, spaced)
            for k, v in value
        )
        return "{" + inner + "}"
    return json.dumps(value, ensure_ascii=ensure_ascii, separators=(comma, colon))


@st.composite
def frame_texts(draw: st.DrawFn) -> str:
    ascii_only = draw(st.integers(0, 4)) == 0
    text = to_json(draw(frames()), ascii_only, draw(st.booleans()))
    mutation = draw(st.integers(0, 19))
    if mutation == 0 and text:  # a character in, out or changed
        at = draw(st.integers(0, len(text) - 1))
        add = draw(st.sampled_from(["", " ", "\t", "\x0b", "\xa0", ",", ":", '"', "}", "\\", "0"]))
        text = text[:at] + add + text[at + draw(st.integers(0, 1)) :]
    elif mutation == 1:
        text = draw(st.sampled_from([" ", "\n", "\ufeff", "x", "[", ""])) + text
    elif mutation == 2:
        text += draw(st.sampled_from([" ", "\r\n", "x", "{}", ",", "\x00"]))
    return text


def outcome(decode: Callable[[Any], Any], data: Any) -> tuple[Any, ...]:
    """What a decoder does with ``data``: its frame, or the error it raises, told apart
    strictly (``True`` is not ``1``; the class of every frame and error counts)."""
    try:
        frame = decode(data)
    except p.UnknownFrame as exc:
        return ("unknown", str(exc), exc.code, exc.type, exc.seq)
    except p.ProtocolError as exc:
        return ("error", type(exc), str(exc), exc.code)
    return ("ok", type(frame), repr(frame), frame)


@settings(max_examples=1500, deadline=None)
@given(frame_texts())
def test_the_fast_widget_decoder_answers_as_the_protocol_does(text: str) -> None:
    """decode_widget_frame: the same frame or the same error for any generated text."""
    assert outcome(ff.decode_widget_frame, text) == outcome(p.decode_widget_frame, text)


@settings(max_examples=1500, deadline=None)
@given(frame_texts())
def test_the_fast_desktop_decoder_answers_as_the_protocol_does(text: str) -> None:
    """decode_desktop_frame: the same frame or the same error for any generated text."""
    assert outcome(ff.decode_desktop_frame, text) == outcome(p.decode_desktop_frame, text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=80), st.text(max_size=80)))
def test_any_text_or_bytes_decodes_as_in_the_protocol(data: bytes | str) -> None:
    """Arbitrary bytes and text (not JSON, mostly): the same errors both ways."""
    assert outcome(ff.decode_widget_frame, data) == outcome(p.decode_widget_frame, data)
    assert outcome(ff.decode_desktop_frame, data) == outcome(p.decode_desktop_frame, data)


def test_a_dict_or_bytes_frame_is_decoded_by_the_protocol() -> None:
    """A frame given as a dict or as bytes goes to the protocol's decoder and decodes alike."""
    obj = {"type": "ack", "seq": 4}
    assert ff.decode_widget_frame(obj) == p.Ack(4)
    assert ff.decode_desktop_frame(json.dumps(obj).encode()) == p.Ack(4)
    assert ff.fast_widget_frame(obj) is None
    assert ff.fast_desktop_frame(b'{"type":"ack","seq":4}') is None


PLAIN_TEXTS = GOOD_TEXTS.filter(lambda t: t.strip() != "")
PLAIN_IDS = GOOD_IDS.filter(lambda t: not t.endswith("\n"))


@settings(max_examples=300, deadline=None)
@given(
    PLAIN_IDS,
    PLAIN_TEXTS,
    st.none() | GOOD_SEQS,
    st.none() | GOOD_SEQS,
    st.booleans(),
    GOOD_CONVERSATIONS,
)
def test_the_frames_of_a_round_trip_take_the_fast_path(
    msg_id: str, text: str, ack: int | None, read: int | None, spaced: bool, conversation: str
) -> None:
    """A send (acks riding or not), an ack, a read and typing, as the widget and the desktop
    write them, are decoded without the protocol's decoder, to the protocol's frame."""
    sep = (", ", ": ") if spaced else (",", ":")
    message = p.Message(msg_id, p.Text(text))
    widget: list[p.WidgetFrame] = [
        p.WidgetSend(message, ack, read),
        p.Ack(ack or 0),
        p.WidgetRead(read or 0),
        p.WidgetTyping(spaced),
    ]
    desktop: list[p.DesktopFrame] = [
        p.Send(conversation, message, spaced, ack),
        p.Ack(ack or 0),
        p.Read(conversation, msg_id),
        p.Typing(conversation, spaced),
    ]
    for frame in widget:
        text_in = json.dumps(frame.to_obj(), ensure_ascii=False, separators=sep)
        assert ff.fast_widget_frame(text_in) == frame == p.decode_widget_frame(text_in)
    for shop_frame in desktop:
        text_in = json.dumps(shop_frame.to_obj(), ensure_ascii=False, separators=sep)
        assert ff.fast_desktop_frame(text_in) == shop_frame == p.decode_desktop_frame(text_in)


EMOJI_2501 = "😀" * 2501  # 2,501 code points, 5,002 UTF-16 units
CONV = "widget:abcdefgh"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"x"},"ack":1,"ack":2}',
            "json: duplicate key 'ack'",
        ),
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"x:y","text":"z"}}',
            "json: duplicate key 'text'",
        ),
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"a\\u003ab"},"ack":1,"ack":2}',
            "json: duplicate key 'ack'",
        ),
        ('{"type":"ack","seq":1.0}', "seq: must be an integer"),
        ('{"type":"ack","seq":true}', "seq: must be an integer"),
        ('{"type":"ack","seq":9007199254740993}', "seq: out of range (0..9007199254740992)"),
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"\\ud800"}}',
            "message.text: not valid unicode (a lone surrogate)",
        ),
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"  "}}',
            "message.text: must not be empty",
        ),
        (
            '{"type":"send","message":{"id":"a","kind":"text","text":"EMOJI"}}',
            "message.text: too long (max 5000)",
        ),
        ('{"type":"typing","state":null}', "state: must be true or false"),
        ('{"type":"ack","seq":NaN}', "json: NaN is not allowed"),
    ],
)
def test_widget_frames_the_fast_path_refuses_get_the_protocols_error(text: str, error: str) -> None:
    """Near misses from a widget are left to the protocol's decoder, which names the fault."""
    text = text.replace("EMOJI", EMOJI_2501)
    assert ff.fast_widget_frame(text) is None
    with pytest.raises(p.ProtocolError) as exc:
        ff.decode_widget_frame(text)
    assert str(exc.value) == error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            '{"type":"send","conversation":"widget:short","message":{"id":"a","kind":"text","text":"x"}}',
            "conversation: must be widget:<session>, line:<userId>, "
            "messenger:<PSID>, instagram:<IGSID> or comment:<comment_id>",
        ),
        (
            '{"type":"send","conversation":"CONV","message":{"id":"a","kind":"text","text":"x:y"},'
            '"conversation":"CONV"}',
            "json: duplicate key 'conversation'",
        ),
        (
            '{"type":"send","conversation":"CONV","human":null,"message":{"id":"a","kind":"text",'
            '"text":"x"}}',
            "human: must be true or false",
        ),
        (
            '{"type":"read","conversation":"CONV","up_to":"a b"}',
            "up_to: must be 1-64 characters of A-Z a-z 0-9 . _ : ~ -",
        ),
        (
            '{"type":"typing","conversation":"line:Uabc","state":true}',
            "conversation: must be widget:<session>, line:<userId>, "
            "messenger:<PSID>, instagram:<IGSID> or comment:<comment_id>",
        ),
    ],
)
def test_desktop_frames_the_fast_path_refuses_get_the_protocols_error(
    text: str, error: str
) -> None:
    """Near misses from a desktop are left to the protocol's decoder, which names the fault."""
    text = text.replace("CONV", CONV)
    assert ff.fast_desktop_frame(text) is None
    with pytest.raises(p.ProtocolError) as exc:
        ff.decode_desktop_frame(text)
    assert str(exc.value) == error


def test_the_longest_texts_take_the_fast_path() -> None:
    """5,000 UTF-16 units (2,500 emoji, 5,000 Thai letters) is still a text the fast path
    takes; one unit more is not."""
    for text in ("😀" * 2500, "ก" * 5000):
        frame = f'{{"type":"send","message":{{"id":"a","kind":"text","text":"{text}"}}}}'
        assert ff.fast_widget_frame(frame) == p.WidgetSend(p.Message("a", p.Text(text)))
    too_long = "ก" * 5001
    frame = f'{{"type":"send","message":{{"id":"a","kind":"text","text":"{too_long}"}}}}'
    assert ff.fast_widget_frame(frame) is None


# ---- encoding


@settings(max_examples=500, deadline=None)
@given(IDS, st.none() | CONVERSATIONS, st.one_of(GOOD_SEQS, st.integers(), st.booleans()))
def test_accepted_is_encoded_as_by_the_protocol(
    msg_id: str, conversation: str | None, seq: int
) -> None:
    """encode_accepted: the text of encode(Accepted(...)), character for character."""
    assert ff.encode_accepted(msg_id, conversation, seq) == p.encode(
        p.Accepted(msg_id, conversation, seq)
    )


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(p.ReceiptStatus), st.lists(IDS, max_size=6))
def test_a_widget_receipt_is_encoded_as_by_the_protocol(
    status: p.ReceiptStatus, ids: list[str]
) -> None:
    """encode_widget_receipt: the text of encode(WidgetReceipt(...))."""
    assert ff.encode_widget_receipt(status, tuple(ids)) == p.encode(
        p.WidgetReceipt(status, tuple(ids))
    )


@settings(max_examples=500, deadline=None)
@given(
    CONVERSATIONS,
    st.sampled_from(p.ReceiptStatus),
    st.lists(IDS, max_size=6),
    st.one_of(GOOD_SEQS, st.integers(), st.booleans()),
)
def test_a_stream_receipt_is_encoded_as_by_the_protocol(
    conversation: str, status: p.ReceiptStatus, ids: list[str], seq: int
) -> None:
    """encode_receipt: the text of encode(Receipt(...)) (the desktop's stream item)."""
    assert ff.encode_receipt(conversation, status, ids, seq) == p.encode(
        p.Receipt(conversation, status, tuple(ids), seq)
    )


OTHER_BODIES = st.sampled_from(
    [
        p.Image("m1", url="https://relay.example/m/m1", width=10, height=20),
        p.Postback("size=M", "M"),
        p.Contact("0812345678", "สมชาย"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    IDS,
    st.one_of(TEXTS.map(p.Text), OTHER_BODIES),
    st.sampled_from([(), (p.Button("ใช่", p.ButtonAction.MESSAGE, text="ใช่"),)]),
    st.none() | TEXTS,
)
def test_a_message_is_encoded_as_by_the_protocol(
    msg_id: str, body: p.Body, quick: tuple[p.Button, ...], at: str | None
) -> None:
    """encode_message: the text of encode_obj(message.to_obj()), for text and any other body."""
    message = p.Message(msg_id, body, quick, at)
    assert ff.encode_message(message) == p.encode_obj(message.to_obj())


ODD_CHARACTERS = [chr(c) for c in range(0x100)] + ["\u1680", "\u2028", "\u2029", "\u3000", "\ufeff"]


@pytest.mark.parametrize(
    "template",
    [
        '@{"type":"ack","seq":1}',
        '{"type":"ack",@"seq":1}',
        '{"type":"ack","seq"@:1}',
        '{"type":"ack","seq":1@}',
        '{"type":"ack","seq":1}@',
        '{"type":"send","message":{"id":"a@b","kind":"text","text":"x@y"}}',
    ],
)
def test_no_character_between_tokens_decodes_otherwise(template: str) -> None:
    """Every Latin-1 character and the odd Unicode spaces, put between the tokens or inside
    strings, give the same frame or the same error both ways (JSON's whitespace is only
    space, tab, CR and LF: msgspec and the json module agree on that)."""
    for ch in ODD_CHARACTERS:
        text = template.replace("@", ch)
        assert outcome(ff.decode_widget_frame, text) == outcome(p.decode_widget_frame, text), ch
