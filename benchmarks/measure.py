"""Wall time and peak memory of a process and everything it starts, read from /proc.

dbt runs in subprocesses of `stratify run`, so the RSS of the root process alone would miss the
transform stage: every sample sums the RSS of the whole process tree. psutil is not a dependency of
Stratify, and /proc is all this needs on Linux (the machine kind the targets are set for).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
INTERVAL = 0.2  # seconds between RSS samples


@dataclass
class Measured:
    """One measured command: wall time, (time, tree RSS bytes) samples and the exit code."""

    cmd: list[str]
    wall_s: float
    returncode: int
    samples: list[tuple[float, int]] = field(default_factory=list)
    started_at: float = 0.0  # time.time() at launch, the clock Dagster's event log uses

    @property
    def peak_rss(self) -> int:
        return max((rss for _, rss in self.samples), default=0)


def _children_by_parent() -> dict[int, list[int]]:
    """ppid -> pids for every live process; field 4 of /proc/<pid>/stat, after the parenthesised name."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of root and all its descendants right now (0 once they are gone)."""
    tree, total, todo = _children_by_parent(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(pid, []))
    return total


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> Measured:
    """Run cmd to completion, sampling its tree's RSS every INTERVAL seconds; output goes to log."""
    samples: list[tuple[float, int]] = []
    started_at, t0 = time.time(), time.monotonic()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.time(), tree_rss(proc.pid)))
                done.wait(INTERVAL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        wall = time.monotonic() - t0
        done.set()
        sampler.join()
    return Measured(cmd=cmd, wall_s=wall, returncode=returncode, samples=samples, started_at=started_at)


def check(measured: Measured, log: Path) -> Measured:
    """Fail loudly with the log's tail: a benchmark of a failed run would report nonsense figures."""
    if measured.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(measured.cmd)} exited {measured.returncode}; log {log}:\n{tail}")
    return measured
