"""What an import reports: every problem found (:class:`ImportProblem`, raised together as
:class:`ImportFailed`), or what it did (:class:`ImportResult`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from minichat_desktop.errors import UserError


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong in the file. ``row`` as the spreadsheet shows it (0: the whole file),
    ``column`` the header as typed (or the missing column's name), ``letter`` the XLSX column
    letter when there is one."""

    row: int
    column: str
    message: str
    code: str
    letter: str = ""

    def __str__(self) -> str:
        if self.row == 0:
            return self.message
        col = f"{self.letter} ({self.column})" if self.letter else self.column
        return f"row {self.row}, column {col}: {self.message}"


class ImportFailed(UserError):
    """The file was not imported (nothing was stored); ``problems`` lists every reason."""

    def __init__(self, path: Path, problems: Sequence[ImportProblem]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            "import.failed",
            f"nothing imported from {path.name}: {shown}{more}",
            file=path.name,
            count=len(self.problems),
        )


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did. ``created``/``updated``/``unchanged`` count products; ``warnings``
    are things worth telling that did not stop it (ignored columns, the encoding guessed)."""

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = ()
    rows: int = 0
    encoding: str | None = None  # CSV only: "utf-8", "utf-16" or "cp874"
    stock_movements: int = 0


class CellError(ValueError):
    """A cell's value cannot be used; ``code`` is an ``import.*`` problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
