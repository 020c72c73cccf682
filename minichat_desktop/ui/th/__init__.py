"""Thai translations of the UI's English source strings, one module per screen (so screens can
be written side by side), merged here. A test checks every ``tr("…")``/``t("…")`` in ui/ has
an entry. A module may also give ``ERRORS``: Thai for domain error codes."""

from __future__ import annotations

import importlib
import pkgutil

THAI: dict[str, str] = {}
# Thai for domain error codes (``UserError.code``), used by ui/errors.py.
ERRORS: dict[str, str] = {}
for _info in pkgutil.iter_modules(__path__):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    THAI.update(getattr(_module, "TEXTS", {}))
    ERRORS.update(getattr(_module, "ERRORS", {}))
