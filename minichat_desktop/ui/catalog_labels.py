"""Barcode labels (placeholder until the sheet is written)."""

from __future__ import annotations

from typing import Any


async def print_labels_dialog(screen: Any) -> None:
    return None
