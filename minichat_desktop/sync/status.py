"""The relay link's state, as the status bar shows it (apart from the client so that the window
can show it before the client and its imports are loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LinkState(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    ONLINE = "online"


@dataclass(frozen=True, slots=True)
class Status:
    state: LinkState
    reason: str = ""  # why offline: "relay unreachable", "shop token refused", …
    retry_in: float = 0.0
