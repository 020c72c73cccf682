"""Thai line breaking: between words, nothing lost, a word cut only when wider than a line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minichat_desktop.domain.thai_lines import break_lines, words


def _chars(text: str) -> float:
    return float(len(text))


def test_words_keep_every_character() -> None:
    """Spaces, Thai words and Latin runs; joined they are the text."""
    text = "เสื้อยืดคอกลม สีแดง Size XL ราคา 290 บาท"
    pieces = words(text)
    assert "".join(pieces) == text
    assert pieces[:4] == ("เสื้อยืด", "คอกลม", " ", "สีแดง")
    assert "Size" in pieces and "290" in pieces


def test_lines_break_between_words() -> None:
    text = "เสื้อยืดคอกลมผ้าฝ้ายสีแดง"
    assert break_lines(text, _chars, 13) == ["เสื้อยืดคอกลม", "ผ้าฝ้ายสีแดง"]
    assert break_lines(text, _chars, 100) == [text]


def test_spaces_at_a_break_are_dropped_and_newlines_kept() -> None:
    assert break_lines("ชาไทย ชาเขียว\nกาแฟ", _chars, 7) == ["ชาไทย", "ชาเขียว", "กาแฟ"]
    assert break_lines("", _chars, 5) == [""]


def test_a_word_wider_than_the_line_is_cut_between_letters() -> None:
    """Never before a mark above or below, nor after a leading vowel."""
    lines = break_lines("เสื้อ", _chars, 2)
    assert "".join(lines) == "เสื้อ"
    assert lines[0] == "เสื้"  # เ stays with ส, and the marks with it
    for line in lines[1:]:
        assert line[0] not in "\u0e31\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e48\u0e49"


MARKS_ABOVE_BELOW = set(
    "\u0e31\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d"
)
LEADING_VOWELS = set("เแโใไ")
THAI = st.text(alphabet=st.sampled_from(list("กขคงจฉชซดตถทนบปผพฟมยรลวสหอะัาำิีึืุู่้๊๋เแโใไ ")))


@given(THAI, st.integers(min_value=1, max_value=30))
def test_nothing_is_lost_and_lines_fit(text: str, width: int) -> None:
    """Whatever the text and width: the lines hold every non-space character in order, and
    a line is wider than the width only when it is one piece that cannot be cut further."""
    lines = break_lines(text, _chars, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        if len(line) > width:
            # one piece that may not be cut: leading vowels, one character, the marks above
            # and below it (however many a garbled text stacks: กััั่่ is one piece)
            assert " " not in line
            core = [c for c in line if c not in MARKS_ABOVE_BELOW]
            assert len([c for c in core if c not in LEADING_VOWELS]) <= 1, line
