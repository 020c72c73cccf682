"""What the relay keeps a copy of — the website widget's look and the sites allowed to embed it,
the LINE channel credentials — kept in step with the shop.

The shop is the source of truth. Saving sends the change to the relay at once when online; when
it could not go out (offline, or the relay lost its copy), the relay's ``welcome`` on the next
connection is compared with what the shop has and :func:`catch_up` says what to send again. The
relay link (``sync.client``) does that by itself, whichever screens exist.

LINE credentials are secrets (the keyring holds them, never the database): only *that* a change
waits — ``"set"`` or ``"clear"`` under :data:`LINE_PENDING_KEY` — is stored here.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Literal

from sqlalchemy.orm import Session

from minichat_desktop.app.settings import load_widget_settings
from minichat_desktop.domain import shop
from relay import protocol as p

log = logging.getLogger(__name__)

LINE_PENDING_KEY = "line.pending_push"  # "set" / "clear": to send on the next connection
LinePending = Literal["set", "clear"]


@dataclasses.dataclass(frozen=True, slots=True)
class CatchUp:
    """What the relay's copy lacks: the widget config and allowed origins to send (origins
    None: leave the relay's), and a LINE change saved while offline."""

    widget: tuple[p.WidgetConfig, tuple[str, ...] | None] | None
    line: LinePending | None


def catch_up(session: Session, welcome: p.DesktopWelcome) -> CatchUp:
    """Compare the relay's copy (its ``welcome``) with the shop's. A stored widget config the
    protocol no longer accepts is logged and not sent (the owner saves it again)."""
    stored = load_widget_settings(session)
    widget = None
    if stored.config is not None:
        try:
            config = p.WidgetConfig.from_obj(stored.config)
            origins = None if stored.origins is None else p.parse_origins(list(stored.origins))
        except p.ProtocolError:
            log.warning("stored widget config is invalid; not sending it to the relay")
        else:
            same_origins = origins is None or set(origins) == set(welcome.allowed_origins)
            if config != welcome.widget_config or not same_origins:
                widget = (config, origins)
    pending = shop.get_setting(session, LINE_PENDING_KEY)
    return CatchUp(widget, pending if pending in ("set", "clear") else None)


def line_pending(session: Session, pending: LinePending | None) -> None:
    """Remember that the LINE credentials (``"set"``) or their removal (``"clear"``) still
    have to reach the relay; None once they did."""
    shop.put_setting(session, LINE_PENDING_KEY, pending)
