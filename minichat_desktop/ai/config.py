"""Which AI provider the bot uses, stored in the ``settings`` table (never the key: that is in
the OS keyring under :func:`minichat_desktop.secrets.ai_key`).

Keys: ``ai.provider`` (``""`` = no AI, the rule-based bot), ``ai.model``, ``ai.base_url``,
``ai.brand_voice`` (how the shop talks: "friendly, uses ค่ะ, a little playful"),
``ai.timeout_s``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from minichat_desktop.ai.providers import AIConfig, Provider
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.errors import UserError

PROVIDER_KEY = "ai.provider"
MODEL_KEY = "ai.model"
BASE_URL_KEY = "ai.base_url"
BRAND_VOICE_KEY = "ai.brand_voice"
TIMEOUT_KEY = "ai.timeout_s"
DEFAULT_BRAND_VOICE = "สุภาพ เป็นกันเอง ลงท้ายด้วย ค่ะ ตอบสั้น กระชับ"


def load_config(session: Session) -> AIConfig | None:
    """The configured provider, or None when the bot runs on rules only."""
    name = str(get_setting(session, PROVIDER_KEY, "") or "")
    if not name:
        return None
    try:
        provider = Provider(name)
    except ValueError:
        return None
    return AIConfig(
        provider=provider,
        model=str(get_setting(session, MODEL_KEY, "") or ""),
        base_url=str(get_setting(session, BASE_URL_KEY, "") or ""),
        brand_voice=str(get_setting(session, BRAND_VOICE_KEY, DEFAULT_BRAND_VOICE) or ""),
        timeout=float(get_setting(session, TIMEOUT_KEY, 12.0) or 12.0),
    )


def save_config(
    session: Session,
    provider: str,
    *,
    model: str = "",
    base_url: str = "",
    brand_voice: str | None = None,
    timeout_s: float | None = None,
) -> AIConfig | None:
    """Choose the provider (``""`` switches AI off). Raises :class:`UserError` for an unknown
    provider, a base URL that is not http(s) or a timeout outside 3–120 s."""
    if provider and provider not in Provider.__members__.values():
        raise UserError(
            "ai.unknown_provider",
            f"unknown AI provider {provider!r}; use one of {', '.join(Provider)}",
        )
    base_url = base_url.strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UserError("ai.bad_url", f"{base_url!r} is not an http(s) address")
    if timeout_s is not None and not 3 <= timeout_s <= 120:
        raise UserError("ai.bad_timeout", "the AI timeout must be 3 to 120 seconds")
    put_setting(session, PROVIDER_KEY, provider)
    put_setting(session, MODEL_KEY, model.strip())
    put_setting(session, BASE_URL_KEY, base_url)
    if brand_voice is not None:
        put_setting(session, BRAND_VOICE_KEY, brand_voice.strip()[:500])
    if timeout_s is not None:
        put_setting(session, TIMEOUT_KEY, timeout_s)
    return load_config(session)
