"""Breaking Thai text into lines between words.

Thai is written without spaces between words, so a line breaker that breaks only at spaces
(reportlab's) either overflows a narrow column or, told to split long words, cuts a word in
the middle (``เสื้อยื | ดสีแดง`` on a 58 mm receipt). Here words come from PyThaiNLP's
dictionary segmenter (``newmm``, its bundled word list: nothing downloaded), and lines are
packed greedily; only a word wider than the whole line is cut, and then between characters a
reader would accept (never before a vowel or tone mark above or below, nor after a leading
vowel).

The segmenter loads its dictionary on first use (~0.5 s); :func:`warm_up` does that ahead
(the app calls it in a worker thread after the first paint).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Final

# Characters that belong to the one before them: marks above and below, and sara am.
_FOLLOWERS: Final = frozenset(
    chr(c) for c in (0x0E31, 0x0E33, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F))
)
_LEADING_VOWELS: Final = frozenset("เแโใไ")  # written before the consonant they follow
_THAI_RUN: Final = re.compile(r"([\u0E00-\u0E7F]+)")
_SPACE: Final = re.compile(r"(\s+)")
_lock = threading.Lock()


def has_thai(text: str) -> bool:
    return _THAI_RUN.search(text) is not None


@functools.lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """``text`` cut into pieces a line may break between: spaces (kept as their own pieces),
    Thai words, and the runs of other characters between them. The pieces joined are
    ``text``."""
    out: list[str] = []
    for chunk in _SPACE.split(text):
        if not chunk:
            continue
        if chunk.isspace():
            out.append(chunk)
            continue
        for run in _THAI_RUN.split(chunk):
            if not run:
                continue
            out += _thai_words(run) if _THAI_RUN.fullmatch(run) else [run]
    return tuple(out)


def _thai_words(run: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    with _lock:  # the dictionary trie is built once, on the first call
        return [w for w in word_tokenize(run, engine="newmm", keep_whitespace=True) if w]


def warm_up() -> None:
    """Load the word list now rather than on the first document drawn."""
    _thai_words("สวัสดี")


def _clusters(word: str) -> list[str]:
    """``word`` in pieces that may end a line when the word alone is too wide."""
    out: list[str] = []
    for ch in word:
        if out and (ch in _FOLLOWERS or out[-1][-1] in _LEADING_VOWELS):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def break_lines(text: str, width_of: Callable[[str], float], max_width: float) -> list[str]:
    """``text`` as lines no wider than ``max_width`` (measured by ``width_of``), broken between
    words; newlines in ``text`` always break. Spaces at a break are dropped. A word wider than
    a line is cut between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in words(paragraph):
            if piece.isspace():
                if line:
                    line += piece
                continue
            if width_of(line + piece) <= max_width:
                line += piece
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            if width_of(piece) <= max_width:
                line = piece
                continue
            for part in _clusters(piece):  # a word wider than the line
                if line and width_of(line + part) > max_width:
                    lines.append(line)
                    line = ""
                line += part
        lines.append(line.rstrip())
    return lines
