"""Errors every layer raises — the domain's rules, storage, files, the relay link — sorted the
way a person needs them (one vocabulary, at the bottom of the layers: anything may raise them,
the screens and the CLI turn them into words and exit codes).

- :class:`UserError` — something the person can fix (bad input, not enough stock, an illegal
  status change). Carries a stable ``code`` the UI translates and ``params`` to fill in.
- :class:`EnvironmentProblem` — the machine or the world (disk full, database locked by another
  program, file unreadable). Retry or tell the person; nothing is lost.

Anything else escaping a use case is our bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of the errors that carry a translatable code."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params: Mapping[str, Any] = params

    def __str__(self) -> str:
        return self.message


class UserError(DomainError):
    """The person can fix this: say what and how."""


class NotFound(UserError):
    """A record the person named does not exist."""


class OutOfStock(UserError):
    """Not enough stock for what was asked."""


class InvalidTransition(UserError):
    """An order cannot move from its status to the one asked for."""


class EnvironmentProblem(DomainError):
    """The machine or the world got in the way (disk, locks, files). Retry or report."""
