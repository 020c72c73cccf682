"""Meta's messaging window for a Messenger or Instagram conversation, as the desktop sees it.

Meta lets a page answer a shopper freely for 24 hours after the shopper's last message; from
24 hours to 7 days only a person may answer (the relay tags it ``HUMAN_AGENT``); after that,
or when the shopper never wrote, nothing may be sent until they write again (docs/protocol.md
§3.7). The relay enforces it and refuses with ``outside_window``; the desktop works it out
beforehand so the composer can say how long is left, the owner's replies carry ``human`` only
when they need it, and the bot and broadcasts do not try.

:func:`messaging_window` is the rule itself (pure: a channel, the time of the shopper's last
message, the clock; no database, so screens import it at no cost);
:func:`~minichat_desktop.domain.conversations.conversations.window_of` reads that time from
the database. The edges follow the relay's: exactly 24 hours is still open, exactly 7 days
still human-only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

OPEN_FOR = dt.timedelta(hours=24)  # Meta's standard messaging window
HUMAN_FOR = dt.timedelta(days=7)  # a person may still answer, tagged HUMAN_AGENT
META_CHANNELS = frozenset({"messenger", "instagram"})
# Authors whose messages no person typed: the bot, the app's own notices, broadcasts, and the
# page's echoes from Meta Business Suite.
NOT_A_PERSON = frozenset({"bot", "system", "broadcast", "page"})


class WindowState(StrEnum):
    NOT_APPLICABLE = "not_applicable"  # the widget, LINE: no such window
    OPEN = "open"  # anyone may send (the bot too)
    HUMAN_ONLY = "human_only"  # only a person's reply, tagged HUMAN_AGENT
    CLOSED = "closed"  # nothing until the shopper writes again


@dataclass(frozen=True, slots=True)
class MessagingWindow:
    """Where a conversation stands; ``left`` is the time until the state changes (None when
    it will not change by itself: not applicable, closed)."""

    state: WindowState
    left: dt.timedelta | None = None

    @property
    def bot_may_send(self) -> bool:
        """Whether an automatic message (bot, notice, broadcast) may go now."""
        return self.state in (WindowState.NOT_APPLICABLE, WindowState.OPEN)

    @property
    def person_may_send(self) -> bool:
        return self.state is not WindowState.CLOSED

    @property
    def needs_human_tag(self) -> bool:
        """A person's reply goes with ``human: true`` (and only then)."""
        return self.state is WindowState.HUMAN_ONLY


NOT_APPLICABLE = MessagingWindow(WindowState.NOT_APPLICABLE)


def messaging_window(
    channel: str, last_shopper_message: dt.datetime | None, now: dt.datetime
) -> MessagingWindow:
    """The window of a conversation on ``channel`` whose shopper last wrote at
    ``last_shopper_message`` (aware UTC; None: never wrote), at ``now`` (aware). A message time
    in the future (clocks apart) counts as just now."""
    if str(channel) not in META_CHANNELS:
        return NOT_APPLICABLE
    if last_shopper_message is None:
        return MessagingWindow(WindowState.CLOSED)
    age = max(dt.timedelta(0), now - last_shopper_message)
    if age <= OPEN_FOR:
        return MessagingWindow(WindowState.OPEN, OPEN_FOR - age)
    if age <= HUMAN_FOR:
        return MessagingWindow(WindowState.HUMAN_ONLY, HUMAN_FOR - age)
    return MessagingWindow(WindowState.CLOSED)


def is_person(author: str) -> bool:
    """Whether a message with this author was typed by a person (an owner or staff name)."""
    return author not in NOT_A_PERSON


def as_utc(at: dt.datetime | str) -> dt.datetime:
    """A stored time read through ``max()`` (the column's type, or its text on some SQLite
    paths, naive UTC) as an aware UTC time."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
