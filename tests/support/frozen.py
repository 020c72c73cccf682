"""Running the frozen program (tests/package, bench/bench_bundle.py) the way a shop's computer
would: nothing of the project or of this interpreter around it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BUNDLE_ENV = "MINICHAT_BUNDLE"
PROJECT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a shop's computer: no PYTHONPATH, no virtualenv, no folder of the
    project or of this interpreter on PATH; Qt offscreen, secrets in memory."""
    ours = (str(PROJECT), sys.prefix, os.path.dirname(sys.executable))
    path = [
        p
        for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if p and not any(p.startswith(o) for o in ours)
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "MINICHAT_", "QT_", "PYTEST"))
    }
    env.update(
        PATH=os.pathsep.join(path),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="minichat_desktop.keyring_memory.MemoryKeyring",
    )
    env.update(extra)
    return env
