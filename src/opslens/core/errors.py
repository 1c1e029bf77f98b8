"""The one error tree of opslens.

Everything the library raises on purpose derives from :class:`OpslensError`; callers catch that
and show its message (the CLI prints it on one line and exits with code 2; the web turns it into a
form error). No bare ``Exception`` is raised anywhere.

::

    OpslensError
    ├── InputError (also ValueError)          the user's input cannot be used as it is
    │   ├── UnreadableFileError               missing, empty, truncated, wrong type, bad
    │   │                                     encoding, malformed XML
    │   ├── MissingColumnError                a mapped or required column is not in the file
    │   └── TimestampError                    a time column holds no readable timestamp at all
    ├── ConfigError (also ValueError)         an option or mapping is contradictory or unknown
    └── InsufficientDataError                 the input is valid but holds nothing to analyse
        └── EmptySliceError                   one side of a comparison holds no events

Every :class:`InputError` carries, where known, the file, row, column and offending value, so
that a message can point at the exact cell.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EmptySliceError",
    "InputError",
    "InsufficientDataError",
    "MissingColumnError",
    "OpslensError",
    "TimestampError",
    "UnreadableFileError",
]


class OpslensError(Exception):
    """Base class of every error opslens raises on purpose."""


class InputError(OpslensError, ValueError):
    """The input (a file, a column, a value) cannot be used as it is."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            shown = str(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            where.append(f"value {shown!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class UnreadableFileError(InputError):
    """The file is missing, empty, truncated, of an unknown type, or not decodable."""


class MissingColumnError(InputError):
    """A column the mapping names, or one the analysis needs, is not in the file."""


class TimestampError(InputError):
    """A time column holds no value that can be read as a timestamp."""


class ConfigError(OpslensError, ValueError):
    """An option, mapping or setting is contradictory or unknown."""


class InsufficientDataError(OpslensError):
    """The input is valid but leaves nothing to analyse (for example every row was rejected)."""


class EmptySliceError(InsufficientDataError):
    """One side of a comparison (``side``: ``"before"`` or ``"after"``) holds no events once
    its filters are applied."""

    def __init__(self, side: str) -> None:
        super().__init__(f"the {side} slice holds no events (check its filters)")
        self.side = side
