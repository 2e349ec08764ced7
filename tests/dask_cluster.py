"""A Dask cluster by address on loopback, as users start one: a ``dask scheduler`` process and
``python -m fusion_core worker`` processes started from the plugin's folder (this checkout).
Everything listens on 127.0.0.1, without dashboards, and is stopped on leaving."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

REPO = Path(__file__).resolve().parents[1]
#: `--no-dashboard` alone still serves HTTP (metrics) on every interface: bind it to loopback too.
LOOPBACK = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]


def _wait(condition, procs: list[subprocess.Popen], folder: Path, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            logs = "".join(log.read_text()[-2000:] for log in sorted(folder.glob("*.log")))
            raise RuntimeError(f"{what} did not start within {timeout_s} s:\n{logs}")
        time.sleep(0.2)


def _start(command: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _address(scheduler_file: Path) -> Optional[str]:
    """The address in a scheduler file, None until it is written."""
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def address_cluster(folder: Path, workers: int = 1, nthreads: int = 1,
                    timeout_s: float = 90) -> Iterator[tuple[str, Path]]:
    """A scheduler and ``workers`` workers of ``nthreads`` threads; yields (address, scheduler
    file), once every worker has registered."""
    scheduler_file = folder / "scheduler.json"
    procs = [_start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
                     "--scheduler-file", str(scheduler_file), *LOOPBACK], folder, folder / "scheduler.log")]
    try:
        _wait(lambda: _address(scheduler_file) is not None, procs, folder, timeout_s, "the scheduler")
        for k in range(workers):
            procs.append(_start([sys.executable, "-m", "fusion_core", "worker", "--scheduler-file",
                                 str(scheduler_file), "--nthreads", str(nthreads), *LOOPBACK],
                                REPO, folder / f"worker{k}.log"))
        from distributed import Client

        address = str(_address(scheduler_file))
        with Client(address, timeout=timeout_s) as client:
            _wait(lambda: len(client.nthreads()) == workers, procs, folder, timeout_s, "the workers")
        yield address, scheduler_file
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
