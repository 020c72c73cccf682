"""A shopper who keeps writing and a desktop that keeps answering through relay crashes: for
the kill -9 tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from relay import protocol as p

Connect = Callable[[str | None], Awaitable[tuple[Any, Any]]]
ConnectDesktop = Callable[[int], Awaitable[tuple[Any, Any]]]


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


async def steady_desktop(connect: ConnectDesktop, state: dict[str, Any]) -> None:
    """A desktop that answers every shopper message ``X`` with ``re-X`` and acknowledges it,
    until ``state["done"]`` (an asyncio.Event) is set. When its socket dies it connects again
    (``connect(after)`` → (peer, welcome), after its last ack) and resends the replies not yet
    accepted. It records in ``state``: "received" (message ids, in order), "accepted" (reply
    ids), "acked" (the last seq acknowledged) and "connects" (how many times it connected)."""
    pending: dict[str, p.Send] = {}
    while not state["done"].is_set():
        desk = None
        try:
            desk, _ = await connect(state["acked"])
            state["connects"] = state.get("connects", 0) + 1
            for frame in list(pending.values()):
                await desk.send(frame)
            while not state["done"].is_set():
                try:
                    f = await desk.recv(0.5)
                except TimeoutError:
                    continue
                if isinstance(f, p.Inbound):
                    state["received"].append(f.message.id)
                    reply = p.Send(
                        f.conversation, p.Message(f"re-{f.message.id}", p.Text("รับทราบ"))
                    )
                    pending[reply.message.id] = reply
                    await desk.send(reply)
                    await desk.send(p.Ack(f.seq))
                    state["acked"] = f.seq
                elif isinstance(f, p.Accepted):
                    pending.pop(f.id, None)
                    state["accepted"].add(f.id)
        except (OSError, websockets.ConnectionClosed, TimeoutError, AssertionError):
            await asyncio.sleep(0.1)
        finally:
            if desk is not None:
                await desk.ws.close()


def check_conversation(history: tuple[Any, ...] | list[Any], n: int, count: int) -> None:
    """Assert that steady shopper ``n``'s conversation ``history`` (a widget welcome's items)
    after ``count`` messages answered by :func:`steady_desktop` holds each id once, numbered
    1, 2, … without a gap, her messages in the order she sent them, and a reply to each after
    the message it answers."""
    ids = [h.message.id for h in history]
    assert len(ids) == len(set(ids)), f"duplicates in conversation {n}"
    assert [h.seq for h in history] == list(range(1, len(ids) + 1))
    mine = [h.message.id for h in history if h.origin is p.Origin.SHOPPER]
    assert mine == [f"m-{n}-{i:03d}" for i in range(count)]
    theirs = {h.message.id for h in history if h.origin is p.Origin.SHOP}
    assert theirs == {f"re-m-{n}-{i:03d}" for i in range(count)}
    pos = {mid: k for k, mid in enumerate(ids)}
    assert all(pos[f"re-{m}"] > pos[m] for m in mine)


def desktop_state() -> dict[str, Any]:
    """A new ``state`` for :func:`steady_desktop`."""
    return {"done": asyncio.Event(), "received": [], "accepted": set(), "acked": 0, "connects": 0}
