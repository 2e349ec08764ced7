"""Fuse windows on a Dask distributed cluster: an embedded LocalCluster or a running scheduler.

The scheduler is given as ``"local"`` (an embedded :class:`distributed.LocalCluster` of worker
processes on this machine, on loopback, started and stopped by the run), as the address of a
running scheduler (``"tcp://host:8786"``, e.g. a dask-jobqueue or dask-kubernetes cluster's
``scheduler_address``) or as the path of its scheduler file (``--scheduler-file`` of
``dask scheduler``). :func:`resolve_scheduler` takes it from the algorithm parameter, else from
the environment variable ``HSI_FUSION_DASK_SCHEDULER``.

Workers read their windows from the input files themselves, so with a remote cluster the inputs
must be at the same path on every worker (a shared file system); results come back to this
process, which blends and writes them. At most two windows per worker thread are in flight (the
count follows workers that join or leave), so results do not pile up on the workers. When a
worker dies, the scheduler runs its windows again elsewhere; since each window is reseeded, the
output does not change.

What is sent names the engine ``fusion_core`` (:mod:`fusion_core.portable`), never the plugin's
folder, so any worker that can import ``fusion_core`` runs jobs from QGIS, qgis_process, the
command line or Python (``python -m fusion_core worker``: :mod:`fusion_core.worker`). The job is
pickled once per run. Each task uses one torch thread (the nanny gives BLAS one) and resolves
the device on its worker (:func:`fuse_on_worker`). Embedded workers start on this process's own
interpreter, also under qgis_process and in the QGIS desktop, where ``sys.executable`` is not a
Python.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import uuid
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import torch

from ..device import resolve_device
from ..errors import InputError
from ..portable import WORKER_PATH_SETUP, Shipped, alias_top_level
from ..progress import Progress
from .state import Key
from .task import WindowJob, fuse_window

__all__ = ["ENV_VAR", "resolve_scheduler", "in_dask_task", "local_cluster_shape", "fuse_on_worker", "dask_client",
           "run_on_dask", "wait_some"]

ENV_VAR = "HSI_FUSION_DASK_SCHEDULER"
_POLL_S = 0.25
_CONNECT_TIMEOUT_S = 15


def resolve_scheduler(value: str | None) -> str:
    """The scheduler to use: ``value`` when given, else ``$HSI_FUSION_DASK_SCHEDULER``, else ``""``.

    ``""`` fuses in this process (always, inside a Dask task); ``"local"`` starts an embedded
    cluster; anything else is the address of a running scheduler or the path of its scheduler
    file.
    """
    if value is None or not value.strip():
        value = os.environ.get(ENV_VAR, "")
    return "" if in_dask_task() else value.strip()


def in_dask_task() -> bool:
    """Whether this code runs in a Dask task: a run there (a scene of a batch) never opens a
    cluster of its own, it fuses in the worker's process."""
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def local_cluster_shape(device: Optional[torch.device] = None) -> tuple[int, int]:
    """(worker processes, torch threads per window) of the embedded cluster on ``device``.

    Each worker fuses one window at a time with one torch thread: small tensor operations do
    not spread over cores, windows do. On a GPU one worker drives it: more would each open a
    CUDA context on the same GPU and split its memory.
    """
    if device is not None and device.type == "cuda":
        return 1, 1
    return max(1, os.cpu_count() or 1), 1


def fuse_on_worker(job: WindowJob, key: Key) -> np.ndarray:
    """:func:`fuse_window` on a Dask worker: one torch thread per task, on the device that
    ``job.worker_device`` resolves to on this worker."""
    device = resolve_device(job.worker_device) if job.worker_device else job.config.device
    job = dataclasses.replace(job, config=dataclasses.replace(job.config, device=device),
                              torch_threads=1)
    return fuse_window(job, key)


def _workers_on_this_python() -> None:
    """Make worker processes start on this process's interpreter: under qgis_process or in the
    QGIS desktop ``sys.executable`` is not it (see :mod:`fusion_core.interpreter`). They get
    this process's ``sys.path`` (multiprocessing's spawn passes it), so they import the plugin
    and its environment as this process does."""
    import multiprocessing

    from ..interpreter import python_candidates, python_executable

    python = python_executable()
    if python is None:
        import sys

        tried = ", ".join(str(p) for p in python_candidates(
            sys.executable, getattr(sys, "_base_executable", None), sys.exec_prefix,
            sys.platform, sys.version_info[:2]))
        raise InputError(
            f"Cannot find the Python {sys.version_info[0]}.{sys.version_info[1]} interpreter of "
            f"this process (looked at: {tried or 'nothing'}) to start the embedded Dask "
            "cluster's workers on: leave DASK_SCHEDULER empty to fuse in this process, or give "
            "the address of a running Dask scheduler.")
    multiprocessing.set_executable(str(python))


@contextmanager
def dask_client(scheduler: str, progress: Progress, device: torch.device) -> Iterator:
    """A client of ``scheduler`` (``"local"``: an embedded cluster for ``device``, shut down on
    leaving), or a clear :class:`InputError` when it cannot be reached."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        _workers_on_this_python()
        workers, _ = local_cluster_shape(device)
        progress.info(f"Starting an embedded Dask cluster on this machine: {workers} worker "
                      "process(es), one window each.")
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None, memory_limit=0,
                          silence_logs=logging.ERROR, preload=[WORKER_PATH_SETUP]) as cluster, \
                Client(cluster) as client:
            yield client
        return
    by_file = Path(scheduler).is_file()
    try:
        client = (Client(scheduler_file=scheduler, timeout=_CONNECT_TIMEOUT_S) if by_file
                  else Client(scheduler, timeout=_CONNECT_TIMEOUT_S))
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"Cannot reach the Dask scheduler {'of the file' if by_file else 'at'} {scheduler!r} "
            f"({exc}): start it, check the address (e.g. tcp://host:8786) or the scheduler file, "
            f"or leave DASK_SCHEDULER and ${ENV_VAR} empty to fuse in this process."
        ) from None
    with client:
        progress.info(f"Fusing on the Dask cluster at {client.scheduler_info()['address']} "
                      f"({_threads(client)} worker thread(s)).")
        yield client


def _threads(client) -> int:
    """The cluster's worker threads now (an adaptive cluster's count changes)."""
    return sum(client.nthreads().values())


def run_on_dask(job: WindowJob, keys: list[Key], scheduler: str,
                progress: Progress) -> Iterator[tuple[Key, np.ndarray]]:
    """Fuse windows ``keys`` on the cluster; yield ``(key, weighted result)`` as they finish.

    Checks for cancel every quarter second while waiting; on cancel or error the windows still
    queued are cancelled and an embedded cluster is shut down.
    """
    alias_top_level()  # what workers send back (an engine error) names the engine fusion_core
    task = Shipped(partial(fuse_on_worker, job))
    run = uuid.uuid4().hex[:12]
    with dask_client(scheduler, progress, job.config.device) as client:
        queue = list(keys)
        running: dict = {}
        try:
            while queue or running:
                limit = max(2, 2 * _threads(client))
                while queue and len(running) < limit:
                    key = queue.pop(0)
                    name = f"hsi-fusion-window-{key[0]}-{key[1]}-{run}"
                    running[client.submit(task, key, key=name)] = key
                finished = wait_some(list(running))
                progress.check_cancelled()
                for future in sorted(finished, key=lambda done: running[done]):
                    key = running.pop(future)
                    yield key, future.result()
        finally:
            client.cancel(list(running))


def wait_some(futures: list) -> set:
    """The futures that finish within a poll interval (maybe none)."""
    from distributed import wait

    try:
        return wait(futures, timeout=_POLL_S, return_when="FIRST_COMPLETED").done
    except TimeoutError:
        return set()
