"""The relay's hot frames decoded and encoded at C speed, with :mod:`relay.protocol` behind.

A round trip decodes a shopper's ``send`` and a desktop's ``send`` (acks riding in them, or
alone) and encodes an ``accepted`` each way, the two messages' JSON and a receipt or two.
:mod:`relay.protocol` parses JSON into dicts and walks them field by field in Python; here
msgspec parses the common shapes straight into typed structs, the few checks msgspec cannot
make are done after, and the frame objects are built directly.

The promise (tests/unit/relay/test_fastframes.py checks it with generated frames):

- a decoder here returns a frame equal, field by field, to what the matching decoder of
  :mod:`relay.protocol` returns, or raises exactly what it raises: anything the fast path
  does not take or is not sure of — another frame type, an extra or duplicated key, a
  ``\\u`` escape, a message kind other than text, a value out of range, bad JSON — goes to
  that decoder, which gives today's answer and error text;
- an encoder here returns the very text :func:`relay.protocol.encode` (or
  :func:`~relay.protocol.encode_obj` of ``to_obj()``) returns for the same frame.

Relay-only: the desktop imports :mod:`relay.protocol`, never this module, and does not need
msgspec (import-linter contracts in pyproject.toml keep it so).

What it saves (bench/relay/frames_fast.py; the ride benchmark profiled with py-spy): a send
decodes in ≈ 3 µs instead of ≈ 7.5, the encodes of a round trip take ≈ 1.5 µs instead of
≈ 6; frame decoding fell from 9–13 % of the relay's samples to 5–6 %, and the relay's CPU
per ride round trip from 180–189 µs to 162–173 µs on a loaded machine (same session).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any, Literal

import msgspec

from relay import protocol as p

_MAX_SEQ = 2**53
_ID_MATCH = p._ID_RE.match
_CONV_MATCH = p._CONV_RE.match
_utf16_len = p.utf16_len
_SURELY_SHORT = p.MAX_TEXT // 2

# A key absent from the frame, told apart from an explicit null (both mean "not given" to
# relay.protocol, but only keys present in the text are counted in _no_duplicates).
_UNSET: Any = msgspec.UNSET


class _Text(msgspec.Struct, forbid_unknown_fields=True):
    """A text message as the widget and the desktop send it (no quick replies, no ``at``)."""

    id: str
    kind: Literal["text"]
    text: str


class _WidgetSend(msgspec.Struct, tag_field="type", tag="send", forbid_unknown_fields=True):
    message: _Text
    ack: int | msgspec.UnsetType | None = _UNSET
    read: int | msgspec.UnsetType | None = _UNSET


class _DesktopSend(msgspec.Struct, tag_field="type", tag="send", forbid_unknown_fields=True):
    conversation: str
    message: _Text
    human: bool | msgspec.UnsetType = _UNSET
    ack: int | msgspec.UnsetType | None = _UNSET


class _Ack(msgspec.Struct, tag_field="type", tag="ack", forbid_unknown_fields=True):
    seq: int


class _WidgetRead(msgspec.Struct, tag_field="type", tag="read", forbid_unknown_fields=True):
    seq: int


class _DesktopRead(msgspec.Struct, tag_field="type", tag="read", forbid_unknown_fields=True):
    conversation: str
    up_to: str


class _WidgetTyping(msgspec.Struct, tag_field="type", tag="typing", forbid_unknown_fields=True):
    state: bool | msgspec.UnsetType = _UNSET


class _DesktopTyping(msgspec.Struct, tag_field="type", tag="typing", forbid_unknown_fields=True):
    conversation: str
    state: bool | msgspec.UnsetType = _UNSET


_WIDGET = msgspec.json.Decoder(_WidgetSend | _Ack | _WidgetRead | _WidgetTyping)
_DESKTOP = msgspec.json.Decoder(_DesktopSend | _Ack | _DesktopRead | _DesktopTyping)
_FAST_MISSES = (msgspec.MsgspecError, UnicodeError)


class _Unsure(Exception):
    """The fast path does not take this frame: the full decoder decides."""


def _seq(value: int | msgspec.UnsetType | None) -> int | None:
    """An optional seq (riding ``ack``/``read``) as relay.protocol's ``_int`` takes it:
    0..2**53, None when not given; else _Unsure."""
    return _required_seq(value) if isinstance(value, int) else None


def _required_seq(value: int | msgspec.UnsetType | None) -> int:
    if not isinstance(value, int) or not 0 <= value <= _MAX_SEQ:
        raise _Unsure
    return value


def _message(raw: _Text) -> p.Message:
    """The message of a send, when relay.protocol would take it as it is."""
    text = raw.text
    if not _ID_MATCH(raw.id) or not text.strip():
        raise _Unsure
    # a code point is at most 2 UTF-16 units: only a long text needs counting
    if len(text) > _SURELY_SHORT and _utf16_len(text) > p.MAX_TEXT:
        raise _Unsure
    return p.Message(raw.id, p.Text(text))


def _conversation(value: str) -> str:
    if not _CONV_MATCH(value):
        raise _Unsure
    return value


def _no_duplicates(data: str, keys: int, text: str, *values: str) -> None:
    """msgspec keeps the last of two equal keys where relay.protocol refuses the frame: with
    no ``\\u`` escape in ``data`` (checked before), every colon in the text is a key's or one
    inside a string, so more colons than ``keys`` plus those in the kept strings ``text`` and
    ``values`` means a key came twice (its value's colons counted too)."""
    colons = data.count(":") - keys - text.count(":")
    for value in values:
        colons -= value.count(":")
    if colons:
        raise _Unsure


def _present(*values: object) -> int:
    """How many of the optional keys ``values`` were in the frame (UNSET: absent)."""
    return len(values) - values.count(_UNSET)


def _widget(data: str, raw: Any) -> p.WidgetFrame:
    if type(raw) is _WidgetSend:
        msg = raw.message
        _no_duplicates(data, 5 + _present(raw.ack, raw.read), msg.text, msg.id)
        return p.WidgetSend(_message(msg), _seq(raw.ack), _seq(raw.read))
    if type(raw) is _Ack or type(raw) is _WidgetRead:
        _no_duplicates(data, 2, "")
        seq = _required_seq(raw.seq)
        return p.Ack(seq) if type(raw) is _Ack else p.WidgetRead(seq)
    if type(raw) is _WidgetTyping:
        _no_duplicates(data, 1 + _present(raw.state), "")
        return p.WidgetTyping(raw.state is not False)  # absent: typing
    raise _Unsure


def _desktop(data: str, raw: Any) -> p.DesktopFrame:
    if type(raw) is _DesktopSend:
        msg = raw.message
        keys = 6 + _present(raw.human, raw.ack)
        _no_duplicates(data, keys, msg.text, raw.conversation, msg.id)
        message = _message(msg)
        human = raw.human is True  # absent: not a person's
        return p.Send(_conversation(raw.conversation), message, human, _seq(raw.ack))
    if type(raw) is _Ack:
        _no_duplicates(data, 2, "")
        return p.Ack(_required_seq(raw.seq))
    if type(raw) is _DesktopRead:
        _no_duplicates(data, 3, raw.conversation, raw.up_to)
        if not _ID_MATCH(raw.up_to):
            raise _Unsure
        return p.Read(_conversation(raw.conversation), raw.up_to)
    if type(raw) is _DesktopTyping:
        _no_duplicates(data, 2 + _present(raw.state), raw.conversation)
        return p.Typing(_conversation(raw.conversation), raw.state is not False)
    raise _Unsure


def _fast[F](
    data: object, decoder: msgspec.json.Decoder[Any], build: Callable[[str, Any], F]
) -> F | None:
    if type(data) is not str or "\\u" in data:
        return None
    try:
        return build(data, decoder.decode(data))
    except (_Unsure, *_FAST_MISSES):
        return None


def fast_widget_frame(data: object) -> p.WidgetFrame | None:
    """The widget frame in ``data`` when the fast path takes it, else None (then
    :func:`relay.protocol.decode_widget_frame` decides, and may raise)."""
    return _fast(data, _WIDGET, _widget)


def fast_desktop_frame(data: object) -> p.DesktopFrame | None:
    """The desktop frame in ``data`` when the fast path takes it, else None (then
    :func:`relay.protocol.decode_desktop_frame` decides, and may raise)."""
    return _fast(data, _DESKTOP, _desktop)


def decode_widget_frame(data: str | bytes | Mapping[str, Any]) -> p.WidgetFrame:
    """:func:`relay.protocol.decode_widget_frame`, fast for a send, ack, read or typing."""
    frame = fast_widget_frame(data)
    return frame if frame is not None else p.decode_widget_frame(data)


def decode_desktop_frame(data: str | bytes | Mapping[str, Any]) -> p.DesktopFrame:
    """:func:`relay.protocol.decode_desktop_frame`, fast for a send, ack, read or typing."""
    frame = fast_desktop_frame(data)
    return frame if frame is not None else p.decode_desktop_frame(data)


# ---- encoding: the same text as relay.protocol's encoder, built from templates. The strings
# go through the very escaping function the protocol's C encoder calls, so the text is
# byte-identical whatever they hold.


def encode_accepted(msg_id: str, conversation: str | None = None, seq: int = 0) -> str:
    """``encode(Accepted(msg_id, conversation, seq))``."""
    out = '{"type":"accepted","id":' + encode_basestring(msg_id)
    if conversation is not None:
        out += ',"conversation":' + encode_basestring(conversation)
    if seq:
        if type(seq) is not int:
            return p.encode(p.Accepted(msg_id, conversation, seq))
        out += f',"seq":{seq}'
    return out + "}"


def encode_widget_receipt(status: p.ReceiptStatus, ids: tuple[str, ...] | list[str]) -> str:
    """``encode(WidgetReceipt(status, ids))``."""
    listed = ",".join(map(encode_basestring, ids))
    return f'{{"type":"receipt","status":{encode_basestring(status.value)},"ids":[{listed}]}}'


def encode_receipt(
    conversation: str, status: p.ReceiptStatus, ids: tuple[str, ...] | list[str], seq: int = 0
) -> str:
    """``encode(Receipt(conversation, status, ids, seq))``: a receipt for the desktop's
    stream (no ``reason``: a failed receipt goes through the protocol's encoder)."""
    if type(seq) is not int:
        return p.encode(p.Receipt(conversation, status, tuple(ids), seq))
    head = f'{{"type":"receipt","seq":{seq},' if seq else '{"type":"receipt",'
    listed = ",".join(map(encode_basestring, ids))
    conv, state = encode_basestring(conversation), encode_basestring(status.value)
    return f'{head}"conversation":{conv},"status":{state},"ids":[{listed}]}}'


def encode_message(message: p.Message) -> str:
    """``encode_obj(message.to_obj())``: the JSON of a message as stored and sent."""
    body = message.body
    if type(body) is not p.Text or message.quick_replies:
        return p.encode_obj(message.to_obj())
    text = encode_basestring(body.text)
    out = f'{{"id":{encode_basestring(message.id)},"kind":"text","text":{text}'
    if message.at is not None:
        out += ',"at":' + encode_basestring(message.at)
    return out + "}"
