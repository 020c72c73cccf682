"""Chat completions from four AI providers over httpx, streamed, in their own wire formats.

- **Ollama** — ``POST {base}/api/chat`` with ``"stream": true``: one JSON object a line
  (NDJSON), ``{"message": {"content": "…"}, "done": false}`` … ``{"done": true}``; an error
  is ``{"error": "…"}`` (as the body of a 4xx/5xx or as a line of the stream).
- **OpenRouter** and **Groq** — the OpenAI-compatible ``POST {base}/chat/completions`` with
  ``"stream": true``: server-sent events ``data: {"choices": [{"delta": {"content": "…"}}]}``
  ending with ``data: [DONE]``; comment lines (``: OPENROUTER PROCESSING``) are keep-alives; an
  error mid-stream is ``data: {"error": {"message": …}}``. Bearer key.
- **Anthropic** — ``POST {base}/v1/messages`` with ``"stream": true``, headers ``x-api-key`` and
  ``anthropic-version``: events ``message_start``, ``content_block_start``, ``ping``,
  ``content_block_delta`` (``{"delta": {"type": "text_delta", "text": "…"}}``),
  ``content_block_stop``, ``message_delta``, ``message_stop``, and ``error``
  (``{"error": {"type": "overloaded_error", …}}``).

:meth:`AIClient.complete` sends one request and returns the whole text, calling ``on_token``
with each piece as it arrives. A 429, a 5xx (Anthropic's 529 "overloaded" included), a
connection error or a read timeout before any text arrived is retried with capped, jittered
exponential backoff (``Retry-After`` honoured up to the cap); a refused key (401/403) or a bad
request is not. The whole call has a deadline (``timeout``); past it, or when ``cancel`` is
set, it stops. Every failure is an :class:`AIError` with a code — callers fall back to the
rule-based answer, so the bot never depends on a provider being up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

log = logging.getLogger(__name__)

ANTHROPIC_VERSION = "2023-06-01"
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


class Provider(StrEnum):
    OLLAMA = "ollama"
    OPENROUTER = "openrouter"
    GROQ = "groq"
    ANTHROPIC = "anthropic"


DEFAULT_BASE_URL = {
    Provider.OLLAMA: "http://127.0.0.1:11434",
    Provider.OPENROUTER: "https://openrouter.ai/api/v1",
    Provider.GROQ: "https://api.groq.com/openai/v1",
    Provider.ANTHROPIC: "https://api.anthropic.com",
}
DEFAULT_MODEL = {
    Provider.OLLAMA: "qwen2.5:7b",
    Provider.OPENROUTER: "openai/gpt-4o-mini",
    Provider.GROQ: "llama-3.3-70b-versatile",
    Provider.ANTHROPIC: "claude-3-5-haiku-latest",
}
NEEDS_KEY = frozenset({Provider.OPENROUTER, Provider.GROQ, Provider.ANTHROPIC})


class AIError(Exception):
    """A provider could not give an answer. ``code``: ``ai.no_key``, ``ai.refused`` (key or
    permission), ``ai.bad_request``, ``ai.unavailable`` (retries spent), ``ai.timeout``,
    ``ai.bad_stream``, ``ai.cancelled``."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class AIConfig:
    provider: Provider
    model: str = ""
    base_url: str = ""
    timeout: float = 12.0  # the whole call, retries included: a shopper is waiting
    retries: int = 2
    max_tokens: int = 500
    temperature: float = 0.4
    brand_voice: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URL[self.provider]).rstrip("/")

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODEL[self.provider]


TokenCallback = Callable[[str], None]


class AIClient:
    """One provider, one key. ``backoff`` is the first retry's delay in seconds."""

    def __init__(
        self,
        config: AIConfig,
        key: str | None,
        *,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.key = key or ""
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self._transport = transport
        self._sleep = sleep
        self.attempts = 0  # requests sent by the last complete() (for logs and tests)

    async def complete(
        self,
        system: str,
        messages: list[dict[str, str]],
        *,
        on_token: TokenCallback | None = None,
        cancel: asyncio.Event | None = None,
        max_tokens: int | None = None,
        json_mode: bool = False,
    ) -> str:
        """The model's answer to ``messages`` (``[{"role": "user"|"assistant", "content"}]``)
        under ``system``. Raises :class:`AIError`."""
        cfg = self.config
        if cfg.provider in NEEDS_KEY and not self.key:
            raise AIError("ai.no_key", f"no API key set for {cfg.provider}")
        pieces: list[str] = []

        def emit(piece: str) -> None:
            if piece:
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)

        self.attempts = 0
        try:
            async with asyncio.timeout(cfg.timeout):
                await self._with_retries(
                    system, messages, emit, cancel, max_tokens or cfg.max_tokens, json_mode, pieces
                )
        except TimeoutError as exc:
            raise AIError(
                "ai.timeout", f"{cfg.provider} did not answer in {cfg.timeout:g} s"
            ) from exc
        return "".join(pieces).strip()

    async def _with_retries(
        self,
        system: str,
        messages: list[dict[str, str]],
        emit: TokenCallback,
        cancel: asyncio.Event | None,
        max_tokens: int,
        json_mode: bool,
        pieces: list[str],
    ) -> None:
        cfg = self.config
        timeout = httpx.Timeout(cfg.timeout, connect=min(5.0, cfg.timeout))
        async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
            for attempt in range(cfg.retries + 1):
                self.attempts += 1
                try:
                    await self._one(client, system, messages, emit, cancel, max_tokens, json_mode)
                    return
                except _Retryable as exc:
                    if pieces:  # text already shown: a retry would repeat it
                        raise AIError("ai.unavailable", f"stream broke: {exc}") from exc
                    if attempt == cfg.retries:
                        raise AIError(
                            "ai.unavailable",
                            f"{cfg.provider} unavailable after {attempt + 1} tries: {exc}",
                        ) from exc
                    delay = min(self.backoff_cap, self.backoff * 2**attempt)
                    delay *= random.uniform(0.75, 1.0)
                    if exc.retry_after is not None:
                        delay = min(self.backoff_cap, max(delay, exc.retry_after))
                    log.info("ai %s: %s; retry in %.2f s", cfg.provider, exc, delay)
                    await self._sleep(delay)

    async def _one(
        self,
        client: httpx.AsyncClient,
        system: str,
        messages: list[dict[str, str]],
        emit: TokenCallback,
        cancel: asyncio.Event | None,
        max_tokens: int,
        json_mode: bool,
    ) -> None:
        url, headers, body = self._request(system, messages, max_tokens, json_mode)
        try:
            async with client.stream("POST", url, headers=headers, json=body) as res:
                if res.status_code != 200:
                    await res.aread()
                    self._raise_for(res)
                if self.config.provider is Provider.OLLAMA:
                    chunks = _ollama_chunks(res.aiter_lines())
                elif self.config.provider is Provider.ANTHROPIC:
                    chunks = _anthropic_chunks(res.aiter_lines())
                else:
                    chunks = _openai_chunks(res.aiter_lines())
                async for piece in chunks:
                    if cancel is not None and cancel.is_set():
                        raise AIError("ai.cancelled", "cancelled")
                    emit(piece)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retryable(f"connection broke: {exc}") from exc
        except httpx.HTTPError as exc:
            raise AIError("ai.unavailable", f"{type(exc).__name__}: {exc}") from exc

    def _request(
        self, system: str, messages: list[dict[str, str]], max_tokens: int, json_mode: bool
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        cfg = self.config
        headers = {"Content-Type": "application/json", **cfg.extra_headers}
        if cfg.provider is Provider.OLLAMA:
            body: dict[str, Any] = {
                "model": cfg.model_name,
                "messages": [{"role": "system", "content": system}, *messages],
                "stream": True,
                "options": {"temperature": cfg.temperature, "num_predict": max_tokens},
            }
            if json_mode:
                body["format"] = "json"
            if self.key:
                headers["Authorization"] = f"Bearer {self.key}"
            return f"{cfg.url}/api/chat", headers, body
        if cfg.provider is Provider.ANTHROPIC:
            headers["x-api-key"] = self.key
            headers["anthropic-version"] = ANTHROPIC_VERSION
            body = {
                "model": cfg.model_name,
                "system": system,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": cfg.temperature,
                "stream": True,
            }
            return f"{cfg.url}/v1/messages", headers, body
        headers["Authorization"] = f"Bearer {self.key}"
        if cfg.provider is Provider.OPENROUTER:
            headers.setdefault("X-Title", "MiniChat")
        body = {
            "model": cfg.model_name,
            "messages": [{"role": "system", "content": system}, *messages],
            "max_tokens": max_tokens,
            "temperature": cfg.temperature,
            "stream": True,
        }
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        return f"{cfg.url}/chat/completions", headers, body

    def _raise_for(self, res: httpx.Response) -> None:
        status = res.status_code
        reason = _error_text(res)
        if status in RETRY_STATUS:
            raise _Retryable(f"HTTP {status}: {reason}", _retry_after(res))
        if status in (401, 403):
            raise AIError("ai.refused", f"{self.config.provider} refused the key: {reason}", status)
        raise AIError("ai.bad_request", f"{self.config.provider} HTTP {status}: {reason}", status)


def _retry_after(res: httpx.Response) -> float | None:
    value = res.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_text(res: httpx.Response) -> str:
    try:
        obj = res.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return res.text[:200]
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or err.get("type") or err)[:200]
    return str(err or obj)[:200]


async def _ollama_chunks(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    async for line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AIError(
                "ai.bad_stream", f"ollama sent a line that is not JSON: {line[:80]!r}"
            ) from exc
        if "error" in obj:
            raise _Retryable(f"ollama: {obj['error']}")
        yield str((obj.get("message") or {}).get("content") or "")
        if obj.get("done"):
            return
    raise _Retryable("ollama stream ended before done")


async def _sse(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event, data) per server-sent event; comments and unknown fields skipped."""
    event, data = "", list[str]()
    async for line in lines:
        if line == "":
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", list[str]()
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data:
        yield event or "message", "\n".join(data)


def _json(data: str, who: str) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as exc:
        raise AIError(
            "ai.bad_stream", f"{who} sent an event that is not JSON: {data[:80]!r}"
        ) from exc
    if not isinstance(obj, dict):
        raise AIError("ai.bad_stream", f"{who} sent an event that is not an object")
    return obj


async def _openai_chunks(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    async for _event, data in _sse(lines):
        if data.strip() == "[DONE]":
            return
        obj = _json(data, "the provider")
        if "error" in obj:
            err = obj["error"]
            message = err.get("message") if isinstance(err, dict) else err
            code = err.get("code") if isinstance(err, dict) else None
            if code in (429, 500, 502, 503, 504) or code is None:
                raise _Retryable(f"stream error: {message}")
            raise AIError("ai.bad_request", f"stream error: {message}")
        for choice in obj.get("choices") or []:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                yield str(content)
    raise _Retryable("stream ended without [DONE]")


async def _anthropic_chunks(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    async for event, data in _sse(lines):
        obj = _json(data, "anthropic")
        kind = obj.get("type") or event
        if kind == "content_block_delta":
            delta = obj.get("delta") or {}
            if delta.get("type") == "text_delta":
                yield str(delta.get("text") or "")
        elif kind == "message_stop":
            return
        elif kind == "error":
            err = obj.get("error") or {}
            etype = err.get("type", "")
            if etype in ("overloaded_error", "api_error", "rate_limit_error"):
                raise _Retryable(f"anthropic {etype}: {err.get('message', '')}")
            raise AIError("ai.bad_request", f"anthropic {etype}: {err.get('message', '')}")
    raise _Retryable("anthropic stream ended before message_stop")
