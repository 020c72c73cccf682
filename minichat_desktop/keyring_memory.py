"""An in-memory keyring backend, for tests and headless machines.

Select it with ``PYTHON_KEYRING_BACKEND=minichat_desktop.keyring_memory.MemoryKeyring``. It keeps
secrets in this process only; it is never chosen automatically (unlike ``keyrings.alt``, which
would store secrets in plain text).
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Secrets held in a dict for the life of the process."""

    priority = 0.1  # never auto-selected over a real backend

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(f"no secret for {service}/{username}") from None
