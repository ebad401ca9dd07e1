"""Stopping dbt's thread: its interrupt reaches it and no thread it is starting, and one swallowed by a
finalizer is noticed (so that another is sent)."""

import random
import sys
import threading
import time
from collections.abc import Callable

from pipelines.transform.dbt_stopping import interrupt_thread, lost_interrupts_noticed


def test_an_interrupt_reaches_its_thread_and_never_one_it_is_starting():
    """dbt's thread starts threads (its node pool, its cache workers). CPython 3.11 gives a starting thread its
    starter's ident for a moment; an interrupt sent then landed in the new thread, which died unseen and left
    its starter waiting for it forever (a run whose termination hung). Each interrupt must reach the starter
    (or be swallowed by one of its finalizers, threading's own weak references, and be noticed there)."""

    def start_a_thread():
        started = threading.Thread(target=lambda: None)
        started.start()
        started.join()

    _interrupt_each_round(start_a_thread, times=200)


def test_an_interrupt_swallowed_by_a_finalizer_is_noticed(monkeypatch):
    """An interrupt delivered inside a finalizer (a __del__, a multiprocessing Finalize) is only reported to
    sys.unraisablehook and the thread goes on: the stopping dbt must hear of it to send another."""

    def quiet(unraisable):  # not 50 warnings from pytest's hook
        pass

    monkeypatch.setattr(sys, "unraisablehook", quiet)

    def busy(seconds):
        begun = time.monotonic()
        while time.monotonic() - begun < seconds:
            pass

    class Finalized:
        def __del__(self):
            busy(0.002)  # about half of the thread's time is spent in here

    def finalize_one():
        Finalized()
        busy(0.002)

    # At any point of the thread's 4 ms round, not always the same.
    reached, lost = _interrupt_each_round(finalize_one, times=50, pause=lambda: random.uniform(0, 0.005))
    assert lost and reached, (lost, reached)  # both kinds of landing happened, so both were judged
    assert sys.unraisablehook is quiet  # the hook it had is back


def _interrupt_each_round(
    round_: Callable[[], None], times: int, pause: Callable[[], float] = lambda: 0.0
) -> tuple[int, int]:
    """Run `round_` over and over in a thread while `times` interrupts are sent to it one after another; each
    must either reach the thread's loop or be noticed as swallowed within 5 s. Returns (reached, swallowed)."""
    reached, lost, entered, done = [], [], [], threading.Event()

    def loop():
        with lost_interrupts_noticed(threading.current_thread(), lambda: lost.append(1)):
            while not done.is_set():
                try:
                    entered.append(1)
                    while not done.is_set():
                        round_()
                except KeyboardInterrupt:
                    reached.append(1)

    def inside_the_try() -> bool:
        """The thread is between its try's first line and its handler, so an interrupt lands in the rounds (or
        a finalizer of theirs): one sent while the handler of the last still ran would escape the loop."""
        return len(entered) == len(reached) + 1

    thread = threading.Thread(target=loop, daemon=True)  # left stuck if the test fails
    thread.start()
    try:
        for sent in range(1, times + 1):
            time.sleep(pause())
            deadline = time.monotonic() + 5
            while not inside_the_try() and time.monotonic() < deadline:
                time.sleep(0.0005)
            _send(thread)
            deadline = time.monotonic() + 5
            while len(reached) + len(lost) < sent and time.monotonic() < deadline:
                time.sleep(0.001)
            assert len(reached) + len(lost) == sent, f"interrupt {sent} neither reached its thread nor was noticed"
    finally:
        done.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    return len(reached), len(lost)


def _send(thread: threading.Thread) -> None:
    """Send one interrupt: not sent while a thread is starting, so sent again shortly (for 5 s at most)."""
    deadline = time.monotonic() + 5
    while not interrupt_thread(thread):
        assert time.monotonic() < deadline, "an interrupt refused for 5 s"
        time.sleep(0.001)
