"""Quoting for the SQL that opslens builds for DuckDB (identifiers and string literals)."""

from __future__ import annotations

__all__ = ["quote_ident", "quote_str"]


def quote_ident(name: str) -> str:
    """``end`` → ``"end"``; embedded double quotes are doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_str(value: str) -> str:
    """``O'Brien`` → ``'O''Brien'``: a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
