"""The one atomic file writer (minichat_desktop/files.py) on real files in a temp folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from minichat_desktop.errors import EnvironmentProblem
from minichat_desktop.files import atomic_write, atomic_write_bytes


def test_success_replaces_an_existing_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    """The block's file takes the target's place whole; only the target is left in the folder."""
    target = tmp_path / "report.csv"
    target.write_text("old")
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path
        assert not tmp.exists()
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_error_in_the_block_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    """A failure half-way (here a bug) propagates as it is; nothing is written."""
    target = tmp_path / "export.xlsx"
    with pytest.raises(ZeroDivisionError), atomic_write(target) as tmp:
        tmp.write_bytes(b"half")
        _ = 1 / 0
    assert list(tmp_path.iterdir()) == []


def test_error_keeps_the_existing_file(tmp_path: Path) -> None:
    """A failed write over an existing file leaves the old file untouched."""
    target = tmp_path / "backup.sqlite3"
    target.write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as tmp:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [target]


def test_os_error_becomes_the_named_environment_problem(tmp_path: Path) -> None:
    """With ``problem``, a folder that cannot be written raises that code with the path."""
    target = tmp_path / "missing" / "sales.pdf"
    with pytest.raises(EnvironmentProblem) as info:
        atomic_write_bytes(target, b"%PDF", problem="env.report_failed")
    assert info.value.code == "env.report_failed"
    assert info.value.params == {"path": str(target)}
    assert str(info.value).startswith(f"cannot write {target}: ")
    assert isinstance(info.value.__cause__, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []


def test_os_error_propagates_without_problem(tmp_path: Path) -> None:
    """Without ``problem`` the OS error reaches the caller unchanged."""
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "missing" / "qr.png", b"png")


def test_block_that_writes_nothing_fails_and_leaves_nothing(tmp_path: Path) -> None:
    """Renaming a temporary the block never created is an OS error, not an empty file."""
    with pytest.raises(FileNotFoundError), atomic_write(tmp_path / "empty.csv"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_concurrent_writers_of_one_target_do_not_collide(tmp_path: Path) -> None:
    """Each call gets its own temporary, so threads writing one file each finish whole."""
    target = tmp_path / "labels.pdf"
    errors: list[BaseException] = []
    inside = threading.Barrier(8)

    def write(i: int) -> None:
        try:
            with atomic_write(target) as tmp:
                tmp.write_text(str(i) * 1000)
                inside.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    text = target.read_text()
    assert len(text) == 1000 and len(set(text)) == 1
    assert list(tmp_path.iterdir()) == [target]
