"""A real ``SyncEvents`` implementation for tests: records what the relay client reports."""

from __future__ import annotations

import asyncio

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.sync.client import LinkState, Status
from relay import protocol as p


class Recorder:
    """Collects what the client reports (a real SyncEvents implementation for tests)."""

    def __init__(self) -> None:
        self.statuses: list[Status] = []
        self.stored: list[convs.Inbound] = []
        self.changed: list[int] = []
        self.caught_up_with: list[tuple[str, ...]] = []
        self.online = asyncio.Event()

    def status_changed(self, status: Status) -> None:
        self.statuses.append(status)
        if status.state is LinkState.ONLINE:
            self.online.set()
        else:
            self.online.clear()

    def messages_stored(self, stored: list[convs.Inbound]) -> None:
        self.stored.extend(stored)

    def conversations_changed(self, ids: list[int]) -> None:
        self.changed.extend(ids)

    def welcomed(self, welcome: p.DesktopWelcome) -> None:
        pass

    def line_quota(self, quota: p.LineQuota) -> None:
        pass

    def shopper_typing(self, conversation: str, state: bool) -> None:
        pass

    def caught_up(self, sent: tuple[str, ...]) -> None:
        self.caught_up_with.append(sent)
