"""Fewer frames on a socket that was granted the ``ride`` feature (docs/adr/0011-fewer-frames.md).

A :class:`RidingConn` is a :class:`~relay.server.Conn` that, once :attr:`RidingConn.ride` is
set (the peer offered ``ride`` in its hello and the relay granted it in its welcome):

- puts every frame queued for the socket in one turn of the event loop (one commit's
  callbacks, as a rule) into one WebSocket message: the last frame carries the others in its
  ``with`` list, oldest first; the peer acts on them in that order before the carrier, so the
  order on the wire is unchanged;
- holds back small notices that nobody is waiting on at once (:meth:`RidingConn.hold`: an
  ``accepted``, a tick ``receipt``) for at most ``delay`` seconds, so that they ride on the
  next frame to the same socket (the reply that follows, the next stream item) instead of
  going alone; when nothing comes in time they go together in one message.

  Held notices go ahead of the frames of the turn that carries them. They name messages by
  id and hold no position, so this never reorders messages or stream items, which keep the
  order they were queued in.

Everything held or packed was already committed: riding changes when a notice arrives, never
whether it is true. A socket that closes while a notice is held loses it as it would lose a
queued frame; both peers recover as after any drop (the sender offers unaccepted messages
again and is answered ``accepted`` again; receipts are in the history and the stream).

Without ``ride`` (an older widget or desktop) :meth:`RidingConn.hold` sends at once and
nothing is packed: the socket behaves exactly as a plain :class:`~relay.server.Conn`.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from relay import protocol as p
from relay.protocol.connection import RelaySide
from relay.server import Conn, Deadlines

PACK_CHARS = 64 * 1024
"""A packed message holds at most this many characters of frames (a bigger one goes alone)."""


class RidingConn(Conn):
    """A socket whose frames may ride on each other once :meth:`start_riding` was called.

    Frames sent in a turn are kept aside and packed when the socket's writer runs, once the
    turn is over (:meth:`~relay.server.Conn._before_write`): no extra turn is spent, and what
    is in the write queue is final (never packed twice). Holds end through ``holds``, the
    process's one timer for them (:class:`~relay.server.Deadlines`)."""

    ride = False  # set by :meth:`start_riding` after the welcome, when the feature was granted
    riding_ack: int | None = None  # desktop: the highest ack that rode in, applied at commit

    def __init__(
        self,
        ws: web.WebSocketResponse,
        label: str,
        machine: RelaySide,
        transport: asyncio.Transport | None,
        holds: Deadlines,
    ) -> None:
        super().__init__(ws, label, machine, transport)
        self._holds = holds
        self._turn: list[str] = []  # frames sent since the writer last ran
        self._held: list[str] = []  # notices waiting for a carrier
        self._hold = 0  # the pending hold's number (0: none); a later one is a new hold
        self._holds_made = 0
        self._due = False  # the pending hold ran out: the held notices go

    def start_riding(self) -> None:
        """From now on frames ride on each other. What is queued already (the welcome) goes
        first and alone."""
        self.ride = True

    def send(self, text: str) -> None:
        if not self.ride:
            super().send(text)
        elif not self.ws.closed:
            self._turn.append(text)
            self._schedule_flush()

    def send_all(self, texts: list[str]) -> None:
        if not self.ride:
            super().send_all(texts)
        elif not self.ws.closed:
            self._turn.extend(texts)
            self._schedule_flush()

    def hold(self, text: str, delay: float) -> None:
        """Send ``text`` on the next frame to this socket, or alone after ``delay`` seconds."""
        if not self.ride or delay <= 0:
            self.send(text)
            return
        self._held.append(text)
        if not self._hold:
            self._holds_made += 1
            self._hold = self._holds_made
            self._holds.add(delay, self._release, self._hold)

    @property
    def backlog(self) -> int:
        if not self.ride:
            return super().backlog
        return super().backlog + len(self._turn) + len(self._held)

    def _release(self, hold: int) -> None:
        """Hold number ``hold`` is over: if no frame came to ride on, the notices go
        (together)."""
        if hold == self._hold:
            self._hold = 0
            self._due = True
            self._schedule_flush()

    def _before_write(self) -> None:
        """Queue the held notices and the frames of the turn, packed into as few messages as
        the limits allow: riders before their carrier, in the order sent, held notices first."""
        if not self.ride:
            return
        if not self._turn and not (self._held and self._due):
            return  # nothing sent and no hold ran out: held notices wait for a carrier
        self._hold = 0  # (its deadline, if still to come, finds nothing held)
        self._due = False
        frames, self._held, self._turn = self._held + self._turn, [], []
        if len(frames) == 1:  # (alone: nothing to pack)
            super().send(frames[0])
            return
        chunk: list[str] = []
        size = 0
        for text in frames:
            if chunk and (size + len(text) > PACK_CHARS or len(chunk) > p.MAX_RIDERS):
                self._emit(chunk)
                chunk, size = [], 0
            chunk.append(text)
            size += len(text)
        if chunk:
            self._emit(chunk)

    def _emit(self, chunk: list[str]) -> None:
        super().send(p.with_riders(chunk[-1], chunk[:-1]))

    async def close(self, code: int = 1001, message: bytes = b"") -> None:
        self._hold = 0
        self._due = True  # what was held goes before the close frame
        self._before_write()
        await super().close(code, message)

    def stop(self) -> None:
        self._hold = 0
        super().stop()
