"""PySide6 windows. Fed by frozen dataclasses from the domain; never runs SQL."""
