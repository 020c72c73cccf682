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
