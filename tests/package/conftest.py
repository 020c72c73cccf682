"""The frozen program as a person gets it: ``dist/MiniChat/minichat`` built by scripts/package,
run with nothing of the project around it (no virtualenv on PATH, no PYTHONPATH, a temporary
working folder), so that anything left out of the bundle shows up here and not on a shop's
computer.

These tests need the bundle, so they are not in the default test paths (pyproject.toml's
norecursedirs): scripts/test builds it and then runs them with ``MINICHAT_BUNDLE`` set. Run by
hand: ``scripts/package && MINICHAT_BUNDLE=dist/MiniChat .venv/bin/python -m pytest
tests/package``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.frozen import BUNDLE_ENV, clean_env


@pytest.fixture(scope="session")
def program() -> Path:
    """The frozen program; a clear error (not a skip) when there is none to check."""
    folder = os.environ.get(BUNDLE_ENV, "")
    if not folder:
        pytest.fail(
            f"tests/package check the frozen program: build it with scripts/package, then run "
            f"{BUNDLE_ENV}=dist/MiniChat pytest tests/package (scripts/test does both)",
            pytrace=False,
        )
    exe = Path(folder).resolve() / ("minichat.exe" if sys.platform == "win32" else "minichat")
    if not exe.is_file():
        pytest.fail(f"{BUNDLE_ENV}={folder}: there is no {exe.name} in it", pytrace=False)
    return exe


@pytest.fixture
def minichat(program: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the frozen program to its end from a temporary folder; returns what it did."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(program), *args],
            cwd=cwd,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
