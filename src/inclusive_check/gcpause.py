"""Pausing the cyclic garbage collector for a command's work, applied where the work starts (its edge).

Reading a market makes hundreds of thousands of dicts, Decimals and models at once, and running the rules
a finding per subject; each allocation threshold would start a collection that walks them all (a fifth of
the loading time). Reference counting frees them as usual, and they make no cycles.

Why at the edge (a command, a worker process's entry) and not inside library functions: only the caller
knows what else runs in the process and for how long; a library function that switched the collector off
and on would do so for its callers too (a server, a test run), behind their back. So library functions
leave the collector alone, and commands pause it for their work: ``@paused_gc()`` or ``with paused_gc():``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off until the block (or decorated function) ends; left as it was when already off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
