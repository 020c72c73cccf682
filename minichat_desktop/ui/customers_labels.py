"""The names the customers screen, its board and its profile give to pipeline stages, RFM
segments and channels, in the screen's language (Thai from :mod:`minichat_desktop.ui.th`)."""

from __future__ import annotations

import datetime as dt

from minichat_desktop.domain import glossary
from minichat_desktop.ui import i18n
from minichat_desktop.ui.i18n import t

__all__ = ["channel_label", "local_time", "segment_label", "segment_text", "status_label"]


def status_label(status: str) -> str:
    """A pipeline stage in the UI's language (domain.glossary)."""
    return glossary.name_of(glossary.PIPELINE, status, i18n.current_language())


def segment_label(segment: str) -> str:
    """An RFM segment in the UI's language (domain.glossary)."""
    return glossary.name_of(glossary.SEGMENT, segment, i18n.current_language())


def segment_text(segment: str, order_count: int, computing: bool) -> tuple[str, bool]:
    """What a customer's segment cell says, and whether it is a placeholder (drawn muted).

    A customer without a segment who has orders is never called "No orders yet": their
    segment is being computed ("Computing…") or, if computing failed, not known ("—")."""
    if segment or order_count == 0:
        return segment_label(segment), False
    return (t("Computing…") if computing else "—"), True


def channel_label(channel: str) -> str:
    """Where a chat or an order came from, in the UI's language (domain.glossary)."""
    return glossary.name_of(glossary.CHANNEL, channel, i18n.current_language())


def local_time(when: dt.datetime | None, *, short: bool = False) -> str:
    return "" if when is None else i18n.when(when, short=short)
