"""The line above the inbox's composer that says how long Meta still lets the shop answer a
Messenger or Instagram chat (:mod:`minichat_desktop.domain.conversations.window`).

- open (under 24 h since the shopper wrote): "ตอบได้อีก 5 ชม. 12 นาที", amber in the last hour;
- human-only (24 h – 7 days): only the owner's own messages go, tagged by the relay as a
  person's reply ("เกิน 24 ชม. แล้ว: ส่งได้เฉพาะข้อความจากคุณ (ไม่ใช่บอท) อีก 3 วัน");
- closed (over 7 days, or the shopper never wrote): nothing can be sent — :attr:`closed`
  tells the inbox to disable the composer.

Hidden for the widget and LINE. It counts down by itself once a minute; ``clock`` is the time
it reads (tests set it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QLabel

from minichat_desktop.domain.conversations.window import (
    MessagingWindow,
    WindowState,
    messaging_window,
)
from minichat_desktop.ui import theme

MINUTE_MS = 60_000
HOUR = dt.timedelta(hours=1)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WindowLine(QLabel):
    """Meta's messaging window for the open chat, in a few words. ``closed`` is emitted with
    whether nothing may be sent now, whenever that changes."""

    closed_changed = Signal(bool)

    def __init__(self, clock: Callable[[], dt.datetime] = utcnow) -> None:
        super().__init__()
        self.setObjectName("WindowLine")
        self.setWordWrap(True)
        self.clock = clock
        self.channel = ""
        self.last_shopper_message: dt.datetime | None = None
        self.messaging = MessagingWindow(WindowState.NOT_APPLICABLE)
        self.closed = False
        self.timer = QTimer(self, interval=MINUTE_MS)
        self.timer.timeout.connect(self.refresh)
        self.setVisible(False)

    def show_for(self, channel: str, last_shopper_message: dt.datetime | None) -> None:
        """The chat now open: its channel and when its shopper last wrote."""
        self.channel = str(channel)
        self.last_shopper_message = last_shopper_message
        self.refresh()

    def clear(self) -> None:
        self.show_for("", None)

    def refresh(self) -> None:
        """Work the window out again at the clock's time (every minute by itself)."""
        self.messaging = messaging_window(self.channel, self.last_shopper_message, self.clock())
        state = self.messaging.state
        applies = state is not WindowState.NOT_APPLICABLE
        self.setVisible(applies)
        if applies:
            self.timer.start()
        else:
            self.timer.stop()
        self._say()
        closed = state is WindowState.CLOSED
        if closed != self.closed:
            self.closed = closed
            self.closed_changed.emit(closed)

    def _say(self) -> None:
        w = self.messaging
        left = w.left or dt.timedelta(0)
        if w.state is WindowState.OPEN:
            self.setText(self.tr("You can reply for another {left}").format(left=self._span(left)))
            tone = "warn" if left < HOUR else "muted"
        elif w.state is WindowState.HUMAN_ONLY:
            self.setText(
                self.tr(
                    "Over 24 hours: only messages from you (not the bot) can be sent, "
                    "for another {left}"
                ).format(left=self._span(left, days=True))
            )
            tone = "warn"
        elif w.state is WindowState.CLOSED and self.last_shopper_message is None:
            self.setText(
                self.tr(
                    "The customer has not written in this chat: nothing can be sent until "
                    "they write to you"
                )
            )
            tone = "error"
        elif w.state is WindowState.CLOSED:
            self.setText(
                self.tr(
                    "The customer has not written for over 7 days: nothing can be sent until "
                    "they write to you"
                )
            )
            tone = "error"
        else:
            self.setText("")
            tone = ""
        theme.tone(self, tone)
        self.setToolTip(
            self.tr(
                "Messenger and Instagram let the shop answer for 24 hours after the "
                "customer's last message (the bot too); after that only a person may answer, "
                "for up to 7 days."
            )
            if w.state is not WindowState.NOT_APPLICABLE
            else ""
        )

    def _span(self, left: dt.timedelta, *, days: bool = False) -> str:
        """``5 ชม. 12 นาที``; with ``days``, whole days when a day or more is left."""
        if days and left >= dt.timedelta(days=1):
            return self.tr("{n} days").format(n=left.days)
        minutes = max(1, math.ceil(left.total_seconds() / 60))
        hours, minutes = divmod(minutes, 60)
        if hours and minutes:
            return self.tr("{h} hr {m} min").format(h=hours, m=minutes)
        if hours:
            return self.tr("{h} hr").format(h=hours)
        return self.tr("{m} min").format(m=minutes)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._say()
        super().changeEvent(event)
