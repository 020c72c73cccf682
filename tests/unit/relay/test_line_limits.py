"""LINE's limits counted the way LINE counts: UTF-16 units for text, graphemes for labels;
long text split, long labels shortened, what cannot fit refused with a reason; every message
the relay makes passes the official SDK models and LINE's documented limits."""

from __future__ import annotations

import json

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from support import line_rules

from relay import line as ln
from relay import protocol as p

THAI = "กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮะาำิีึืุูเแโใไ่้๊๋็์"
# text as a shop writes it: Thai with its marks, emoji (2 UTF-16 units, ZWJ families, flags),
# spaces and line breaks; plus any Unicode scalar at all
_pieces = st.sampled_from(
    [*THAI, " ", "\n", "😀", "🍎", "👨‍👩‍👧", "🇹🇭", "a", "1", "é", "e\u0301", "\u200d", "ก\u0e48"]
)
shop_text = st.one_of(
    st.lists(_pieces, max_size=6000).map("".join),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=3000),
)


def _boundaries(text: str) -> set[int]:
    """Code point offsets where a grapheme starts (and the end)."""
    out, at = {0}, 0
    for g in regex.findall(r"\X", text):
        at += len(g)
        out.add(at)
    return out


@settings(max_examples=150, deadline=None)
@given(shop_text, st.sampled_from([5000, 300, 40, 7]))
def test_any_split_fits_joins_back_and_breaks_no_grapheme(text: str, limit: int) -> None:
    parts = ln.split_text(text, limit)
    assert "".join(parts) == text
    for part in parts:  # only a single grapheme longer than the limit may exceed it
        assert line_rules.utf16(part) <= limit or line_rules.grapheme_count(part) == 1
    cuts, at = _boundaries(text), 0
    for part in parts[:-1]:
        at += len(part)
        assert at in cuts  # never inside a surrogate pair, a Thai cluster or an emoji sequence
    if len(parts) > 1:
        assert all(part for part in parts)


def test_a_5000_code_point_emoji_text_is_two_parts_cut_after_a_line_break() -> None:
    text = ("ราคาพิเศษ 😀 วันนี้\n" * 400)[:5000]
    assert line_rules.utf16(text) > 5000
    parts = ln.split_text(text)
    assert len(parts) == 2 and "".join(parts) == text
    assert parts[0].endswith("\n") and line_rules.utf16(parts[0]) <= 5000


def test_thai_without_spaces_is_cut_before_a_leading_vowel() -> None:
    text = "สินค้าเพิ่มเติม" * 400  # no space, no line break
    first = ln.split_text(text)[0]
    assert line_rules.utf16(first) <= 5000
    assert text[len(first)] in "เแโใไ"


def test_trailing_whitespace_never_makes_a_part_of_its_own() -> None:
    assert ln.split_text("a" * 10 + "\n", 10) == ["a" * 9, "a\n"]


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("ดูรายละเอียดสินค้าเพิ่มเติม", "ดูรายละเอียดสินค้าเพิ่มเติม"),  # 27 code points, 20 graphemes
        ("ดูรายละเอียดสินค้าเพิ่มเติมทั้งหมด", "ดูรายละเอียดสินค้าเพิ่ม…"),
        ("Add this lovely shirt to my cart", "Add this lovely…"),
        ("👨‍👩‍👧" * 25, "👨‍👩‍👧" * 19 + "…"),
        ("x" * 30, "x" * 19 + "…"),
    ],
)
def test_labels_are_shortened_by_graphemes_with_an_ellipsis(label: str, shown: str) -> None:
    assert ln.shorten(label, ln.MAX_LABEL) == shown
    assert line_rules.grapheme_count(shown) <= 20


def test_alt_text_is_cut_in_utf16_units_on_a_grapheme() -> None:
    alt = ln.shorten_units("😀" * 1000, ln.MAX_ALT_TEXT)
    assert line_rules.utf16(alt) <= 1500 and alt.endswith("…")
    assert alt[:-1] == "😀" * 749


def _body(*messages: p.Message) -> bytes:
    out = []
    for m in messages:
        out.extend(ln.to_line_messages(m))
    return json.dumps({"to": "U" + "0" * 32, "messages": out}).encode()


def _check(body: bytes) -> tuple[int, dict[str, object]]:
    headers = {
        "Authorization": "Bearer t",
        "Content-Type": "application/json",
        "X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000",
    }
    return line_rules.problems("/v2/bot/message/push", headers, body)


def test_what_the_relay_makes_passes_the_sdk_models_and_limits() -> None:
    long_label = "ดูรายละเอียดสินค้าเพิ่มเติมทั้งหมดทุกชิ้น"
    buttons = (
        p.Button(long_label, p.ButtonAction.POSTBACK, data="more=1"),
        p.Button(long_label, p.ButtonAction.MESSAGE, text=long_label),
        p.Button(long_label, p.ButtonAction.URL, url="https://shop.example/p/1"),
    )
    card = p.Card(
        "p1", "เสื้อ" * 50, 29050, "ผ้า" * 50, "https://i.example/1.jpg", 30000, True, buttons
    )
    quick = tuple(
        p.Button(f"ตัวเลือกที่ {i} 😀", p.ButtonAction.POSTBACK, data=f"q={i}") for i in range(13)
    )
    assert _check(_body(p.Message("a", p.Text("😀" * 5000), quick))) == (200, {})
    assert _check(_body(p.Message("b", p.Carousel((card,) * 12, "ดู" * 300)))) == (200, {})
    cart = p.CartSummary(
        tuple(p.CartItem("เสื้อยืด" * 10, 1, 100, 100) for _ in range(20)), 2000, 2000, buttons=buttons
    )
    assert _check(_body(p.Message("c", cart), p.Message("d", p.Buttons("ก" * 1000, buttons)))) == (
        200,
        {},
    )


def test_what_cannot_fit_is_refused_with_a_reason() -> None:
    with pytest.raises(ln.LineRefused, match="https"):
        ln.to_line_messages(p.Message("i", p.Image(url="http://shop.example/a.jpg")))
    with pytest.raises(ln.LineRefused, match="postback data longer than 300"):
        ln.to_line_messages(
            p.Message(
                "b", p.Buttons("x", (p.Button("ok", p.ButtonAction.POSTBACK, data="😀" * 200),))
            )
        )
    big = {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "ก" * 20000}]}
    with pytest.raises(ln.LineRefused, match="card too large for LINE"):
        ln.check_message(
            {"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": big}}
        )
    image = ln.ImageUrls("https://r.example/media/a", "https://r.example/media/b")
    assert ln.to_line_messages(p.Message("i", p.Image(media_id="a")), image=image) == [
        {
            "type": "image",
            "originalContentUrl": "https://r.example/media/a",
            "previewImageUrl": "https://r.example/media/b",
        }
    ]


def test_line_error_body_names_the_refused_messages() -> None:
    res = ln.LineResult(
        400,
        {
            "message": "The request body has 2 error(s)",
            "details": [
                {"message": "Length must be between 0 and 5000", "property": "messages[2].text"},
                {"message": "invalid uri", "property": "messages[0].contents.footer.action.uri"},
            ],
        },
    )
    assert res.refused_messages() == {
        2: "messages[2].text: Length must be between 0 and 5000",
        0: "messages[0].contents.footer.action.uri: invalid uri",
    }
    assert res.describe() == (
        "http 400: The request body has 2 error(s) [messages[2].text: Length must be between 0"
        " and 5000; messages[0].contents.footer.action.uri: invalid uri]"
    )
    assert ln.LineResult(400, {"message": "Invalid reply token"}).refused_messages() == {}
