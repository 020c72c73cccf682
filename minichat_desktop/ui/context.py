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
    from minichat_desktop.storage.backups import BackupState
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


# The backup folder and the last backup's result are this computer's preferences: a folder is
# a path on this machine (a USB drive, another disk), and what happened last must survive a
# restore of the shop database (which would rewind anything kept in it).
BACKUP_GROUP = "backup"


def load_backup_state(settings: QSettings) -> BackupState:
    from minichat_desktop.storage.backups import BackupState

    values = {
        name: str(settings.value(f"{BACKUP_GROUP}/{name}", "") or "") for name in BackupState.FIELDS
    }
    return BackupState.from_strings(values)


def save_backup_state(settings: QSettings, state: BackupState) -> None:
    for name, value in state.to_strings().items():
        settings.setValue(f"{BACKUP_GROUP}/{name}", value)
    settings.sync()
