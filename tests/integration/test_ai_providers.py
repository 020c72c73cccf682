"""The AI providers against local HTTP servers that speak each provider's wire format:
Ollama's NDJSON stream, the OpenAI-compatible SSE of OpenRouter and Groq, Anthropic's Messages
SSE — streaming, errors, retries on 429/5xx, timeouts, and the bot's fallback to its own words."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from minichat_desktop.ai.assist import BotAI
from minichat_desktop.ai.providers import AIClient, AIConfig, AIError, Provider
from minichat_desktop.domain.bot.replies import Outgoing, PhraseRequest, text

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeProvider:
    """A local server; each request takes the next scripted handler (the last one repeats)."""

    def __init__(self) -> None:
        self.script: list[Handler] = []
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((request.path, dict(request.headers), body))
        handler = self.script[min(len(self.requests), len(self.script)) - 1]
        return await handler(request)


@pytest.fixture
async def server() -> AsyncIterator[FakeProvider]:
    s = FakeProvider()
    await s.start()
    yield s
    await s.stop()


def ndjson(*objs: dict[str, Any], pause: float = 0.0) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        res = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await res.prepare(request)
        for obj in objs:
            await res.write((json.dumps(obj, ensure_ascii=False) + "\n").encode())
            await asyncio.sleep(pause)
        await res.write_eof()
        return res

    return handle


def sse(*events: tuple[str | None, str], comment: bool = False) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        res = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await res.prepare(request)
        if comment:
            await res.write(b": OPENROUTER PROCESSING\n\n")
        for event, data in events:
            frame = (f"event: {event}\n" if event else "") + f"data: {data}\n\n"
            await res.write(frame.encode())
        await res.write_eof()
        return res

    return handle


def status(code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=code, headers=headers)

    return handle


def slow(seconds: float) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({})

    return handle


def openai_chunk(content: str) -> str:
    return json.dumps(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}}],
        },
        ensure_ascii=False,
    )


def anthropic_events(*texts: str) -> list[tuple[str | None, str]]:
    events: list[tuple[str | None, str]] = [
        (
            "message_start",
            json.dumps(
                {
                    "type": "message_start",
                    "message": {"id": "msg_1", "role": "assistant", "content": []},
                }
            ),
        ),
        (
            "content_block_start",
            json.dumps(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            ),
        ),
        ("ping", json.dumps({"type": "ping"})),
    ]
    for t in texts:
        events.append(
            (
                "content_block_delta",
                json.dumps(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": t},
                    },
                    ensure_ascii=False,
                ),
            )
        )
    events += [
        ("content_block_stop", json.dumps({"type": "content_block_stop", "index": 0})),
        (
            "message_delta",
            json.dumps(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 9},
                }
            ),
        ),
        ("message_stop", json.dumps({"type": "message_stop"})),
    ]
    return events


class Clock:
    """Records the backoff delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


def client(
    server: FakeProvider, provider: Provider, key: str | None = "sk-test", **kw: Any
) -> tuple[AIClient, Clock]:
    clock = Clock()
    cfg = AIConfig(provider=provider, base_url=server.url, model="m-1", **kw)
    return AIClient(cfg, key, sleep=clock.sleep), clock


HELLO = [{"role": "user", "content": "สวัสดี"}]


async def test_ollama_ndjson_stream(server: FakeProvider) -> None:
    server.script = [
        ndjson(
            {"model": "m-1", "message": {"role": "assistant", "content": "สวัสดี"}, "done": False},
            {"model": "m-1", "message": {"role": "assistant", "content": "ค่ะ"}, "done": False},
            {
                "model": "m-1",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
            },
            pause=0.01,
        )
    ]
    ai, _ = client(server, Provider.OLLAMA, key=None)
    pieces: list[str] = []
    answer = await ai.complete("be kind", HELLO, on_token=pieces.append)
    assert answer == "สวัสดีค่ะ"
    assert pieces == ["สวัสดี", "ค่ะ"]
    path, _, body = server.requests[0]
    assert path == "/api/chat"
    assert body["stream"] is True and body["model"] == "m-1"
    assert body["messages"][0] == {"role": "system", "content": "be kind"}
    assert body["messages"][1] == HELLO[0]


async def test_ollama_error_line_is_retried_then_fails(server: FakeProvider) -> None:
    server.script = [ndjson({"error": "model 'm-1' not found, try pulling it first"})]
    ai, clock = client(server, Provider.OLLAMA, key=None, retries=1)
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO)
    assert err.value.code == "ai.unavailable"
    assert ai.attempts == 2 and len(clock.delays) == 1


@pytest.mark.parametrize("provider", [Provider.OPENROUTER, Provider.GROQ])
async def test_openai_compatible_sse_stream(server: FakeProvider, provider: Provider) -> None:
    server.script = [
        sse(
            (None, openai_chunk("มีค่ะ ")),
            (None, json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})),
            (None, openai_chunk("ราคา ฿290.00")),
            (None, "[DONE]"),
            comment=True,
        )
    ]
    ai, _ = client(server, provider)
    pieces: list[str] = []
    assert await ai.complete("s", HELLO, on_token=pieces.append) == "มีค่ะ ราคา ฿290.00"
    assert pieces == ["มีค่ะ ", "ราคา ฿290.00"]
    path, headers, body = server.requests[0]
    assert path == "/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["stream"] is True and body["messages"][0]["role"] == "system"


async def test_anthropic_messages_sse(server: FakeProvider) -> None:
    server.script = [sse(*anthropic_events("ยินดี", "ค่ะ"))]
    ai, _ = client(server, Provider.ANTHROPIC, key="sk-ant")
    pieces: list[str] = []
    assert await ai.complete("voice", HELLO, on_token=pieces.append) == "ยินดีค่ะ"
    assert pieces == ["ยินดี", "ค่ะ"]
    path, headers, body = server.requests[0]
    assert path == "/v1/messages"
    assert headers["x-api-key"] == "sk-ant"
    assert headers["anthropic-version"] == "2023-06-01"
    assert body["system"] == "voice" and body["messages"] == HELLO and body["stream"] is True
    assert body["max_tokens"] == 500


async def test_429_is_retried_after_the_servers_delay(server: FakeProvider) -> None:
    server.script = [
        status(429, {"error": {"message": "rate limited"}}, {"Retry-After": "2"}),
        sse((None, openai_chunk("ok")), (None, "[DONE]")),
    ]
    ai, clock = client(server, Provider.GROQ)
    assert await ai.complete("s", HELLO) == "ok"
    assert ai.attempts == 2
    assert clock.delays == [2.0]


async def test_anthropic_overloaded_event_is_retried(server: FakeProvider) -> None:
    overloaded = json.dumps(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    server.script = [sse(("error", overloaded)), sse(*anthropic_events("ok"))]
    ai, clock = client(server, Provider.ANTHROPIC)
    assert await ai.complete("s", HELLO) == "ok"
    assert ai.attempts == 2 and len(clock.delays) == 1


async def test_5xx_retries_with_growing_backoff_then_gives_up(server: FakeProvider) -> None:
    server.script = [status(503, {"error": "busy"})]
    ai, clock = client(server, Provider.OPENROUTER, retries=3)
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO)
    assert err.value.code == "ai.unavailable"
    assert ai.attempts == 4
    assert len(clock.delays) == 3
    assert clock.delays[0] < clock.delays[1] < clock.delays[2]


async def test_refused_key_is_not_retried(server: FakeProvider) -> None:
    server.script = [
        status(401, {"error": {"message": "invalid x-api-key", "type": "authentication_error"}})
    ]
    ai, clock = client(server, Provider.ANTHROPIC)
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO)
    assert (err.value.code, err.value.status, ai.attempts, clock.delays) == (
        "ai.refused",
        401,
        1,
        [],
    )
    assert "invalid x-api-key" in err.value.message


async def test_no_key_fails_before_any_request(server: FakeProvider) -> None:
    ai, _ = client(server, Provider.GROQ, key=None)
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO)
    assert err.value.code == "ai.no_key" and server.requests == []


async def test_a_stream_broken_after_text_is_not_retried(server: FakeProvider) -> None:
    server.script = [sse((None, openai_chunk("ครึ่ง")))]  # no [DONE]: the connection ended
    ai, _ = client(server, Provider.OPENROUTER)
    seen: list[str] = []
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO, on_token=seen.append)
    assert err.value.code == "ai.unavailable" and ai.attempts == 1 and seen == ["ครึ่ง"]


async def test_timeout(server: FakeProvider) -> None:
    server.script = [slow(1.0)]
    ai, _ = client(server, Provider.OLLAMA, key=None, timeout=0.3)
    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO)
    assert err.value.code == "ai.timeout"


async def test_cancel(server: FakeProvider) -> None:
    server.script = [
        ndjson(
            *[{"message": {"content": f"{i} "}, "done": False} for i in range(50)],
            {"done": True},
            pause=0.01,
        )
    ]
    ai, _ = client(server, Provider.OLLAMA, key=None)
    stop = asyncio.Event()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            stop.set()

    with pytest.raises(AIError) as err:
        await ai.complete("s", HELLO, on_token=on_token, cancel=stop)
    assert err.value.code == "ai.cancelled" and len(seen) == 3


# ---------------------------------------------------------------------------- the bot's use


FACTS = "- เสื้อยืดคอกลม: price ฿290.00; options: แดง / M ฿290.00 5 in stock"
DRAFT = "เสื้อยืดคอกลม สีแดง ไซส์ M ราคา ฿290.00 มีของค่ะ"


def _request() -> PhraseRequest:
    return PhraseRequest("มีเสื้อสีแดงไซส์ M ไหม", FACTS, "th", "recommend")


async def test_grounded_wording_is_used(server: FakeProvider) -> None:
    server.script = [
        sse((None, openai_chunk("มีค่ะ! เสื้อยืดคอกลมสีแดง M ราคา 290 บาท เหลือ 5 ตัว")), (None, "[DONE]"))
    ]
    ai, _ = client(server, Provider.GROQ)
    bot = BotAI(ai, "ร่าเริง")
    out = await bot.finish([text(DRAFT, phrase=_request())])
    assert out[0].text == "มีค่ะ! เสื้อยืดคอกลมสีแดง M ราคา 290 บาท เหลือ 5 ตัว"
    assert out[0].phrase is None
    assert "ร่าเริง" in server.requests[0][2]["messages"][0]["content"]
    assert FACTS in server.requests[0][2]["messages"][1]["content"]


@pytest.mark.parametrize(
    "invented",
    [
        "มีค่ะ ราคาพิเศษ 199 บาทวันนี้เท่านั้น",  # a price not in the database
        "มีค่ะ เหลือแค่ 2 ตัวนะคะ",  # a stock level not in the database
        "ราคาสองร้อยห้าสิบบาทค่ะ",  # in Thai words
        "ออเดอร์ MC-2026-000999 ของคุณส่งแล้วค่ะ",  # an order number
    ],
)
async def test_an_invented_number_falls_back_to_the_rule_answer(
    server: FakeProvider, invented: str
) -> None:
    server.script = [sse((None, openai_chunk(invented)), (None, "[DONE]"))]
    ai, _ = client(server, Provider.OPENROUTER)
    bot = BotAI(ai)
    assert await bot.phrase(_request(), DRAFT) == DRAFT
    assert bot.stats.rejected == 1


async def test_provider_down_falls_back_and_other_messages_pass(server: FakeProvider) -> None:
    server.script = [status(500, {"error": "down"})]
    ai, _ = client(server, Provider.GROQ, retries=1)
    bot = BotAI(ai)
    plain = text("สวัสดีค่ะ")
    card = Outgoing(None, image_path="/tmp/qr.png", caption="QR")
    out = await bot.finish([text(DRAFT, phrase=_request()), plain, card])
    assert [o.text for o in out[:2]] == [DRAFT, "สวัสดีค่ะ"]
    assert out[2] == card
    assert bot.stats.failed == 1


async def test_timeout_falls_back_to_the_rule_answer(server: FakeProvider) -> None:
    server.script = [slow(1.0)]
    ai, _ = client(server, Provider.ANTHROPIC, timeout=0.3)
    assert await BotAI(ai).phrase(_request(), DRAFT) == DRAFT


async def test_classify_fallback_reads_the_models_json(server: FakeProvider) -> None:
    server.script = [
        ndjson(
            {"message": {"content": '{"intent": "complaint",'}, "done": False},
            {"message": {"content": ' "confidence": 0.8}'}, "done": True},
        )
    ]
    ai, _ = client(server, Provider.OLLAMA, key=None)
    bot = BotAI(ai)
    assert await bot.classify_fallback("ของมาไม่ตรงปกเลยอะ") == {
        "intent": "complaint",
        "confidence": 0.8,
    }
    assert server.requests[0][2]["format"] == "json"
    server.script = [ndjson({"message": {"content": "I think it is a complaint"}, "done": True})]
    assert await bot.classify_fallback("?") is None


async def test_a_price_the_shopper_proposes_is_not_agreed_to(server: FakeProvider) -> None:
    server.script = [sse((None, openai_chunk("ได้ค่ะ ลดเหลือ 250 บาทให้เลยค่ะ")), (None, "[DONE]"))]
    ai, _ = client(server, Provider.GROQ)
    request = PhraseRequest("ลดเหลือ 250 ได้ไหมคะ", FACTS, "th")
    assert await BotAI(ai).phrase(request, DRAFT) == DRAFT
