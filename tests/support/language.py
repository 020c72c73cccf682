"""Words of the other language on a screen (issue 16 item 4): English words on a Thai screen,
Thai on an English one — outside the shop's own data and a short list of names.

:func:`visible_texts` reads what a person sees in a window: labels, buttons, placeholders,
combo items, tabs, group titles, table headers and the first rows of every list.
:func:`shop_data` reads every string the shop's database holds (product and customer names,
tags, notes, flows…): those are the shop's words and stay as written. The app's own stored
codes (statuses, actors such as "bot", reasons) are not data: they must be shown translated.
:func:`foreign_words` is what is left after the data is taken out.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabBar,
    QWidget,
)

from minichat_desktop.domain import enums
from minichat_desktop.domain.glossary import ACTORS

# Names that read the same in both languages: brands, standards, keys on the keyboard.
ALLOWED = {
    "MiniChat", "LINE", "PromptPay", "VAT", "POS", "SKU", "RFM", "QR", "PDF", "CSV", "XLSX", "HTML",
    "Excel", "Ctrl", "Shift", "Del", "Esc", "Enter", "Tab", "Kerry", "Express", "Flash", "EMS",
    "Thailand", "Post", "SlipOK", "EasySlip", "OK", "ID", "URL", "API", "AI", "Ollama", "OpenAI",
    "Messenger", "Instagram", "Facebook", "Meta", "Bangkok",
}  # fmt: skip
ALLOWED |= {"CF"}  # what live-selling commenters type ("CF A12"), in Thai lives too
# Other products' own English words, kept as the owner meets them there (the LINE Developers
# console is in English), names of languages and services, and standards.
EXTERNAL = (
    "LINE Official Account", "LINE Developers console", "Messaging API", "Channel access token",
    "Channel secret", "Webhook URL", "Webhook settings", "Use webhook", "Verify", "Push",
    "Basic settings",
    "Branch ID", "ESC/POS", "USB", "English", "OpenRouter", "Groq", "Anthropic", "Gemini",
)  # fmt: skip
# Meta's developer console as the owner meets it (Settings → Facebook & Instagram), longest
# first: "Verify token" goes before "Verify" takes its first word.
META_CONSOLE = (
    "Meta", "My Apps", "“Business”", "Messenger → Settings", "Access tokens", "Generate token",
    "Page access token", "App settings → Basic", "(กด Show)", "App secret", "Webhooks",
    "ฟิลด์ Webhook", "Callback URL", "Verify token", "Verify and save", "(Subscribe)",
    "messages, messaging_postbacks", "message_echoes, feed",
)  # fmt: skip
EXTERNAL = (*META_CONSOLE, *EXTERNAL)
# Addresses, file paths and template placeholders are not words of a language.
_NOT_WORDS = re.compile(r"\S*(?:://|[/\\])\S*|\{\{?\w+\}?\}|\S+\.(?:com|png|jpg|co\.th)\b")
_EN_WORD = re.compile(r"(?<![\w])[A-Za-z][A-Za-z'’]+(?![\w])")  # a word, not part of a code
_THAI = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e5b]+")  # Thai letters, not ฿ (U+0E3F)
ROWS = 30  # rows of each list read
_ELIDED = re.compile(r"\S*…")


def _codes() -> set[str]:
    """The app's own stored codes: enum values and actors."""
    found: set[str] = set(ACTORS)
    for value in vars(enums).values():
        if isinstance(value, type) and issubclass(value, StrEnum):
            found |= {str(member) for member in value}
    return found


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                yield from _strings(json.loads(text))
                return
            except ValueError:
                pass
        if text:
            yield text
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def shop_data(db_path: Path) -> list[str]:
    """Every string in the shop's tables (JSON taken apart, tags split at commas), longest
    first, without the app's own codes."""
    codes = _codes()
    found: set[str] = set()
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith(("sqlite_", "alembic", "product_search")):
                continue
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    for text in _strings(cell):
                        found.add(text)
                        found.update(part.strip() for part in text.split(","))
    finally:
        con.close()
    return sorted((t for t in found if t and t not in codes), key=len, reverse=True)


def visible_texts(window: QWidget) -> list[tuple[str, str]]:
    """(where, text) for what a person can read in ``window``."""
    out: list[tuple[str, str]] = []
    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window):
            continue
        name = type(w).__name__
        if isinstance(w, QLabel | QAbstractButton):
            out.append((name, w.text()))
        elif isinstance(w, QLineEdit):
            out.append((f"{name} placeholder", w.placeholderText()))
        elif isinstance(w, QComboBox):
            out += [(name, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QGroupBox):
            out.append((name, w.title()))
        elif isinstance(w, QTabBar):
            out += [(name, w.tabText(i)) for i in range(w.count())]
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            out += _view_texts(w)
    return [(where, text) for where, text in out if text]


def _view_texts(view: QAbstractItemView) -> list[tuple[str, str]]:
    model = view.model()
    root = view.rootIndex()
    try:
        columns = model.columnCount(root)
    except TypeError:  # a list model whose columnCount takes no parent
        columns = 1
    out = []
    for c in range(columns):
        head = model.headerData(c, Qt.Orientation.Horizontal)
        if isinstance(head, str):
            out.append(("header", head))
    for r in range(min(model.rowCount(root), ROWS)):
        for c in range(columns):
            value = model.index(r, c, root if root.isValid() else QModelIndex()).data()
            if isinstance(value, str):
                out.append((f"{type(view).__name__} row", value))
    return out


def foreign_words(
    texts: Iterable[tuple[str, str]], data: list[str], lang: str
) -> list[tuple[str, str, list[str]]]:
    """(where, text, the other language's words in it) for every text that has some that are
    not the shop's data. An English word counts as data when a data value holding it as a
    whole word appears in the text; a Thai run when it is part of some data value (a long
    Thai text is shown cut or on its first line)."""
    found = []
    thai_data = " ".join(v for v in data if _THAI.search(v))
    for where, text in texts:
        shown = _ELIDED.sub(" ", text)  # "งบประมาณเท่าไหร่คะ (พิมพ์ตั…": the cut word is data's
        if lang == "th":
            rest = _NOT_WORDS.sub(" ", shown)
            for phrase in EXTERNAL:
                rest = rest.replace(phrase, " ")
            for value in data:
                if value in rest:
                    rest = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", rest)
            bad = [w for w in _EN_WORD.findall(rest) if w not in ALLOWED]
        else:
            # Examples of what Thai shoppers type ("e.g. ส่งไหม, โปร") are Thai on purpose.
            shown = re.sub(r"\be\.g\..*", " ", shown)
            bad = [run for run in _THAI.findall(shown) if run not in thai_data]
        if bad:
            found.append((where, text, bad))
    return found
