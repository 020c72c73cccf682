"""Thai by default, English on request: a QTranslator fed from :mod:`minichat_desktop.ui.th`.

Source strings in the code are English (``self.tr("Inbox")``); the Thai translator maps them to
Thai. Switching language re-installs (or removes) the translator and screens retranslate on
``QEvent.LanguageChange``.

The translator is Qt's own, loaded from a ``.qm`` image built in memory from the dictionary
(:func:`qm_image`), not a Python ``translate()`` override. Qt translates from any thread and at
any moment, also while the dynamic loader's lock is held: Qt Multimedia's FFmpeg backend, loaded
by the first notification sound, looks for VA-API and PipeWire libraries as it is loaded and
words the failure with ``tr()``. A Python override then waits for the GIL while holding that
lock, and a worker thread importing an extension module holds the GIL while it waits for the
lock: the whole app froze at the first chat of the day while the backup or the bot was
importing (tests/qt/test_translator_threads.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import struct

from PySide6.QtCore import QCoreApplication, QTranslator

from minichat_desktop.domain.thai import format_when
from minichat_desktop.ui.th import THAI

LANGUAGES = ("th", "en")


# Qt's .qm layout (qtbase/src/corelib/kernel/qtranslator.cpp): a magic number, then blocks of
# (tag, big-endian length, data). "Hashes" holds (hash, offset) pairs sorted by hash; "Messages"
# the records they point at, each a run of tagged fields ending with End. A record without a
# Context field matches every context, and a file without a "Contexts" block checks none: the
# dictionary is context-free, as ``self.tr`` in any class and :func:`t` share it.
_QM_MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
_QM_HASHES, _QM_MESSAGES = 0x42, 0x69
_TAG_END, _TAG_TRANSLATION, _TAG_SOURCE = 1, 3, 6


def _elf_hash(data: bytes) -> int:
    """Qt's hash of a source text (and its empty comment): the ELF hash, 0 mapped to 1."""
    h = 0
    for byte in data:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h or 1


def qm_image(messages: dict[str, str]) -> bytes:
    """A ``.qm`` image of English → Thai, for :meth:`QTranslator.load`: the source text in
    UTF-8 (as ``tr`` hands it to Qt), the translation in UTF-16 big-endian. A lookup with a
    disambiguation that finds nothing is retried by Qt without it; a plural takes the one form."""
    body = bytearray()
    index: list[tuple[int, int]] = []
    for source, thai in messages.items():
        src, text = source.encode("utf-8"), thai.encode("utf-16-be")
        index.append((_elf_hash(src), len(body)))
        body += struct.pack(">BI", _TAG_TRANSLATION, len(text)) + text
        body += struct.pack(">BI", _TAG_SOURCE, len(src)) + src + bytes([_TAG_END])
    index.sort()
    hashes = b"".join(struct.pack(">II", h, offset) for h, offset in index)
    return b"".join(
        (
            _QM_MAGIC,
            struct.pack(">BI", _QM_HASHES, len(hashes)),
            hashes,
            struct.pack(">BI", _QM_MESSAGES, len(body)),
            bytes(body),
        )
    )


@functools.cache
def _thai_image() -> bytes:
    return qm_image(THAI)  # ~150 KB, built once (tens of ms)


class ThaiTranslator(QTranslator):
    """Qt's translator with the Thai dictionary loaded; a text it lacks stays as Qt has it."""

    def __init__(self, parent: QCoreApplication | None = None) -> None:
        super().__init__(parent)
        self._image = _thai_image()  # Qt reads it in place: it must outlive the translator
        if not self.load(self._image):
            raise RuntimeError("the Thai translations did not load")  # (a bug: tested)


_installed: ThaiTranslator | None = None


def set_language(lang: str) -> None:
    """Install the Thai translator for ``th``; remove it for ``en``."""
    global _installed
    app = QCoreApplication.instance()
    if app is None:
        return
    if _installed is not None:
        app.removeTranslator(_installed)
        _installed = None
    if lang == "th":
        _installed = ThaiTranslator(app)
        app.installTranslator(_installed)


def current_language() -> str:
    return "th" if _installed is not None else "en"


def when(value: dt.datetime | dt.date | None, *, time: bool = True, short: bool = False) -> str:
    """A date or time as this screen's language reads it, the same everywhere:
    ``6 ธ.ค. 2569 14:05`` / ``6 Dec 2026 14:05``; ``short`` (lists) drops this year and
    today's date (see :func:`~minichat_desktop.domain.thai.format_when`)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # stored times are UTC
    return format_when(value, current_language(), time=time, short=short)


def t(text: str) -> str:
    """Translate a string outside a QObject (same dictionary as ``tr``)."""
    return QCoreApplication.translate("MiniChat", text)
