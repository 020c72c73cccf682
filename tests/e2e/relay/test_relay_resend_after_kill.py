"""Schema 5 finds a message id without an index, from ids the relay keeps in memory: after a
``kill -9`` they are gone, and a message resent by either side is still recognised from the
rows (not stored twice, answered with its first position), while a new one is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from relay import protocol as p


def test_messages_resent_after_kill_9_are_not_stored_twice(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    r = shop_relay.relay

    async def go() -> None:
        w, ww = await clients.widget(r, shop_relay.shop_id)
        desk, _ = await clients.desktop(r, shop_relay.token)
        await w.send(p.WidgetSend(clients.text("m-1", "มีเสื้อยืดสีแดงไหม")))
        assert (await w.recv_type(p.Accepted)).seq == 1
        inbound = await desk.recv_type(p.Inbound)
        await desk.send(p.Ack(inbound.seq))
        reply = p.Send(ww.conversation, clients.text("re-1", "มีค่ะ"))
        await desk.send(reply)
        assert (await desk.recv_type(p.Accepted)).id == "re-1"
        await w.recv_type(p.WidgetMessage)
        await asyncio.get_running_loop().run_in_executor(None, r.kill)
        await w.close()
        await desk.close()
        await asyncio.get_running_loop().run_in_executor(None, r.start)

        # both sides were not sure their message got through: they send it again
        w, _ = await clients.widget(r, shop_relay.shop_id, session=ww.session, after=2)
        desk, _ = await clients.desktop(r, shop_relay.token, after=inbound.seq)
        await w.send(p.WidgetSend(clients.text("m-1", "มีเสื้อยืดสีแดงไหม")))
        assert (await w.recv_type(p.Accepted)).seq == 1
        await desk.send(reply)
        assert (await desk.recv_type(p.Accepted)).id == "re-1"
        await w.send(p.WidgetSend(clients.text("m-2", "ส่งวันไหนคะ")))
        assert (await w.recv_type(p.Accepted)).seq == 3
        new = await desk.recv_type(p.Inbound)
        assert new.message.id == "m-2"  # m-1 was not queued again
        await w.close()
        await desk.close()

        w, again = await clients.widget(r, shop_relay.shop_id, session=ww.session)
        assert [(h.seq, h.message.id) for h in again.history] == [
            (1, "m-1"),
            (2, "re-1"),
            (3, "m-2"),
        ]
        await w.close()

    arun(go())
