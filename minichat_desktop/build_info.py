"""What this copy of MiniChat is: its version, when it was built, and where it looks for news
of a newer one.

``scripts/package`` writes a small module, ``minichat_build_info`` (never checked in), into the
frozen program with the version, the build date and the release feed's address fixed at build
time; run from a checkout there is none, and the version comes from the installed package's
metadata. ``MINICHAT_RELEASE_FEED`` overrides the feed's address (the tests serve their own).
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata
from types import ModuleType

import minichat_desktop

FEED_ENV = "MINICHAT_RELEASE_FEED"
DIST_NAME = "minichat"


def _generated() -> ModuleType | None:
    try:
        return importlib.import_module("minichat_build_info")
    except ModuleNotFoundError:
        return None


def version() -> str:
    """This program's version: fixed at build time when frozen, else the package's metadata
    (``minichat_desktop.__version__`` when the package is not installed at all)."""
    built = _generated()
    if built is not None:
        return str(built.VERSION)
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return minichat_desktop.__version__


def build_date() -> str:
    """The UTC date the program was built (``YYYY-MM-DD``), or "" when run from a checkout."""
    built = _generated()
    return str(built.BUILT) if built is not None else ""


def release_feed_url() -> str:
    """The release feed's address: the environment's override, else the one set at build time;
    "" when there is neither (a build made without one, or a checkout)."""
    override = os.environ.get(FEED_ENV, "").strip()
    if override:
        return override
    built = _generated()
    return str(getattr(built, "FEED_URL", "")) if built is not None else ""


def frozen() -> bool:
    """True inside the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))
