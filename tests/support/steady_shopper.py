"""A shopper who keeps writing through relay crashes: for the kill -9 tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from relay import protocol as p

Connect = Callable[[str | None], Awaitable[tuple[Any, Any]]]


async def steady_shopper(connect: Connect, n: int, count: int, sessions: dict[int, str]) -> None:
    """Send messages ``m-<n>-000`` … in order, each until the relay accepts it, connecting
    again with the same session (``connect(session)`` → (peer, welcome)) whenever the socket
    dies. ``sessions[n]`` is the session, for reading the history afterwards."""
    i = 0
    session: str | None = None
    while i < count:
        w = None
        try:
            w, ww = await connect(session)
            session = sessions[n] = ww.session
            while i < count:
                msg_id = f"m-{n}-{i:03d}"
                await w.send(p.WidgetSend(p.Message(msg_id, p.Text(f"ข้อความ {i}"))))
                while True:
                    f = await w.recv(5)
                    if isinstance(f, p.Accepted) and f.id == msg_id:
                        break
                i += 1
        except (OSError, websockets.ConnectionClosed, TimeoutError, AssertionError):
            await asyncio.sleep(0.1)
        finally:
            if w is not None:
                await w.ws.close()
