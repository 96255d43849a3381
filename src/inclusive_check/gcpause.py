"""A helper with no imports of its own, so that any module can use it without loading the contract."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a burst of allocation that makes no cycles.

    Reading a market file makes hundreds of thousands of dicts, Decimals and models at once; each
    allocation threshold would start a collection that walks them all (a fifth of the loading time).
    Reference counting frees them as usual; the collector runs again when the burst is over.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
