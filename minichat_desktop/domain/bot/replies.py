"""What the sales bot says: protocol message bodies, plus the two things the domain cannot do
itself (it has no network): a local picture to upload before sending (the PromptPay QR), and
an invitation for an AI model to reword a text answer from the facts it was built on.

The rule-based text is always complete on its own: an :class:`Outgoing` is sent as it is when
no AI is configured, when the model fails, or when its wording states a number the facts do
not hold (see :mod:`minichat_desktop.domain.bot.facts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from relay import protocol as p

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_LATIN = re.compile(r"[A-Za-z]")


def lang_of(text: str, default: str = "th") -> str:
    """``th`` when the text has Thai letters, ``en`` when only Latin ones, else ``default``."""
    if _THAI.search(text):
        return "th"
    if _LATIN.search(text):
        return "en"
    return default


@dataclass(frozen=True, slots=True)
class PhraseRequest:
    """Ask a model to answer ``question`` in its own words using only ``facts``; the rule
    answer is the fallback. ``purpose``: recommend, answer, greeting…"""

    question: str
    facts: str
    lang: str
    purpose: str = "answer"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message from the bot. ``image_path``: a local PNG to upload first and send as an
    ``image`` (``body`` is then None; ``caption`` goes with it). ``step``: which node of a
    flow said it (the flow simulator names the step; nothing sent carries it)."""

    body: p.Body | None
    quick_replies: tuple[p.Button, ...] = ()
    image_path: str | None = None
    caption: str | None = None
    phrase: PhraseRequest | None = None
    step: str = ""  # the id of the flow node that said it ("" for the engine's own answers)

    @property
    def text(self) -> str:
        """The plain text of a text or buttons message ('' otherwise)."""
        if isinstance(self.body, p.Text | p.Buttons):
            return self.body.text
        if isinstance(self.body, p.Carousel):
            return self.body.text or ""
        return ""

    def with_text(self, text: str) -> Outgoing:
        """The same message with its text replaced (the AI's wording)."""
        body = self.body
        if isinstance(body, p.Text):
            body = p.Text(text)
        elif isinstance(body, p.Buttons):
            body = p.Buttons(text[:1000], body.buttons)
        elif isinstance(body, p.Carousel):
            body = p.Carousel(body.cards, text[:1000])
        return replace(self, body=body, phrase=None)


def text(
    message: str,
    quick: tuple[p.Button, ...] = (),
    phrase: PhraseRequest | None = None,
) -> Outgoing:
    return Outgoing(p.Text(p.fit_text(message)), quick[: p.MAX_QUICK_REPLIES], phrase=phrase)


def postback(label: str, data: str) -> p.Button:
    return p.Button(label[: p.MAX_LABEL], p.ButtonAction.POSTBACK, data=data[: p.MAX_DATA])


def say(label: str, message: str | None = None) -> p.Button:
    """A quick reply that sends its text as if typed."""
    return p.Button(label[: p.MAX_LABEL], p.ButtonAction.MESSAGE, text=(message or label)[:300])
