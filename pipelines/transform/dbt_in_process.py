"""dbt invoked inside the step's process (dbt's Python API, dbtRunner) instead of a `dbt` subprocess per call.

Why: every dbt subprocess imports dbt anew and registers its adapter, about 2.8 s on a 2-core machine, and a
`stratify run` of three snapshots calls dbt seven times. The step's process has dbt imported already
(dagster-dbt loads it to build its adapter handle), so an in-process call starts at once. What dagster-dbt
sees is unchanged: the events dbt prints as JSON lines at its default level (info and above), in the same
order and form, feed dagster-dbt's own conversion into materializations and asset checks; each call still
gets its own target folder and dbt.log (debug level) from dagster-dbt's DBT_* settings.

dbt runs in a worker thread, so events reach Dagster while dbt works, with the environment and working
folder a subprocess would get, restored afterwards. dbt-duckdb keeps its DuckDB environment for the life of
the process; it is dropped after each call, so the warehouse file is released (for the Python steps, a BI
tool) and DuckDB's memory returned, as a subprocess's exit did.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._utils import pushd
from dagster_dbt.core.dbt_cli_invocation import DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS, DbtCliInvocation
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.transform.dbt_stopping import busy_node_threads, cancel_dbt, interrupt_thread, lost_interrupts_noticed

STDOUT_LEVELS = {"info", "warn", "error"}  # what dbt prints at its default --log-level info
CANCEL_EVERY_SECONDS = 0.5  # while a terminated dbt has not stopped
RETRY_INTERRUPT_SECONDS = 0.01  # while an interrupt is owed (not sent while a thread starts, or swallowed)
NODE_POLL_SECONDS = 0.05
LOG = logging.getLogger(__name__)


@dataclass
class _Finished:
    """The worker's last message: dbt's result, or what stopped it."""

    success: bool
    terminated: bool = False  # the run was terminated while dbt ran
    # What stopped dbt, as "Type: message": the exception itself would keep its traceback's frames, and with
    # them dbt's DuckDB cursors, alive after dbt returned.
    error: str | None = None

    @classmethod
    def of(cls, success: bool, exc: BaseException | None) -> _Finished:
        return cls(success, error=f"{type(exc).__name__}: {exc}" if exc is not None else None)


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ replaced by `env` for the block (dbt reads its flags and env_var() from it), then restored."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def release_duckdb() -> None:
    """Close dbt-duckdb's DuckDB database (see the module docstring): the connections dbt left open (an
    interrupted dbt leaves its node's), then the process-wide environment holding the database."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import FACTORY

    try:
        for adapter in list(FACTORY.adapters.values()):
            adapter.cleanup_connections()
    finally:
        with DuckDBConnectionManager._LOCK:
            environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:  # closed now, not when the last reference to it goes
            environment.close()


@dataclass
class InProcessDbtInvocation(DbtCliInvocation):
    """A DbtCliInvocation whose dbt runs in this process; `process` is None."""

    args: list[str] = field(default_factory=list)  # dbt's arguments, without the executable
    env: dict[str, str] = field(default_factory=dict)
    _events: queue.Queue = field(init=False, default_factory=queue.Queue)
    _worker: threading.Thread | None = field(init=False, default=None)
    _finished: _Finished | None = field(init=False, default=None)
    _in_dbt: bool = field(init=False, default=False)  # the worker is inside dbtRunner.invoke; under _lock
    _stopping: bool = field(init=False, default=False)  # the run was terminated; under _lock
    # Interrupts sent to dbt's thread (by _stop) and swallowed there (seen by a hook in it): one per counter
    # writer, so that neither update is lost; while they are equal, dbt's thread holds none.
    _sent: int = field(init=False, default=0)
    _lost: int = field(init=False, default=0)
    _next_cancel: float = field(init=False, default=0.0)
    _deadline: float = field(init=False, default=0.0)  # of the grace period, once stopping
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    @property
    def dbt_command(self) -> str:
        return " ".join(["dbt", *self.args])

    def _enter_dbt(self) -> None:
        """A run terminated before dbt started stops the worker here instead."""
        with self._lock:
            if self._stopping:
                raise KeyboardInterrupt("the run was terminated before dbt started")
            self._in_dbt = True

    def _run(self) -> None:
        """Worker thread: run dbt, putting each event (as its JSON-line dict) and then _Finished on the queue."""
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        def forward(msg) -> None:
            if msg.info.level in STDOUT_LEVELS:
                self._events.put(msg_to_dict(msg))

        finished = _Finished(success=False)
        threads_before = set(threading.enumerate())
        try:
            with (
                _environment(self.env),
                pushd(str(self.project_dir)),
                lost_interrupts_noticed(threading.current_thread(), self._interrupt_lost),
            ):
                self._enter_dbt()
                result = dbtRunner(callbacks=[forward]).invoke(list(self.args))
                self._leave_dbt(threads_before)  # an interrupt sent before this lands here at the latest
            finished = _Finished.of(result.success, result.exception)
            del result  # its exception's traceback holds dbt's frames, and they its cursors
        except BaseException as exc:  # reported to the step's thread, not lost in this one
            finished = _Finished.of(False, exc)
        finally:
            try:
                if self._in_dbt:  # the interrupt landed after dbt returned; it is spent now
                    self._leave_dbt(threads_before)
            finally:
                try:
                    release_duckdb()
                finally:
                    self._events.put(replace(finished, terminated=self._stopping))

    def _leave_dbt(self, threads_before: set[threading.Thread]) -> None:
        """Leave dbt, on a terminated run once its nodes have ended (or the grace period has): an interrupted
        dbt can return before them, and a node still in its query holds the warehouse. Until then the
        run's cancels go on reaching them; after, none is sent, so none can meet the warehouse's release."""
        started = set(threading.enumerate()) - threads_before
        try:
            self._await_nodes(started)
        except KeyboardInterrupt:  # the termination's, sent again after dbt returned (the first swallowed)
            self._await_nodes(started)
        finally:
            with self._lock:
                self._in_dbt = False

    def _await_nodes(self, started: set[threading.Thread]) -> None:
        while self._stopping and busy_node_threads(started) and time.monotonic() < self._deadline:
            time.sleep(NODE_POLL_SECONDS)

    def _interrupt_lost(self) -> None:
        """dbt's thread swallowed its interrupt (in a finalizer): the next round of _stop sends another."""
        self._lost += 1

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        """dbt's events as they come; a second call yields nothing, as a drained subprocess's stdout does."""
        if self._worker is not None:
            return
        self._worker = threading.Thread(target=self._run, name="stratify-dbt", daemon=True)
        self._worker.start()
        try:
            while True:
                item = self._events.get()
                if isinstance(item, _Finished):
                    self._finished = item
                    return
                if item["info"]["level"] == "error":
                    self._error_messages.append(item["info"]["msg"])
                yield item
        except DagsterExecutionInterruptedError:
            self._stop()
            raise

    def _stop(self) -> None:
        """On a run's termination, what Ctrl-C does to a dbt process: KeyboardInterrupt in dbt's thread (dbt then
        cancels its queries, skips the nodes left and writes run_results.json), and, from the next round on,
        dbt's queries cancelled here every round, since a thread waiting for its nodes sees the interrupt
        only once one of them returns and a cancel sent as a query is about to start finds nothing. The
        first round leaves dbt's own handling of the interrupt to itself: DuckDB refuses a call on a
        connection another thread is using (dbt then failed with ResourceInUseException). dbt gets the grace
        period dagster-dbt gives a subprocess."""
        if self._worker is None:
            return
        with self._lock:
            self._deadline = time.monotonic() + DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS
            self._next_cancel = time.monotonic() + CANCEL_EVERY_SECONDS
            self._stopping = True
        while self._worker.is_alive() and time.monotonic() < self._deadline:
            with self._lock:  # never into our own clean-up, which must release the warehouse
                if self._in_dbt:
                    self._tell_dbt()
            owed = self._sent == self._lost
            self._worker.join(timeout=RETRY_INTERRUPT_SECONDS if owed else CANCEL_EVERY_SECONDS)
        if self._worker.is_alive():
            LOG.warning("dbt still running %s s after the run's termination", DAGSTER_DBT_TERMINATION_TIMEOUT_SECONDS)

    def _tell_dbt(self) -> None:
        """One round of stopping dbt, under _lock while the worker is inside dbt: its interrupt while one is owed
        (none sent yet, or the last swallowed), and a cancel when one is due."""
        now = time.monotonic()
        if self._sent == self._lost:
            self._sent += interrupt_thread(self._worker)
        if now >= self._next_cancel:
            cancel_dbt()
            self._next_cancel = now + CANCEL_EVERY_SECONDS

    def _wait(self) -> _Finished:
        """dbt's result once it has stopped; events nobody read (a consumer that stopped early) are dropped."""
        for _ in self._stream_stdout():
            pass
        if self._worker is not None:
            self._worker.join()
        while self._finished is None and not self._events.empty():
            item = self._events.get()
            if isinstance(item, _Finished):
                self._finished = item
        return self._finished or _Finished(success=False)

    def is_successful(self) -> bool:
        self._stdout = list(self._stream_stdout())
        return self._wait().success and not self._error_messages

    def get_error(self) -> Exception | None:
        if self.is_successful():
            return None
        finished = self._wait()
        log_path = Path(self.target_path) / "dbt.log"
        stopped = "the run was terminated; " if finished.terminated else ""
        cause = f" ({stopped}{finished.error})" if finished.error or stopped else ""
        return DagsterDbtCliRuntimeError(
            description=(
                f"The dbt command\n\n`{self.dbt_command}`\n\nfailed{cause}. See the step's logs, or dbt's debug "
                f"log: {log_path}.{self._format_error_messages()}"
            ),
        )
