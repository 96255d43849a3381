"""Reading and validating a large batch of files in worker processes, while the one writer (``ingest.py``) stores
them in order: each worker hands back a file's ``Loaded`` and, for a valid document, its facts (``facts.py``).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator
from pathlib import Path

from ..contract.load import Loaded, load_file
from ..gcpause import paused_gc
from .facts import Facts, document_facts


def _worker_start(parent: int) -> None:
    """Worker: leave Ctrl-C to the parent (no traceback per worker) and die with it, however it dies (kill -9
    included), so that no worker outlives it holding its stdout open."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    starter = os.getppid()  # this process (fork) or the fork server (which exits with this process)

    def watch() -> None:
        while True:
            if os.getppid() != starter or not _alive(parent):
                os._exit(1)
            time.sleep(0.2)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@paused_gc()  # a worker's entry, where its work starts: its edge (see gcpause)
def _prepare(path: Path, max_bytes: int, native: bool) -> tuple[Loaded, Facts | None]:
    """Worker: load one file; for a valid document, its facts instead of the (slow to pickle) document."""
    loaded = load_file(path, max_bytes)
    if not loaded.ok:
        return loaded, None
    assert loaded.document is not None
    facts = document_facts(loaded.document, native, loaded.raw)
    loaded.document = None
    return loaded, facts


def _prepared(
    paths: list[Path], max_bytes: int, native: bool, workers: int
) -> Generator[tuple[Loaded, Facts | None], None, None]:
    """(loaded, facts) per path, in order: made by ``workers`` processes, at most a few files ahead."""
    import multiprocessing
    import threading
    from concurrent.futures import Future, ProcessPoolExecutor

    # fork: workers start at once with everything imported. With other threads running (a progress bar),
    # forking is unsafe: a fork server started afresh makes the workers (it imports __main__ again, as every
    # non-fork start does, which the console script guards).
    methods = multiprocessing.get_all_start_methods()
    method = (
        "fork"
        if "fork" in methods and threading.active_count() == 1
        else ("forkserver" if "forkserver" in methods else "spawn")
    )
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])
    window: deque[Future[tuple[Loaded, Facts | None]]] = deque()
    pending = iter(paths)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
    )
    try:
        for path in pending:  # keep 2 files per worker in flight: memory stays flat however big the batch
            window.append(pool.submit(_prepare, path, max_bytes, native))
            if len(window) >= 2 * workers:
                break
        while window:
            done = window.popleft().result()
            following = next(pending, None)
            if following is not None:
                window.append(pool.submit(_prepare, following, max_bytes, native))
            yield done
    finally:  # also when the writer failed or was interrupted: drop the files not yet started
        pool.shutdown(wait=True, cancel_futures=True)
