"""Parse and validate import files in a child process, so that on two cores validation overlaps the
store's writes (threads cannot: both halves are Python and hold the GIL)."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
from collections.abc import Callable, Iterator
from queue import Empty, Full

from graph_service.errors import TechMatchError
from loaders.formats import ImportFile

DEPTH = 8  # batches in flight: bounds the memory the child can run ahead with


def in_child(produce: Callable[[list[ImportFile], Callable | None], Iterator], files: list[ImportFile],
             skip_invalid: bool) -> Iterator[tuple[str, object]]:
    """Items of `produce(files, on_reject)` run in a spawned process: ("batch", item) or ("reject", r).
    An exception in the child is raised here, with its own type and fields; a child that dies without
    a word (killed, out of memory) is an error here too, not a wait for ever."""
    ctx = mp.get_context("spawn")  # no fork: the parent may hold threads (server, test client)
    queue = ctx.Queue(maxsize=DEPTH)
    child = ctx.Process(target=_run, args=(produce, files, skip_invalid, queue, os.getpid()), daemon=True,
                        name="techmatch-load-reader")
    child.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=1)
            except Empty:
                if child.is_alive():
                    continue
                try:  # it may have sent its last item just before it ended
                    kind, payload = queue.get(timeout=1)
                except Empty:
                    raise TechMatchError(f"the load's reader process ended unexpectedly (exit code "
                                         f"{child.exitcode}); nothing was loaded") from None
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
        try:
            pickle.loads(pickle.dumps(e))  # noqa: S301 - our own bytes
        except Exception:  # the queue pickles in a thread of its own: an error it cannot carry would be lost
            e = TechMatchError(f"{type(e).__name__}: {e}")
        put(("error", e))
