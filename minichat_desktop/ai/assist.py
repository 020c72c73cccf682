"""What the bot asks of an AI model: an intent when the rules are unsure, and natural wording
for an answer the rules already wrote from database facts.

Both fall back without fuss: no answer, a provider error, or a wording that states a number the
facts do not hold (:func:`minichat_desktop.domain.bot.facts.grounded`) leaves the rule result
as it is. Nothing here raises into the bot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from minichat_desktop.ai.config import load_config
from minichat_desktop.ai.providers import NEEDS_KEY, AIClient, AIError, TokenCallback
from minichat_desktop.domain.bot import nlu
from minichat_desktop.domain.bot.facts import grounded
from minichat_desktop.domain.bot.replies import Outgoing, PhraseRequest
from minichat_desktop.errors import EnvironmentProblem
from minichat_desktop.secrets import Secrets, ai_key

log = logging.getLogger(__name__)

LANGUAGE = {"th": "Thai", "en": "English"}


@dataclass
class Stats:
    """What the model did (for the CLI and logs)."""

    asked: int = 0
    used: int = 0
    rejected: int = 0  # answers with numbers not in the facts
    failed: int = 0  # provider errors


class BotAI:
    def __init__(self, client: AIClient, brand_voice: str = "") -> None:
        self.client = client
        self.brand_voice = brand_voice or client.config.brand_voice
        self.stats = Stats()

    @classmethod
    def from_settings(cls, session: Session, secrets: Secrets) -> BotAI | None:
        """The configured provider with its key from the keyring, or None (no AI set, or a
        provider that needs a key and has none, or no keyring)."""
        config = load_config(session)
        if config is None:
            return None
        try:
            key = secrets.get(ai_key(config.provider.value))
        except EnvironmentProblem as exc:
            log.warning("ai key unavailable: %s", exc.message)
            return None
        if config.provider in NEEDS_KEY and not key:
            return None
        return cls(AIClient(config, key))

    async def classify_fallback(self, text: str) -> dict[str, Any] | None:
        """``{"intent", "confidence"}`` from the model for an unsure message, or None."""
        self.stats.asked += 1
        try:
            raw = await self.client.complete(
                "You are a precise intent classifier. Answer with one JSON object only.",
                [{"role": "user", "content": nlu.ai_prompt(text)}],
                max_tokens=60,
                json_mode=True,
            )
        except AIError as exc:
            self.stats.failed += 1
            log.info("ai classify failed: %s %s", exc.code, exc.message)
            return None
        answer = nlu.parse_ai_answer(raw)
        if answer is not None:
            self.stats.used += 1
        return answer

    def system_prompt(self, lang: str) -> str:
        voice = self.brand_voice or "friendly and polite"
        return (
            "You write chat replies for a small Thai online shop, to a shopper. "
            f"Brand voice: {voice}. Reply in {LANGUAGE.get(lang, 'Thai')}, plain text, no "
            "markdown, at most three short sentences. Use ONLY the facts given. Never state a "
            "price, discount, stock level, order number, status, tracking number, date or "
            "delivery time that is not written in the facts or the draft; keep every number "
            "exactly as written. If the facts do not answer the question, say the shop will "
            "check."
        )

    async def phrase(
        self, request: PhraseRequest, draft: str, on_token: TokenCallback | None = None
    ) -> str:
        """The model's wording of ``draft`` (the rule answer) when it passes the guard, else
        ``draft``."""
        self.stats.asked += 1
        user = (
            f"FACTS:\n{request.facts or '(none)'}\n\n"
            f"SHOPPER: {request.question}\n\n"
            f"DRAFT REPLY (correct; reword it naturally): {draft}"
        )
        try:
            answer = await self.client.complete(
                self.system_prompt(request.lang),
                [{"role": "user", "content": user}],
                on_token=on_token,
            )
        except AIError as exc:
            self.stats.failed += 1
            log.info("ai phrase failed: %s %s", exc.code, exc.message)
            return draft
        # Not the shopper's own numbers: "ลดเหลือ 100 ได้ไหม" must not become a price.
        if not grounded(answer, request.facts, draft):
            self.stats.rejected += 1
            log.info("ai answer rejected: a number not in the facts")
            return draft
        self.stats.used += 1
        return answer.strip()

    async def finish(self, replies: list[Outgoing]) -> list[Outgoing]:
        """Reword the replies that invite it (``phrase`` set); the rest pass unchanged."""
        out = []
        for reply in replies:
            if reply.phrase is not None and reply.text:
                worded = await self.phrase(reply.phrase, reply.text)
                reply = reply.with_text(worded)
            out.append(reply)
        return out
