"""Parse and validate import files in a child process, so that on two cores validation overlaps the
store's writes (threads cannot: both halves are Python and hold the GIL)."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from queue import Full

from loaders.formats import ImportFile

DEPTH = 8  # batches in flight: bounds the memory the child can run ahead with


def in_child(produce: Callable[[list[ImportFile], Callable | None], Iterator], files: list[ImportFile],
             skip_invalid: bool) -> Iterator[tuple[str, object]]:
    """Items of `produce(files, on_reject)` run in a spawned process: ("batch", item) or ("reject", r).
    An exception in the child is raised here, with its own type and fields."""
    ctx = mp.get_context("spawn")  # no fork: the parent may hold threads (server, test client)
    queue = ctx.Queue(maxsize=DEPTH)
    child = ctx.Process(target=_run, args=(produce, files, skip_invalid, queue, os.getpid()), daemon=True,
                        name="techmatch-load-reader")
    child.start()
    try:
        while True:
            kind, payload = queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise payload  # type: ignore[misc]
            yield kind, payload
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _run(produce, files, skip_invalid, queue, parent: int) -> None:
    def put(item: tuple[str, object]) -> None:
        while True:
            try:
                queue.put(item, timeout=1)
                return
            except Full:
                if os.getppid() != parent:  # the loader died (even by kill -9): stop, don't linger
                    os._exit(1)

    try:
        on_reject = (lambda r: put(("reject", r))) if skip_invalid else None
        for item in produce(files, on_reject):
            put(("batch", item))
        put(("done", None))
    except BaseException as e:  # handed to the parent, which raises it
        put(("error", e))
