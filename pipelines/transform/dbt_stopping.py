"""Stopping a dbt that runs in a thread of this process, as Ctrl-C stops a dbt process.

Why its own module: a signal reaches only the main thread, so dbt's thread gets its KeyboardInterrupt from
CPython's PyThreadState_SetAsyncExc, and that needs care (see `interrupt_thread`); dbt's thread waiting for
its nodes sees the interrupt only once one of them returns, so their queries are cancelled as well; and a
node still in its query holds the warehouse, so clean-up waits for it (`busy_node_threads`).
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.dummy import DummyProcess

LOG = logging.getLogger(__name__)


def interrupt_thread(thread: threading.Thread) -> bool:
    """Raise KeyboardInterrupt in `thread` at its next Python instruction; False when not sent (try again).

    Not while `thread` or any thread is starting one. CPython 3.11 gives a starting thread the ident of the
    thread starting it until it runs, and SetAsyncExc finds the newest thread state first, so an interrupt
    sent while dbt's thread started one (its node pool, its cache workers) reached the new thread instead,
    which died before saying it had started and left dbt waiting for it forever. Threading's lock on its
    starting threads ('limbo') is held meanwhile, so no start gets past it; a `thread` blocked on that lock
    in Thread.start would take the interrupt as it left limbo's lock, never starting its thread, so an
    interrupt sent as it got there is taken back."""
    ident = ctypes.c_ulong(thread.ident)
    with threading._active_limbo_lock:  # type: ignore[attr-defined]
        if threading._limbo or _in_thread_start(thread):  # type: ignore[attr-defined]
            return False
        sent = ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, ctypes.py_object(KeyboardInterrupt))
        if sent and _in_thread_start(thread):  # it got there meanwhile, and waits for this lock: take it back
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, None)
            return False
    return sent == 1


def _in_thread_start(thread: threading.Thread) -> bool:
    """Whether `thread` is running threading.Thread.start itself (not yet waiting for the new thread)."""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code is threading.Thread.start.__code__


def cancel_dbt() -> None:
    """Interrupt the queries of every registered dbt adapter, as dbt does itself on Ctrl-C."""
    from dbt.adapters.factory import FACTORY

    for adapter in list(FACTORY.adapters.values()):
        try:
            adapter.cancel_open_connections()
        except Exception as exc:  # a connection dbt is closing meanwhile: the next round tries again
            LOG.debug("cancelling dbt's queries: %s", exc)


def busy_node_threads(started: set[threading.Thread]) -> list[threading.Thread]:
    """Those of `started` that are dbt node threads (its pool's workers) with a connection not released, i.e.
    a node not finished (open, or named and about to open): dbt releases a node's connection when the node
    ends. An idle worker of a pool dbt never closed (it left on an error) waits for work for good and is
    not counted."""
    from dbt.adapters.contracts.connection import ConnectionState
    from dbt.adapters.factory import FACTORY

    owners = set()
    for adapter in list(FACTORY.adapters.values()):
        with adapter.connections.lock:
            connections = list(adapter.connections.thread_connections.items())
        owners |= {key[1] for key, c in connections if c.state in (ConnectionState.OPEN, ConnectionState.INIT)}
    return [t for t in started if isinstance(t, DummyProcess) and t.is_alive() and t.ident in owners]


@contextmanager
def lost_interrupts_noticed(thread: threading.Thread, on_lost: Callable[[], None]) -> Iterator[None]:
    """Call `on_lost` when a KeyboardInterrupt raised in `thread` is swallowed: delivered inside a finalizer
    (a multiprocessing Finalize, a __del__), it is only reported to sys.unraisablehook, and dbt goes on."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        # on_lost last: the stopper sends its next interrupt as soon as on_lost has counted, and one landing
        # in the hook after that (in `previous`) was swallowed by CPython unseen ("Exception ignored in
        # sys.unraisablehook"), neither reaching dbt nor counted: seen once in a loaded CI run of the test.
        try:
            previous(unraisable)
        finally:
            if unraisable.exc_type is KeyboardInterrupt and threading.get_ident() == thread.ident:
                on_lost()

    sys.unraisablehook = hook
    try:
        yield
    finally:
        if sys.unraisablehook is hook:  # not if replaced since
            sys.unraisablehook = previous
