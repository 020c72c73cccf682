"""kill -9 in the middle of traffic, restart: nothing lost, nothing twice, order kept."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets
from support.steady_shopper import check_conversation, steady_shopper

from relay import protocol as p

WIDGETS = 6
PER_WIDGET = 40


def test_kill_9_mid_traffic_loses_nothing_and_duplicates_nothing(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """Six shoppers and a desktop that answers every message; the relay is killed with SIGKILL
    mid-traffic and restarted. Every message arrives, each conversation's history holds each id
    exactly once, in the order it was sent."""
    r = shop_relay.relay

    async def go() -> None:
        done = asyncio.Event()
        received: list[str] = []  # ids the desktop got (may repeat: it dedupes by id)
        replies_accepted: set[str] = set()
        sessions: dict[int, str] = {}

        async def desktop_loop() -> None:
            pending: dict[str, p.Send] = {}
            while not done.is_set():
                desk = None
                try:
                    desk, _ = await clients.desktop(r, shop_relay.token)
                    for frame in list(pending.values()):
                        await desk.send(frame)
                    while not done.is_set():
                        try:
                            f = await desk.recv(0.5)
                        except TimeoutError:
                            continue
                        if isinstance(f, p.Inbound):
                            received.append(f.message.id)
                            await desk.send(p.Ack(f.seq))
                            send = p.Send(
                                f.conversation, clients.text(f"re-{f.message.id}", "รับทราบค่ะ")
                            )
                            pending[send.message.id] = send
                            await desk.send(send)
                        elif isinstance(f, p.Accepted):
                            pending.pop(f.id, None)
                            replies_accepted.add(f.id)
                except (OSError, websockets.ConnectionClosed, TimeoutError, AssertionError):
                    await asyncio.sleep(0.1)
                finally:
                    if desk is not None:
                        await desk.ws.close()

        def connect(session: str | None) -> Any:
            return clients.widget(r, shop_relay.shop_id, session=session)

        desk_task = asyncio.create_task(desktop_loop())
        shoppers = [
            asyncio.create_task(steady_shopper(connect, n, PER_WIDGET, sessions))
            for n in range(WIDGETS)
        ]
        # let traffic flow, then pull the plug
        while len(received) < WIDGETS * PER_WIDGET // 3:
            await asyncio.sleep(0.02)
        await asyncio.get_running_loop().run_in_executor(None, r.kill)
        killed_at = len(received)
        await asyncio.sleep(0.3)
        await asyncio.get_running_loop().run_in_executor(None, r.start)
        await asyncio.wait_for(asyncio.gather(*shoppers), 60)
        expected = {f"m-{n}-{i:03d}" for n in range(WIDGETS) for i in range(PER_WIDGET)}
        for _ in range(600):
            if set(received) >= expected and replies_accepted >= {f"re-{x}" for x in expected}:
                break
            await asyncio.sleep(0.05)
        done.set()
        await desk_task
        assert 0 < killed_at < len(expected)
        assert set(received) == expected
        assert replies_accepted == {f"re-{x}" for x in expected}

        for n in range(WIDGETS):
            w, ww = await clients.widget(r, shop_relay.shop_id, session=sessions[n])
            check_conversation(ww.history, n, PER_WIDGET)
            await w.close()

    arun(go())


def test_kill_9_right_after_accepted_loses_nothing_acknowledged(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A shopper sends 20 messages at once (its burst allowance) and the desktop, which got
    the first ones live, answers with replies; the moment the last `accepted` arrives the
    relay is killed with SIGKILL. After the restart the desktop (resuming after what it acked)
    gets every message it had not acked, in order, and the widget's history holds every
    accepted reply: what the relay acknowledged was durable, whichever commit carried it."""
    r = shop_relay.relay
    n = 20

    async def go() -> None:
        w, ww = await clients.widget(r, shop_relay.shop_id)
        desk, _ = await clients.desktop(r, shop_relay.token)
        for i in range(n):  # all in flight at once: few commits carry them
            await w.send(p.WidgetSend(clients.text(f"m-{i:02d}", f"ข้อความ {i}")))
        first = await desk.recv_type(p.Inbound)
        await desk.send(p.Ack(first.seq))  # the desktop stored the first one
        replies = [f"re-{i:02d}" for i in range(n // 2)]
        for rid in replies:
            await desk.send(p.Send(ww.conversation, clients.text(rid, "รับทราบค่ะ")))

        async def accepted(peer: Any, ids: set[str]) -> None:
            while ids:
                f = await peer.recv()
                if isinstance(f, p.Accepted):
                    ids.discard(f.id)

        await asyncio.gather(
            accepted(w, {f"m-{i:02d}" for i in range(n)}), accepted(desk, set(replies))
        )
        await asyncio.get_running_loop().run_in_executor(None, r.kill)
        await w.close()  # (the relay is gone: these only release the sockets)
        await desk.close()
        await asyncio.get_running_loop().run_in_executor(None, r.start)

        desk, welcome = await clients.desktop(r, shop_relay.token, after=first.seq)
        assert welcome.after == first.seq
        rest = [await desk.recv_type(p.Inbound) for _ in range(n - 1)]
        assert [f.message.id for f in rest] == [f"m-{i:02d}" for i in range(1, n)]
        assert [f.seq for f in rest] == sorted(f.seq for f in rest)
        w2, ww2 = await clients.widget(r, shop_relay.shop_id, session=ww.session)
        shop_ids = [h.message.id for h in ww2.history if h.origin is p.Origin.SHOP]
        assert shop_ids == replies
        await w2.close()
        await desk.close()

    arun(go())
