"""Human formatting for the CLI: durations, shares, counts."""

from __future__ import annotations


def human_duration(seconds: float | None) -> str:
    """``93784`` → ``1.1 d``; ``5400`` → ``1.5 h``; ``42`` → ``42 s``."""
    if seconds is None:
        return "–"
    s = abs(seconds)
    sign = "-" if seconds < 0 else ""
    if s >= 86400:
        return f"{sign}{s / 86400:.1f} d"
    if s >= 3600:
        return f"{sign}{s / 3600:.1f} h"
    if s >= 60:
        return f"{sign}{s / 60:.1f} min"
    if s >= 1 or s == 0:
        return f"{sign}{s:.0f} s"
    return f"{sign}{s * 1000:.0f} ms"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def count(n: int) -> str:
    return f"{n:,}"


def parse_duration(text: str) -> float:
    """``90`` / ``90s`` / ``15min`` / ``4h`` / ``2d`` / ``1.5w`` → seconds."""
    units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
    t = text.strip().lower()
    for suffix in sorted(units, key=len, reverse=True):
        if t.endswith(suffix):
            number = t[: -len(suffix)].strip()
            return float(number) * units[suffix]
    return float(t)
