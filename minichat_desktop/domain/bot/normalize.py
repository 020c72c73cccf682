"""Text clean-up before the bot reads a message, and the fuzzy "skeleton" used to match names.

:func:`clean` is what every rule sees: NFC, no zero-width characters, Thai digits as ASCII
digits (``๓`` → ``3``), full-width ASCII as ASCII, the doubled-sara-e typo (``เเ`` → ``แ``),
letters repeated three times or more collapsed (``มากกกก`` → ``มาก``, ``ค่ะะะ`` → ``ค่ะ``,
``hiiii`` → ``hi``; ``x`` is kept so ``XXL`` survives), lower case, emoji kept (they carry
signals: see ``lexicon.EMOJI_SIGNALS``) and whitespace collapsed.

:func:`skeleton` is coarser and only for comparing names: tone marks and silent-letter marks
gone, Thai letters that sound alike folded together, everything that is not a letter or digit
dropped. Two spellings of the same word usually share a skeleton, so their character trigrams
match (see catalog_match).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

from minichat_desktop import lexicon

_ZERO_WIDTH: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_FULLWIDTH: Final = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# One table for the character-by-character part of clean(): zero-width out, full-width ASCII
# in, Thai digits as ASCII digits (thai.thai_digits_to_arabic's mapping).
_CLEAN_TABLE: Final = {
    **_ZERO_WIDTH,
    **_FULLWIDTH,
    **{ord(t): ord(a) for t, a in zip("๐๑๒๓๔๕๖๗๘๙", "0123456789", strict=True)},
}
# Thai letters repeated: any Thai character (not ๆ, the repetition mark) three times or more.
_REPEAT_THAI: Final = re.compile(r"([\u0e01-\u0e45\u0e47-\u0e4e])\1{2,}")
# Thai vowels/marks repeated twice ("ค่ะะ", "นะคะะ"): a doubled mark is never right.
_REPEAT_MARK: Final = re.compile(r"([\u0e30-\u0e3a\u0e47-\u0e4e])\1+")
_REPEAT_LATIN: Final = re.compile(r"([a-wyz!?.])\1{2,}")
_SPACES: Final = re.compile(r"\s+")

# Folding for skeletons: Thai letters that shoppers swap (same sound), marks dropped.
_SKELETON_FOLD: Final = str.maketrans(
    {
        "ใ": "ไ",
        "ซ": "ส",
        "ศ": "ส",
        "ษ": "ส",
        "ฑ": "ท",
        "ธ": "ท",
        "ฒ": "ท",
        "ฆ": "ค",
        "ฅ": "ค",
        "ฌ": "ช",
        "ญ": "ย",
        "ฎ": "ด",
        "ฏ": "ต",
        "ณ": "น",
        "ฬ": "ล",
        "ร": "ล",
        "ภ": "พ",
        "ฮ": "ห",
        "ฤ": "ล",
        "ั": "",
        "่": "",
        "้": "",
        "๊": "",
        "๋": "",
        "็": "",
        "์": "",
        "ํ": "",
        "ฺ": "",
        "ๆ": "",
        "ะ": "",
    }
)
_NOT_WORD: Final = re.compile(r"[^0-9a-z\u0e01-\u0e5b]+")

# Emoji and pictographs (a practical set of ranges, not every code point Unicode has).
EMOJI_RE: Final = re.compile(
    "[\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f1e6-\U0001f1ff]+"
)


def clean(text: str) -> str:
    """The form every rule reads (see the module docstring). Never raises; ``""`` stays ``""``."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_CLEAN_TABLE)
        # Typed forms of one letter: two sara e for sara ae, nikhahit + sara aa for sara am.
        text = text.replace("เเ", "แ").replace("\u0e4d\u0e32", "\u0e33")
        text = _REPEAT_THAI.sub(r"\1", text.casefold())
        text = _REPEAT_MARK.sub(r"\1", text)
    else:
        text = text.lower()
    text = _REPEAT_LATIN.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def strip_emoji(text: str) -> str:
    return _SPACES.sub(" ", EMOJI_RE.sub(" ", text)).strip()


def emoji_signals(text: str) -> list[str]:
    """Intents hinted by the emoji in ``text`` (``"👋"`` → ``["greeting"]``), in order."""
    return [lexicon.EMOJI_SIGNALS[ch] for ch in text if ch in lexicon.EMOJI_SIGNALS]


@functools.lru_cache(maxsize=1 << 16)
def skeleton(text: str) -> str:
    """A coarse spelling-insensitive key: cleaned, folded, only letters and digits, no spaces."""
    return skeleton_of_clean(clean(text))


def skeleton_of_clean(cleaned: str) -> str:
    """:func:`skeleton` of a text already passed through :func:`clean`."""
    return _NOT_WORD.sub("", cleaned.translate(_SKELETON_FOLD))


def trigrams(skel: str) -> set[str]:
    """Character trigrams of a skeleton; a skeleton of one or two characters is its own gram."""
    if len(skel) < 3:
        return {skel} if skel else set()
    return {skel[i : i + 3] for i in range(len(skel) - 2)}


def parse_thai_number(words: str) -> int | None:
    """A Thai number written in words (``สอง`` 2, ``สิบเอ็ด`` 11, ``ยี่สิบ`` 20, ``สามร้อยห้าสิบ``
    350, ``พันห้า`` 1500 — the spoken short form, ``สองพัน`` 2000). None if ``words`` is not
    entirely a number."""
    if not words:
        return None
    tokens = _split_number_words(words)
    if tokens is None:
        return None
    total = 0  # completed groups of millions
    current = 0  # below a million
    digit: int | None = None
    last_multiplier = 0
    for tok in tokens:
        if tok in lexicon.THAI_DIGIT_WORDS:
            if digit is not None:
                return None  # two digit words in a row: "สองสาม" is not a number
            digit = lexicon.THAI_DIGIT_WORDS[tok]
            if tok == "ยี่":
                digit = 2
            continue
        mult = lexicon.THAI_MULTIPLIERS[tok]
        if mult == 1_000_000:
            current += digit or 0
            total = (total + (current or 1)) * 1_000_000
            current, digit, last_multiplier = 0, None, 0
            continue
        current += (1 if digit is None else digit) * mult
        digit = None
        last_multiplier = mult
    if digit is not None:
        # "พันห้า" means 1500: a trailing digit after a multiplier ≥ 100 is the next place down.
        if (
            last_multiplier >= 100
            and tokens[-2] in lexicon.THAI_MULTIPLIERS
            and tokens[-1] != "เอ็ด"
        ):
            current += digit * (last_multiplier // 10)
        else:
            current += digit
    return total + current


def _split_number_words(words: str) -> list[str] | None:
    vocab = sorted([*lexicon.THAI_DIGIT_WORDS, *lexicon.THAI_MULTIPLIERS], key=len, reverse=True)
    out: list[str] = []
    i = 0
    while i < len(words):
        for w in vocab:
            if words.startswith(w, i):
                out.append(w)
                i += len(w)
                break
        else:
            return None
    return out


THAI_NUMBER_WORD_RE: Final = re.compile(
    "(?:"
    + "|".join(
        sorted([*lexicon.THAI_DIGIT_WORDS, *lexicon.THAI_MULTIPLIERS], key=len, reverse=True)
    )
    + ")+"
)
