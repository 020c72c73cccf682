"""Settings use cases for the screens: the sales bot's page (its switch, modes, memory, the AI
that rewords its answers, shipping fees and discount codes) and the website widget's look and
the sites allowed to embed it.

The shop database is the source of truth for all of it; secrets (the AI key) are not here but
in the keyring."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from minichat_desktop.ai import config as ai_config
from minichat_desktop.ai.providers import AIConfig
from minichat_desktop.domain import shop
from minichat_desktop.domain.bot import cart, context, engine
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import BotMode
from minichat_desktop.errors import UserError

WIDGET_CONFIG_KEY = "widget.config"
WIDGET_ORIGINS_KEY = "widget.allowed_origins"


# ---------------------------------------------------------------------------- the sales bot


@dataclasses.dataclass(frozen=True, slots=True)
class BotSettings:
    """What the bot's page shows, read in one transaction."""

    enabled: bool
    mode: BotMode
    keywords: list[str]
    ttl_minutes: int
    ai: AIConfig | None
    brand_voice: str
    shipping: cart.ShippingRules
    discounts: list[cart.DiscountView]


@dataclasses.dataclass(frozen=True, slots=True)
class BotChanges:
    """The bot page's form, stored as a whole by :func:`store_bot_settings`."""

    enabled: bool
    mode: BotMode
    keywords: list[str]
    ttl_minutes: int
    provider: str
    model: str
    base_url: str
    timeout_s: float
    brand_voice: str
    shipping: cart.ShippingRules


def load_bot_settings(session: Session) -> BotSettings:
    """Everything the bot's page shows."""
    ai = ai_config.load_config(session)
    voice = shop.get_setting(session, ai_config.BRAND_VOICE_KEY, ai_config.DEFAULT_BRAND_VOICE)
    return BotSettings(
        enabled=engine.bot_enabled(session),
        mode=convs.default_bot_mode(session),
        keywords=list(shop.get_setting(session, convs.PASSIVE_KEYWORDS_KEY, []) or []),
        ttl_minutes=context.ttl_minutes(session),
        ai=ai,
        brand_voice=str(voice or ""),
        shipping=cart.shipping_rules(session),
        discounts=cart.list_discount_codes(session),
    )


def store_bot_settings(session: Session, c: BotChanges) -> None:
    """All of the page's form in the caller's unit of work: a bad value anywhere raises
    :class:`UserError` and, the unit of work rolling back, stores nothing."""
    engine.set_bot_enabled(session, c.enabled)
    convs.set_default_bot_mode(session, c.mode)
    shop.put_setting(session, convs.PASSIVE_KEYWORDS_KEY, c.keywords)
    context.set_ttl_minutes(session, c.ttl_minutes)
    ai_config.save_config(
        session,
        c.provider,
        model=c.model,
        base_url=c.base_url,
        brand_voice=c.brand_voice,
        timeout_s=c.timeout_s,
    )
    cart.save_shipping_rules(session, c.shipping)


def set_discount_active(session: Session, code: str, active: bool) -> cart.DiscountView:
    """Switch a code on or off, keeping the rest of it (and its use count); raises
    :class:`UserError` ``discount.unknown`` for a code that does not exist."""
    found = next((d for d in cart.list_discount_codes(session) if d.code == code), None)
    if found is None:
        raise UserError("discount.unknown", f"no discount code {code!r}", discount=code)
    return cart.save_discount_code(
        session,
        found.code,
        found.kind,
        found.value,
        min_subtotal_satang=found.min_subtotal_satang,
        starts_at=found.starts_at,
        ends_at=found.ends_at,
        max_uses=found.max_uses,
        active=active,
        note=found.note,
    )


# ---------------------------------------------------------------------------- the widget


@dataclasses.dataclass(frozen=True, slots=True)
class WidgetSettings:
    """The stored widget config (the protocol's ``WidgetConfig`` as an object; None if never
    saved) and the sites allowed to embed the widget (None if never saved)."""

    config: dict[str, Any] | None
    origins: list[str] | None


def load_widget_settings(session: Session) -> WidgetSettings:
    """The widget's stored config and allowed origins."""
    return WidgetSettings(
        shop.get_setting(session, WIDGET_CONFIG_KEY), shop.get_setting(session, WIDGET_ORIGINS_KEY)
    )


def store_widget_settings(
    session: Session, config: dict[str, Any], origins: list[str] | None
) -> None:
    """Store the widget config, and the allowed origins unless ``origins`` is None."""
    shop.put_setting(session, WIDGET_CONFIG_KEY, config)
    if origins is not None:
        shop.put_setting(session, WIDGET_ORIGINS_KEY, origins)
