"""Fewer frames on a socket that was granted the ``ride`` feature (docs/adr/0010-fewer-frames.md).

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

from relay import protocol as p
from relay.server import Conn

PACK_CHARS = 64 * 1024
"""A packed message holds at most this many characters of frames (a bigger one goes alone)."""


class RidingConn(Conn):
    """A socket whose frames may ride on each other once :meth:`start_riding` was called.

    Packing happens in the socket's writer, which wakes once the loop turn that queued
    frames is over: what the turn queued is all there, and no extra turn is spent."""

    ride = False  # set by :meth:`start_riding` after the welcome, when the feature was granted
    packed = 0  # frames that went as riders (for tests and figures)
    riding_ack: int | None = None  # desktop: the highest ack that rode in, applied at commit

    def start_riding(self) -> None:
        """From now on frames ride on each other. Frames queued before (the welcome) still go
        first and alone."""
        self._alone = len(self._q)  # at the head of the queue: sent unpacked
        self._held: list[str] = []  # notices waiting for a carrier
        self._timer: asyncio.TimerHandle | None = None
        self.ride = True

    def hold(self, text: str, delay: float) -> None:
        """Send ``text`` on the next frame to this socket, or alone after ``delay`` seconds."""
        if not self.ride or delay <= 0:
            self.send(text)
            return
        self._held.append(text)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(delay, self._release)

    @property
    def backlog(self) -> int:
        return super().backlog + (len(self._held) if self.ride else 0)

    def _release(self) -> None:
        """The hold is over and no frame came to ride on: the notices go (together)."""
        self._timer = None
        held, self._held = self._held, []
        for text in held:
            super().send(text)

    async def _write_some(self) -> None:
        if self.ride and (self._alone or self._held or len(self._q) > 1):
            self._pack()
        await super()._write_some()

    def _pack(self) -> None:
        """Turn the queue (after any frames that go alone) and the held notices into as few
        messages as the limits allow: riders before their carrier, in the order queued, the
        held notices first."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        alone = [self._q.popleft() for _ in range(min(self._alone, len(self._q)))]
        self._alone = 0
        frames, self._held = self._held + list(self._q), []
        self._q.clear()
        self._q.extend(alone)
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
        self.packed += len(chunk) - 1
        self._q.append(p.with_riders(chunk[-1], chunk[:-1]))

    async def close(self, code: int = 1001, message: bytes = b"") -> None:
        if self.ride and self._held:
            self._release()  # what was held goes before the close frame
        await super().close(code, message)

    def stop(self) -> None:
        if self.ride and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().stop()
