"""A phase progress bar on stderr for big files (reading → analysing → writing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

BIG_FILE = 20 * 1024 * 1024  # bytes; smaller files finish before a bar is worth drawing


class _Phases:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=total) if progress else None
        self._done = 0

    def step(self, label: str) -> None:
        if self._progress is None or self._task is None:
            return
        if self._done:
            self._progress.advance(self._task)
        self._done += 1
        self._progress.update(self._task, description=label)

    def finish(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[0].total)


@contextmanager
def phases(path: Path, *, enabled: bool = True, total: int = 3) -> Iterator[_Phases]:
    """Yield a step counter; draws a bar only for big files on a terminal."""
    console = Console(stderr=True)
    try:
        big = path.stat().st_size >= BIG_FILE
    except OSError:
        big = False
    if not (enabled and big and console.is_terminal):
        yield _Phases(None, total)
        return
    with Progress(
        TextColumn("[bold]{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        phases_ = _Phases(progress, total)
        yield phases_
        phases_.finish()
