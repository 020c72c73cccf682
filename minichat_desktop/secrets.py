"""Secrets (shop token, LINE and Meta credentials, AI and slip-check keys) live in the OS
keyring, never in SQLite or logs. Each data folder has its own namespace, so two shops on one
computer do not mix."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from minichat_desktop.errors import EnvironmentProblem

RELAY_TOKEN = "relay.token"
LINE_SECRET = "line.channel_secret"
LINE_TOKEN = "line.channel_token"
META_APP_SECRET = "meta.app_secret"
META_PAGE_TOKEN = "meta.page_token"
META_VERIFY_TOKEN = "meta.verify_token"  # made by the app, pasted by the owner into Meta


def ai_key(provider: str) -> str:
    return f"ai.{provider}.key"


def slip_key(provider: str) -> str:
    """The API key of a slip-verification service (``slipok``, ``easyslip``)."""
    return f"slipcheck.{provider}.key"


class Secrets:
    """Read and write this data folder's secrets in the keyring."""

    def __init__(self, data_dir: Path) -> None:
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
        self.service = f"MiniChat/{digest}"

    def get(self, name: str) -> str | None:
        import keyring  # loaded on first use: it costs the app's start ~80 ms
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(self.service, name)
        except KeyringError as exc:
            raise EnvironmentProblem(
                "env.keyring",
                f"the system keyring is not available ({exc}); secrets cannot be read",
            ) from exc

    def set(self, name: str, value: str | None) -> None:
        """Store ``value`` (an empty value or None deletes the secret)."""
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            if value:
                keyring.set_password(self.service, name, value)
            else:
                with contextlib.suppress(PasswordDeleteError):
                    keyring.delete_password(self.service, name)
        except KeyringError as exc:
            raise EnvironmentProblem(
                "env.keyring",
                f"the system keyring is not available ({exc}); the secret was not saved",
            ) from exc

    def has(self, name: str) -> bool:
        return bool(self.get(name))
