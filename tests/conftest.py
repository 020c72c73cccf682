"""Shared fixtures: real SQLite files in temporary folders, never mocks of our own code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.fake_meta import APP_SECRET, FakeMeta
from support.relay_proc import Relay, meta_shop_relay, one_shop_relay

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")

from minichat_desktop import paths
from minichat_desktop.storage.db import Database

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = str(PROJECT / ".venv" / "bin" / "python") if (PROJECT / ".venv").exists() else "python"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated empty database, made once and copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    db = Database.open(folder, backup=False)
    db.dispose()
    return paths.database_path(folder)


@pytest.fixture
def new_db(_migrated_template: Path, tmp_path: Path) -> Iterator[Callable[[], Database]]:
    """Makes empty, migrated databases in fresh folders (cheap: copies a template file)."""
    made: list[Database] = []
    counter = iter(range(10_000))

    def make() -> Database:
        folder = tmp_path / f"data{next(counter)}"
        folder.mkdir()
        shutil.copyfile(_migrated_template, paths.database_path(folder))
        db = Database.open(folder, backup=False)
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def db(new_db: Callable[[], Database]) -> Database:
    return new_db()


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[Relay, str, str]]:
    """A relay process on port 0 with one shop: (relay, shop_id, token). A test module may
    define its own ``relay`` (e.g. with a LINE stand-in); that one wins."""
    r, shop_id, token = one_shop_relay(tmp_path / "relay")
    yield r, shop_id, token
    if r.proc is not None:
        r.stop()


@pytest.fixture
def meta_api() -> Iterator[FakeMeta]:
    """Meta's Graph API and CDN as a local server (support.fake_meta), page token
    ``page-token-1``."""
    fake = FakeMeta("page-token-1")
    yield fake
    fake.close()


@pytest.fixture
def meta_relay(tmp_path: Path, meta_api: FakeMeta) -> Iterator[tuple[Relay, str, str]]:
    """A relay process whose one shop has its Facebook Page set up by the operator's CLI (app
    secret ``support.fake_meta.APP_SECRET``, page token ``page-token-1``), asking ``meta_api``:
    (relay, shop_id, token)."""
    r, shop_id, token = meta_shop_relay(tmp_path / "relay", meta_api.url, APP_SECRET)
    yield r, shop_id, token
    if r.proc is not None:
        r.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Free the Qt objects the tests left while the application object still exists: left to
    Python's exit, they are freed in any order, after it, and Qt may crash the process then
    (a run that passed ended with a segmentation fault)."""
    import gc
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return  # a run without Qt (the relay's tests alone)
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    theme = sys.modules.get("minichat_desktop.ui.theme")
    if theme is not None:
        theme.icon_pixmap.cache_clear()
