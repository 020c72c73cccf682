"""A web-widget shopper as a plain WebSocket client speaking the widget protocol."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from relay import protocol as p
from support.relay_proc import Relay


class Shopper:
    """A widget shopper as a plain WebSocket client."""

    def __init__(self, relay: Relay, shop_id: str) -> None:
        self.relay, self.shop_id = relay, shop_id
        self.session: str | None = None
        self.conversation = ""
        self.ws: Any = None
        self.waiting: list[dict[str, Any]] = []
        self.got: set[str] = set()

    async def connect(self) -> None:
        await self.close()
        self.ws = await websockets.connect(f"{self.relay.ws}/ws/widget?shop={self.shop_id}")
        await self.ws.send(p.encode(p.WidgetHello(session=self.session)))
        welcome = json.loads(await self.ws.recv())
        assert welcome["type"] == "welcome", welcome
        self.session, self.conversation = welcome["session"], welcome["conversation"]
        # What the shop sent while we were away comes as history.
        self.waiting.extend(
            dict(h["message"])
            for h in welcome["history"]
            if h["from"] == "shop" and h["message"]["id"] not in self.got
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def say(self, uid: str, text: str) -> None:
        await self.ws.send(p.encode(p.WidgetSend(p.Message(uid, p.Text(text)))))

    async def next_message(self, timeout: float = 20) -> dict[str, Any]:
        """The next message from the shop (from the history first), acknowledged. The wait is
        generous (a loaded CI machine once took longer than 5 s); one that runs out says what
        the relay logged, to tell a slow machine from a lost message."""

        async def wait() -> dict[str, Any]:
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "message":
                    await self.ws.send(p.encode(p.Ack(frame["seq"])))
                    return dict(frame["message"])

        if self.waiting:
            message = self.waiting.pop(0)
        else:
            try:
                message = await asyncio.wait_for(wait(), timeout)
            except TimeoutError:
                tail = self.relay.log()[-4000:]
                raise TimeoutError(
                    f"no message from the shop in {timeout} s; the relay logged:\n{tail}"
                ) from None
        self.got.add(message["id"])
        return message
