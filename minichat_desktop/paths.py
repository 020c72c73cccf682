"""Where MiniChat keeps its files.

The data folder is, in order: the ``--data-dir`` option, the ``MINICHAT_DATA_DIR`` environment
variable, or the OS user-data folder (``%LOCALAPPDATA%\\MiniChat`` on Windows,
``~/Library/Application Support/MiniChat`` on macOS, ``~/.local/share/MiniChat`` on Linux).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "MiniChat"
DB_FILENAME = "minichat.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data folder (not created)."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("MINICHAT_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(folder: Path) -> Path:
    return folder / DB_FILENAME


def backups_dir(folder: Path) -> Path:
    return folder / "backups"


def media_dir(folder: Path) -> Path:
    """Images: product photos, payment slips."""
    return folder / "media"


def project_root() -> Path:
    """The folder migrations/ and resources/ live in: the source checkout, beside the package;
    in the frozen program the bundle's own folder (PyInstaller's ``sys._MEIPASS``), where
    packaging/minichat.spec puts them."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent
