"""Progress for people: a bar on a terminal, nothing when output is piped or in CI logs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[Any], None]]:
    if not (enabled and sys.stderr.isatty()):
        yield lambda _result: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda _result: bar.advance(task)
