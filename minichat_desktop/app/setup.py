"""First-run setup: the seven steps a new shop goes through before its first sale, and what
counts as done for each.

A step's state is read from the shop's real data wherever the data says it (a profile filled
in, a PromptPay ID, products, allowed websites or a website chat, printer settings); LINE and
the relay are known outside the shop database (the keyring holds their secrets, the relay link
knows whether it got in), so the caller passes them as :class:`Outside`. Only what the owner
*chose* is stored: the steps skipped for now and whether the checklist is hidden from the
dashboard — under :data:`SKIPPED_KEY` and :data:`HIDDEN_KEY` in the shop's settings, never a
secret. Nothing here is needed to sell at the counter offline.
"""

from __future__ import annotations

import dataclasses
import html
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from minichat_desktop.app.settings import WIDGET_ORIGINS_KEY
from minichat_desktop.domain import promptpay, shop
from minichat_desktop.domain.enums import Channel
from minichat_desktop.domain.models import Conversation, Product
from minichat_desktop.domain.sales.tax_documents import PRINTING_KEY

SKIPPED_KEY = "setup.skipped"  # list of Step values the owner put off
HIDDEN_KEY = "setup.hidden"  # True: the owner hid the checklist from the dashboard


class Step(StrEnum):
    """The steps, in the order the checklist shows them."""

    PROFILE = "profile"
    PROMPTPAY = "promptpay"
    PRODUCTS = "products"
    WEBSITE = "website"
    LINE = "line"
    PRINTERS = "printers"
    RELAY = "relay"


class StepState(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    TODO = "todo"


@dataclasses.dataclass(frozen=True, slots=True)
class Outside:
    """What the shop database does not know: whether LINE's channel credentials are set (in
    the keyring, or the relay says so) and whether the relay link got in with the shop token
    (a welcome), now or before."""

    line_configured: bool = False
    relay_linked: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class StepView:
    step: Step
    state: StepState


@dataclasses.dataclass(frozen=True, slots=True)
class Checklist:
    """Every step's state, in order, and whether the owner hid the checklist."""

    steps: tuple[StepView, ...]
    hidden: bool

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state is StepState.DONE)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def skipped(self) -> tuple[Step, ...]:
        return tuple(s.step for s in self.steps if s.state is StepState.SKIPPED)

    @property
    def on_dashboard(self) -> bool:
        """Shown on the dashboard until every step is done or the owner hides it."""
        return not (self.hidden or self.complete)

    def state(self, step: Step) -> StepState:
        return next(s.state for s in self.steps if s.step is step)


def _profile_done(session: Session) -> bool:
    """Name, phone and address filled in (what every receipt prints). A tax ID, when given,
    has passed the 13-digit check, and a VAT-registered shop cannot be saved without one
    (:func:`shop.update_profile`)."""
    p = shop.get_profile(session)
    return all(v.strip() for v in (p.name, p.phone, p.address))


def done_steps(session: Session, outside: Outside) -> set[Step]:
    """The steps the shop's data (and ``outside``) shows as done."""
    profile = shop.get_profile(session)
    origins = shop.get_setting(session, WIDGET_ORIGINS_KEY) or []
    web_chat = session.scalar(select(exists().where(Conversation.channel == Channel.WIDGET)))
    facts = {
        Step.PROFILE: _profile_done(session),
        Step.PROMPTPAY: bool(profile.promptpay_id),
        Step.PRODUCTS: bool(session.scalar(select(exists().where(Product.id.is_not(None))))),
        Step.WEBSITE: bool(origins) or bool(web_chat),
        Step.LINE: outside.line_configured,
        Step.PRINTERS: shop.get_setting(session, PRINTING_KEY) is not None,
        Step.RELAY: outside.relay_linked,
    }
    return {step for step, done in facts.items() if done}


def _skipped(session: Session) -> set[Step]:
    stored = shop.get_setting(session, SKIPPED_KEY) or []
    return {Step(v) for v in stored if v in Step.__members__.values()}


def checklist(session: Session, outside: Outside) -> Checklist:
    """The checklist as it stands: done from the data, else skipped if the owner put it off,
    else to do. A step done after being skipped counts as done."""
    done = done_steps(session, outside)
    skipped = _skipped(session)
    steps = tuple(
        StepView(
            step,
            StepState.DONE
            if step in done
            else StepState.SKIPPED
            if step in skipped
            else StepState.TODO,
        )
        for step in Step
    )
    return Checklist(steps, bool(shop.get_setting(session, HIDDEN_KEY, False)))


def skip_step(session: Session, step: Step, skipped: bool = True) -> None:
    """Put ``step`` off ("skip for now"), or take it back to the to-do list (``skipped``
    False: "do it now")."""
    stored = _skipped(session)
    stored = stored | {step} if skipped else stored - {step}
    shop.put_setting(session, SKIPPED_KEY, sorted(s.value for s in stored))


def hide_checklist(session: Session, hidden: bool = True) -> None:
    """Hide the checklist from the dashboard (it stays in Settings → Set up), or show it."""
    shop.put_setting(session, HIDDEN_KEY, hidden)


def embed_snippet(relay_url: str, shop_id: str) -> str:
    """The one line the owner pastes into their website's HTML: the relay's ``widget.js`` for
    this shop (the widget reads the shop from ``data-shop`` and the relay from its own
    ``src``)."""
    src = html.escape(f"{relay_url.rstrip('/')}/widget.js", quote=True)
    return f'<script src="{src}" data-shop="{html.escape(shop_id, quote=True)}" async></script>'


def webhook_url(relay_url: str, shop_id: str) -> str:
    """The URL to paste into the LINE Developers console (Messaging API → Webhook URL)."""
    return f"{relay_url.rstrip('/')}/line/{shop_id}/webhook"


TEST_AMOUNT_SATANG = 100  # the ฿1 the owner scans with their own banking app


def promptpay_test_card(session: Session) -> bytes | None:
    """A Thai QR Payment card (PNG) for ฿1.00 to the shop's PromptPay ID, for the owner to scan
    with their own banking app (it should show the shop's name; paying is not needed). None
    when the shop has no PromptPay ID yet."""
    profile = shop.get_profile(session)
    if not profile.promptpay_id:
        return None
    payload = promptpay.promptpay_payload(profile.promptpay_id, Decimal(TEST_AMOUNT_SATANG) / 100)
    return promptpay.promptpay_card_png(payload, profile.name, TEST_AMOUNT_SATANG)
