"""What every screen is given: the database runner, secrets, settings and the relay link.

Built once by :mod:`minichat_desktop.ui.app` and passed to screens through their constructors
(no globals).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from minichat_desktop.secrets import Secrets
from minichat_desktop.sync.qt_bridge import SyncSignals
from minichat_desktop.ui.ops import Ops

if TYPE_CHECKING:
    from minichat_desktop.sync.client import RelayClient

DEFAULT_RELAY_URL = "http://127.0.0.1:8080"


@dataclass
class AppContext:
    data_dir: Path
    ops: Ops
    secrets: Secrets
    settings: QSettings
    signals: SyncSignals
    relay: RelayClient | None = None
    test_page_url: str = ""

    @property
    def relay_url(self) -> str:
        return str(self.settings.value("relay/url", DEFAULT_RELAY_URL))

    @staticmethod
    def settings_for(data_dir: Path) -> QSettings:
        return QSettings(str(data_dir / "desktop.ini"), QSettings.Format.IniFormat)
