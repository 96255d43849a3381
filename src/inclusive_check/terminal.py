"""Progress for people: a bar on a terminal, nothing when output is piped or in CI logs.

A command hands ``advance`` to the library function doing the work (e.g. ``store.ingest.ingest_paths``'s
``on_file``): the library reports each step, the terminal decides whether and how to show it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[object], None]]:
    """A callback that advances the bar by one step (whatever it is given); a no-op off a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda _result: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:  # stderr: stdout stays the output
        task = bar.add_task(label, total=total)
        yield lambda _result: bar.advance(task)
