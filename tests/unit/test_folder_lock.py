"""The data folder's lock: one holder at a time, free again once released."""

from __future__ import annotations

from pathlib import Path

from minichat_desktop.storage.folder_lock import FolderLock, in_use


def test_a_held_folder_refuses_a_second_lock_until_released(tmp_path: Path) -> None:
    """Two locks on one folder exclude each other (even in one process); releasing frees it."""
    folder = tmp_path / "shop"
    assert not in_use(folder)
    with FolderLock(folder) as first:
        assert first.acquire() and first.held
        assert (folder / "minichat.lock").exists()
        second = FolderLock(folder)
        assert not second.acquire() and not second.held
        assert in_use(folder)
    assert not in_use(folder)
    with FolderLock(folder) as again:
        assert again.acquire()
