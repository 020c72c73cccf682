"""Decode and encode of the frames of one relay round trip: relay.protocol (what the relay
used before) against relay.fastframes (what it uses now), in the same process and run.

Each figure is the best of several repeats of many calls (µs per call), so another process on
the machine inflates both columns alike rather than one. The frames are those the ride
benchmark's clients send (bench/relay/shoppers_roundtrip.py): a Thai text message with the
acks riding, the desktop's answer, a lone ack; and what the relay encodes for them.

    .venv/bin/python bench/relay/frames_fast.py [--calls 20000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from typing import Any

from relay import fastframes as ff
from relay import protocol as p

WIDGET_SEND = json.dumps(
    {
        "type": "send",
        "message": {"id": "b12-345", "kind": "text", "text": "สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"},
        "read": 690,
        "ack": 690,
    },
    ensure_ascii=False,
)
DESKTOP_SEND = json.dumps(
    {
        "type": "send",
        "conversation": "widget:Zq3v0yKx1bQ2Hc8s",
        "message": {"id": "re-b12-345", "kind": "text", "text": "มีค่ะ ราคา 290 บาท"},
        "ack": 123456,
    },
    ensure_ascii=False,
)
ACK = '{"type":"ack","seq":123456}'
MESSAGE = p.Message("b12-345", p.Text("สวัสดีค่ะ มีเสื้อยืดสีแดงไหม"), at="2026-12-06T18:00:00.123Z")
IDS = ("b12-343", "b12-344")

# (what, before, after, times per ride round trip)
CASES: list[tuple[str, Callable[[], Any], Callable[[], Any], int]] = [
    (
        "decode widget send (ack+read riding)",
        lambda: p.decode_widget_frame(WIDGET_SEND),
        lambda: ff.decode_widget_frame(WIDGET_SEND),
        1,
    ),
    (
        "decode desktop send (ack riding)",
        lambda: p.decode_desktop_frame(DESKTOP_SEND),
        lambda: ff.decode_desktop_frame(DESKTOP_SEND),
        1,
    ),
    ("decode ack", lambda: p.decode_desktop_frame(ACK), lambda: ff.decode_desktop_frame(ACK), 0),
    (
        "encode message json",
        lambda: p.encode_obj(MESSAGE.to_obj()),
        lambda: ff.encode_message(MESSAGE),
        2,
    ),
    (
        "encode accepted",
        lambda: p.encode(p.Accepted("b12-345", None, 42)),
        lambda: ff.encode_accepted("b12-345", None, 42),
        2,
    ),
    (
        "encode stream receipt (storage: not yet)",
        lambda: p.encode(p.Receipt("widget:Zq3v0yKx1bQ2Hc8s", p.ReceiptStatus.READ, IDS, 99)),
        lambda: ff.encode_receipt("widget:Zq3v0yKx1bQ2Hc8s", p.ReceiptStatus.READ, IDS, 99),
        0,
    ),
    (
        "encode widget receipt",
        lambda: p.encode(p.WidgetReceipt(p.ReceiptStatus.READ, IDS)),
        lambda: ff.encode_widget_receipt(p.ReceiptStatus.READ, IDS),
        1,
    ),
]


def best_us(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    return min(timeit.repeat(fn, number=calls, repeat=repeats)) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'µs per call':40} {'protocol':>9} {'fast':>7} {'ratio':>6}  per trip")
    trip_before = trip_after = 0.0
    for what, before, after, per_trip in CASES:
        assert before() == after(), what
        b = best_us(before, args.calls, args.repeats)
        a = best_us(after, args.calls, args.repeats)
        trip_before += b * per_trip
        trip_after += a * per_trip
        print(f"{what:40} {b:9.2f} {a:7.2f} {b / a:5.1f}×  {per_trip}")
    print(f"{'one ride round trip (weights above)':40} {trip_before:9.2f} {trip_after:7.2f}")


if __name__ == "__main__":
    main()
