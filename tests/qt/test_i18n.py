"""The Thai translator: our texts in Thai, Qt's own texts left as Qt has them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from minichat_desktop.ui import i18n


def test_thai_translates_ours_and_keeps_texts_it_does_not_have(qapp: Any) -> None:
    """A text with no Thai entry (Qt's "%1: …" error formats) comes back unchanged, not empty."""
    i18n.set_language("th")
    assert QCoreApplication.translate("MiniChat", "Quit") == "ออก"
    assert QCoreApplication.translate("QLocalSocket", "%1: Invalid name") == "%1: Invalid name"


def test_every_entry_comes_back_through_qt_in_any_context(qapp: Any) -> None:
    """Qt's own lookup in the image built from the dictionary: each entry in a class's context
    and in none, with a disambiguation Qt retries without, and as a plural's only form."""
    from minichat_desktop.ui.th import THAI

    i18n.set_language("th")
    wrong = {
        english: thai
        for english, thai in THAI.items()
        if {
            QCoreApplication.translate("OrdersScreen", english),
            QCoreApplication.translate("", english),
            QCoreApplication.translate("MiniChat", english, "a disambiguation"),
            QCoreApplication.translate("PosScreen", english, None, 3),
        }
        != {thai}
    }
    assert wrong == {}


def test_the_image_holds_what_it_is_given(qapp: Any) -> None:
    """Texts beyond the dictionary's: emoji (UTF-16 surrogates), a non-ASCII source, an empty
    translation (Qt shows it empty, as the dictionary says), and two texts with one hash ("ab"
    and "bR": 97·16 + 98 = 98·16 + 82), where Qt walks past the other's record to its own."""
    from PySide6.QtCore import QTranslator

    assert i18n._elf_hash(b"ab") == i18n._elf_hash(b"bR")
    messages = {
        "Paid ✓": "จ่ายแล้ว ✓ 🎉",
        "฿{amount}": "{amount} บาท",
        "Blank": "",
        "ab": "เอบี",
        "bR": "บีอาร์",
    }
    translator = QTranslator()
    image = i18n.qm_image(messages)
    assert translator.load(image)
    assert {en: translator.translate("Any", en) for en in messages} == messages
    assert translator.translate("Any", "Not in it") == ""  # (Qt: none; the app keeps its own)


def test_no_python_runs_when_qt_translates(qapp: Any) -> None:
    """Qt calls the translator from any thread and under any lock (the loader's, for one): the
    installed translator is Qt's lookup, with no Python ``translate`` of ours in the way."""
    from PySide6.QtCore import QTranslator

    assert i18n.ThaiTranslator.translate is QTranslator.translate
    assert i18n.ThaiTranslator.isEmpty is QTranslator.isEmpty
