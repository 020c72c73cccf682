"""Thai by default, English on request: a QTranslator fed from :mod:`minichat_desktop.ui.th`.

Source strings in the code are English (``self.tr("Inbox")``); the Thai translator maps them to
Thai. Switching language re-installs (or removes) the translator and screens retranslate on
``QEvent.LanguageChange``.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QTranslator

from minichat_desktop.domain.thai import format_when
from minichat_desktop.ui.th import THAI

LANGUAGES = ("th", "en")


class ThaiTranslator(QTranslator):
    def translate(
        self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None (a null QString) for a text we do not have: Qt then keeps its own. An empty
        # string would count as the translation, blanking Qt's texts ("%1: …" error formats
        # then warn "QString::arg: Argument missing" on stderr).
        return THAI.get(source_text)

    def isEmpty(self) -> bool:
        return False


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
