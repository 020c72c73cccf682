"""Whether the relay link has proved itself lately: the rule behind "online" (no sockets, no
asyncio; the time comes from an injected clock).

The rule: the link is shown online only while a session is open **and** something came from
the relay — a frame or the pong to our keepalive ping — within :data:`BOUND` seconds. The
client pings every :data:`PING_INTERVAL` seconds (counted from the last pong) and drops the
link when a pong takes longer than :data:`PING_TIMEOUT`, so on a healthy link the relay is
never silent for more than ``PING_INTERVAL + PING_TIMEOUT``; :data:`BOUND` adds a margin for
a busy event loop. Silence beyond it means the socket or our own task has stopped working
(e.g. the event loop is stuck), whatever the socket's state says.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

PING_INTERVAL = 10.0
PING_TIMEOUT = 10.0
BOUND = PING_INTERVAL + PING_TIMEOUT + 5.0  # 25 s


class Proof(StrEnum):
    NO_LINK = "no_link"  # no session is open
    FRESH = "fresh"  # the relay was heard from within the bound
    SILENT = "silent"  # a session is open, but nothing came for longer than the bound


class Liveness:
    """What the relay link last proved. Call :meth:`opened` when a session is welcomed,
    :meth:`saw_frame` on every frame or pong, :meth:`closed` when the session ends; ask
    :meth:`state` at any time."""

    def __init__(self, clock: Callable[[], float], bound: float = BOUND) -> None:
        if bound <= 0:
            raise ValueError(f"bound must be positive, not {bound}")
        self._clock = clock
        self.bound = bound
        self._last: float | None = None

    def opened(self) -> None:
        """A session was just welcomed: that is proof too."""
        self._last = self._clock()

    def saw_frame(self) -> None:
        """A frame or a pong came from the relay (ignored when no session is open)."""
        if self._last is not None:
            self._last = self._clock()

    def closed(self) -> None:
        self._last = None

    def silent_for(self, now: float | None = None) -> float:
        """Seconds since the relay was last heard from (0 with no session)."""
        if self._last is None:
            return 0.0
        at = self._clock() if now is None else now
        return max(0.0, at - self._last)

    def state(self, now: float | None = None) -> Proof:
        if self._last is None:
            return Proof.NO_LINK
        return Proof.SILENT if self.silent_for(now) > self.bound else Proof.FRESH
