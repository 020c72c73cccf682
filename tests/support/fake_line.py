"""A stand-in for LINE's Messaging API (api.line.me and api-data.line.me) on a local aiohttp
server in its own thread: it records calls, answers in LINE's wire format, and for "Verify"
really posts a signed test webhook to the URL it is given."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from support import line_rules


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeLine:
    """Stands in for api.line.me and api-data.line.me: records calls, answers like LINE.

    Every reply and push body is checked against LINE's schema and limits
    (``support.line_rules``, with the official line-bot-sdk models): a bad one gets LINE's 400
    body. A push's X-Line-Retry-Key is honoured: once a request under a key was accepted, any
    request under that key gets 409 with ``x-line-accepted-request-id``, as LINE does.
    ``delivered`` lists what a LINE user would see, (to, message object), in order.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.content: dict[str, bytes] = {}
        # served in pieces of this many bytes with a pause between them (None: in one write),
        # with a Content-Length or chunked; a cut-off after ``content_cut`` bytes
        self.content_chunk: int | None = None
        self.content_pause = 0.002
        self.content_chunked = False
        self.content_cut: int | None = None
        self.push_status: list[tuple[int, dict[str, Any]]] = []  # queued answers for pushes
        self.reply_status: list[tuple[int, dict[str, Any]]] = []
        self.accepted_retry_keys: dict[str, tuple[str, Any]] = {}  # key -> (request id, sent)
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.refuse_text: str | None = None  # LINE refuses text messages containing this
        self.hold_pushes = 0  # accept this many pushes but answer only after release()
        self.quota_value: int | None = None
        self.usage = 0
        # The channel as the LINE console has it: the token it accepts (None: any), the secret
        # it signs webhooks with, the bot, and the webhook settings ("Use webhook" = active).
        self.channel_token: str | None = None
        self.channel_secret = ""
        self.bot = {
            "userId": "U0123456789abcdef0123456789abcdef",
            "basicId": "@123abcde",
            "displayName": "ร้านทดสอบ",
            "chatMode": "chat",
            "markAsReadMode": "manual",
        }
        self.webhook: dict[str, Any] = {"endpoint": "", "active": False}
        # Get profile: user id -> {"displayName", "pictureUrl"?, "statusMessage"?, "language"?}
        # (unknown: 404, as for a user who is not the bot's friend); pictures served
        # without a token at ``picture_url(name)``, as LINE's profile CDN does
        self.profiles: dict[str, dict[str, Any]] = {}
        self.pictures: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._release: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def picture_url(self, name: str, data: bytes) -> str:
        """Serve ``data`` as a profile picture; its URL (``pictureUrl``)."""
        self.pictures[name] = data
        return f"{self.url}/profile-pictures/{name}"

    def release(self) -> None:
        """Let held push answers go (the relay has long stopped waiting for them)."""
        if self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def delivered_texts(self) -> list[str]:
        with self.lock:
            return [m.get("text", "") for _, m in self.delivered if m["type"] == "text"]

    def _refused(self, messages: list[dict[str, Any]]) -> tuple[int, dict[str, Any]] | None:
        if self.refuse_text is None:
            return None
        details = [
            {"message": "The text has an invalid LINE emoji", "property": f"messages[{i}].text"}
            for i, m in enumerate(messages)
            if m["type"] == "text" and self.refuse_text in m["text"]
        ]
        if not details:
            return None
        return 400, {"message": f"The request body has {len(details)} error(s)", "details": details}

    def _app(self) -> web.Application:
        app = web.Application()
        self._release = asyncio.Event()

        async def record(request: web.Request) -> dict[str, Any]:
            body = await request.read()
            call = {
                "method": request.method,
                "path": request.path,
                "auth": request.headers.get("Authorization"),
                "retry_key": request.headers.get("X-Line-Retry-Key"),
                "json": json.loads(body) if body else None,
                "raw": body,
                "headers": dict(request.headers),
            }
            with self.lock:
                self.calls.append(call)
            return call

        def answer(status: int, obj: dict[str, Any], **headers: str) -> web.Response:
            return web.json_response(
                obj, status=status, headers={"x-line-request-id": str(uuid.uuid4()), **headers}
            )

        def accept(call: dict[str, Any], to: str) -> dict[str, Any]:
            sent = []
            for m in call["json"]["messages"]:
                self.delivered.append((to, m))
                sent.append({"id": str(len(self.delivered)), "quoteToken": "q"})
            return {"sentMessages": sent}

        async def reply(request: web.Request) -> web.Response:
            call = await record(request)
            status, obj = line_rules.problems(request.path, call["headers"], call["raw"])
            if status != 200:
                return answer(status, obj)
            with self.lock:
                if self.reply_status:
                    return answer(*self.reply_status.pop(0))
                refused = self._refused(call["json"]["messages"])
                if refused:
                    return answer(*refused)
                return answer(200, accept(call, "reply:" + call["json"]["replyToken"]))

        async def push(request: web.Request) -> web.Response:
            call = await record(request)
            status, obj = line_rules.problems(request.path, call["headers"], call["raw"])
            if status != 200:
                return answer(status, obj)
            key = call["retry_key"]
            request_id = str(uuid.uuid4())
            with self.lock:
                if key in self.accepted_retry_keys:
                    accepted_id, sent = self.accepted_retry_keys[key]
                    return answer(
                        409,
                        {"message": "The retry key is already accepted", "sentMessages": sent},
                        **{"x-line-accepted-request-id": accepted_id},
                    )
                if self.push_status:
                    status, obj = self.push_status.pop(0)
                    if status != 200:
                        return answer(status, obj)
                refused = self._refused(call["json"]["messages"])
                if refused:
                    return answer(*refused)
                self.usage += 1
                result = accept(call, call["json"]["to"])
                if key is not None:
                    self.accepted_retry_keys[key] = (request_id, result["sentMessages"])
                hold = self.hold_pushes > 0
                self.hold_pushes -= 1 if hold else 0
            if hold:
                assert self._release is not None
                await self._release.wait()
            return answer(200, result, **{"x-line-request-id": request_id})

        async def loading(request: web.Request) -> web.Response:
            await record(request)
            return web.json_response({}, status=202)

        async def quota(request: web.Request) -> web.Response:
            await record(request)
            if self.quota_value is None:
                return web.json_response({"type": "none"})
            return web.json_response({"type": "limited", "value": self.quota_value})

        async def consumption(request: web.Request) -> web.Response:
            await record(request)
            return web.json_response({"totalUsage": self.usage})

        def authorized(call: dict[str, Any]) -> bool:
            return self.channel_token is None or call["auth"] == f"Bearer {self.channel_token}"

        refused = {
            "message": "Authentication failed. Confirm that the access token in the "
            "authorization header is valid."
        }

        async def bot_info(request: web.Request) -> web.Response:
            call = await record(request)
            return answer(200, self.bot) if authorized(call) else answer(401, refused)

        async def webhook_endpoint(request: web.Request) -> web.Response:
            call = await record(request)
            if not authorized(call):
                return answer(401, refused)
            if request.method == "PUT":
                self.webhook["endpoint"] = call["json"]["endpoint"]
                return answer(200, {})
            return answer(200, dict(self.webhook))

        async def webhook_test(request: web.Request) -> web.Response:
            call = await record(request)
            if not authorized(call):
                return answer(401, refused)
            endpoint = (call["json"] or {}).get("endpoint") or self.webhook["endpoint"]
            if not endpoint:
                return answer(400, {"message": "Webhook URL is not set"})
            return answer(200, await self._post_test_webhook(endpoint))

        async def content(request: web.Request) -> web.StreamResponse:
            await record(request)
            data = self.content.get(request.match_info["mid"])
            if data is None:
                return web.json_response({"message": "Not found"}, status=404)
            if self.content_chunk is None and self.content_cut is None:
                return web.Response(body=data, content_type="image/jpeg")
            return await self._dribble(request, data)

        async def profile(request: web.Request) -> web.Response:
            call = await record(request)
            if not authorized(call):
                return answer(401, refused)
            user = request.match_info["user"]
            known = self.profiles.get(user)
            if known is None:
                return answer(404, {"message": "Not found"})
            return answer(200, {"userId": user, **known})

        async def picture(request: web.Request) -> web.Response:
            await record(request)
            data = self.pictures.get(request.match_info["name"])
            if data is None:
                return web.Response(status=404)
            return web.Response(body=data, content_type="image/jpeg")

        app.router.add_get("/v2/bot/profile/{user}", profile)
        app.router.add_get("/profile-pictures/{name}", picture)
        app.router.add_post("/v2/bot/message/reply", reply)
        app.router.add_post("/v2/bot/message/push", push)
        app.router.add_post("/v2/bot/chat/loading/start", loading)
        app.router.add_get("/v2/bot/message/quota", quota)
        app.router.add_get("/v2/bot/message/quota/consumption", consumption)
        app.router.add_get("/v2/bot/message/{mid}/content", content)
        app.router.add_get("/v2/bot/info", bot_info)
        app.router.add_get("/v2/bot/channel/webhook/endpoint", webhook_endpoint)
        app.router.add_put("/v2/bot/channel/webhook/endpoint", webhook_endpoint)
        app.router.add_post("/v2/bot/channel/webhook/test", webhook_test)
        return app

    async def _post_test_webhook(self, endpoint: str) -> dict[str, Any]:
        """What LINE does for "Verify": post ``{"destination", "events": []}`` signed with the
        channel secret to ``endpoint`` and report what came back, in LINE's words."""
        body = json.dumps({"destination": self.bot["userId"], "events": []}).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "LineBotWebhook/2.0",
            "X-Line-Signature": sign(self.channel_secret, body),
        }
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
                http.post(endpoint, data=body, headers=headers) as resp,
            ):
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            return {
                "success": False,
                "timestamp": at,
                "statusCode": 0,
                "reason": "COULD_NOT_CONNECT",
                "detail": "Connection refused",
            }
        ok = status == 200
        return {
            "success": ok,
            "timestamp": at,
            "statusCode": status,
            "reason": "OK" if ok else "ERROR_STATUS_CODE",
            "detail": str(status),
        }

    async def _dribble(self, request: web.Request, data: bytes) -> web.StreamResponse:
        """``data`` slowly, as a far-away server sends it; cut off after ``content_cut``."""
        res = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        if self.content_chunked:
            res.enable_chunked_encoding()
        else:
            res.content_length = len(data)
        await res.prepare(request)
        step = self.content_chunk or len(data)
        end = len(data) if self.content_cut is None else self.content_cut
        for at in range(0, end, step):
            try:
                await res.write(data[at : min(at + step, end)])
            except ConnectionResetError:
                return res  # the client stopped reading (e.g. past its size limit)
            await asyncio.sleep(self.content_pause)  # the pieces arrive apart, as over a network
        if self.content_cut is not None:
            assert request.transport is not None
            request.transport.close()  # the connection drops mid-body
            return res
        await res.write_eof()
        return res

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self._app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def close(self) -> None:
        self.release()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["path"] == path]

    def wait_for(self, path: str, n: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(path)
            if len(calls) >= n:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"expected {n} call(s) to {path}, got {self.calls_to(path)}")
