"""Starting worker processes so that a Ctrl-C never catches one half-started.

A "spawn" worker reads its start-up data (the preparation and the process object) from a pipe that the
main process writes while it starts the worker. A Ctrl-C handled in that moment (the first one raises
KeyboardInterrupt, a second one ends the process at once) would close the pipe under the worker, which then
prints multiprocessing's ``EOFError: Ran out of input`` traceback on the user's terminal. So the main
process holds Ctrl-C while it starts workers and handles it right after, once the worker has what it needs.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import SpawnContext


def spawn_context() -> SpawnContext:
    """"spawn", not fork: forking a parent whose polars thread pool is running deadlocks the child."""
    return multiprocessing.get_context("spawn")


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C (SIGINT) is noted, not handled, inside this block, and handled as it would have been when the
    block ends. Python runs signal handlers in the main thread only, so elsewhere this holds nothing, and
    needs to: no other thread has a handler run under it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


def ignore_interrupts() -> None:
    """A worker's first step: Ctrl-C from the terminal reaches the whole process group, and the main process
    alone decides what it means."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
