"""The live comment grammar: orders in Thai and English, full-width letters, Thai digits, and
what is a question or nothing at all."""

from __future__ import annotations

import pytest

from minichat_desktop.domain.live.parser import Intent, Parsed, parse


@pytest.mark.parametrize(
    ("text", "code", "qty"),
    [
        ("CF A12", "A12", 1),
        ("cf a12 2", "A12", 2),
        ("CF A12 x2", "A12", 2),
        ("CF A12 X 3", "A12", 3),
        ("cf A12×2", "A12", 2),
        ("cfa12", "A12", 1),
        ("cf12", "12", 1),
        ("F A12", "A12", 1),
        ("f  b3", "B3", 1),
        ("เอา A12 2 ตัว", "A12", 2),
        ("เอาA12", "A12", 1),
        ("รับ A12 1 ชิ้นค่ะ", "A12", 1),
        ("จอง b3 ครับ", "B3", 1),
        ("CF A12 ๒", "A12", 2),
        ("เอา A๑๒ ๓ ตัว", "A12", 3),
        ("ｃｆ　Ａ１２", "A12", 1),
        ("ＣＦ Ａ１２ ｘ２", "A12", 2),
        ("  CF   TS1  ", "TS1", 1),
        ("cf a12 99", "A12", 99),
    ],
)
def test_orders(text: str, code: str, qty: int) -> None:
    assert parse(text) == Parsed(Intent.ORDER, code, qty)


@pytest.mark.parametrize(
    "text", ["A12 ราคาเท่าไหร่", "ขอดู A12", "CF A12 ได้ไหม?", "A12 มีสีอื่นไหม", "a12?"]
)
def test_questions_about_a_code_are_not_orders(text: str) -> None:
    assert parse(text) == Parsed(Intent.MENTION, "A12")


@pytest.mark.parametrize(
    "text", ["", "   ", "สวยมาก", "cf", "CF A12 B3", "CF A12 0", "CF A12 100", "ขอบคุณค่ะ 555"]
)
def test_nothing_to_act_on(text: str) -> None:
    assert parse(text).intent is Intent.OTHER
