"""Fuse windows on a Dask distributed cluster: an embedded LocalCluster or a running scheduler.

The scheduler is given as ``"local"`` (an embedded :class:`distributed.LocalCluster` of worker
processes on this machine, on loopback, started and stopped by the run), as the address of a
running scheduler (``"tcp://host:8786"``, e.g. a dask-jobqueue or dask-kubernetes cluster's
``scheduler_address``) or as the path of its scheduler file (``--scheduler-file`` of
``dask scheduler``). :func:`resolve_scheduler` takes it from the algorithm parameter, else from
the environment variable ``HSI_FUSION_DASK_SCHEDULER``.

Workers do the I/O. Each worker reads its windows itself (workers of this machine from the scan's
decoded copy, :func:`workers_on_this_machine`; others from the input files), keeps each fused
window, and blends the output region it owns, encodes it and writes it into the output file, on
storage every worker and this process share, in a range of the file handed out to it alone
(:class:`FileRanges`), then records where its tiles are (:mod:`.region_writer`; with a remote
cluster the inputs and the output folder must be at the same path on every worker: a shared
file system). Only the blending strips of neighbouring windows move between workers; this
process gets small messages (a window is done, a region is written, where its tiles are) and,
at the end, points the output's tile directory at the tiles (:mod:`.tiff_assembly`). A resumed
run finds the regions done by listing their records. The disagreement scan runs as tasks too
(:func:`map_on_dask`), and one client (one embedded cluster) serves every Dask step of a run
(:func:`dask_session`). Windows are sized from the workers' own memory limit and threads
(:func:`cluster_room`). At most two windows' results per worker thread are held at a time,
fusing or waiting for the tasks that cut their strips and write their region (the count follows
workers that join or leave); a window and the tasks that use its result are pinned to one
worker, so a window's result never travels. When a worker dies, the regions not yet written are
given to the others; since each window is reseeded, the output does not change.

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
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, Optional

import numpy as np
import torch

from ..dask_settings import worker_settings
from ..device import resolve_device
from ..errors import InputError
from ..methods.result_memory import ResultPool
from ..portable import TOP, WORKER_PATH_SETUP, Shipped, alias_top_level
from ..progress import Progress
from .assemble import blend_region, cut_piece
from .layout import Window, WindowGrid
from .memory import WORKER_GDAL_CACHE_BYTES, WORKER_PROCESS_BYTES, give_back_heap
from .region_writer import Placed, RegionWriter, aligned_end
from .state import Key
from .task import ReadInputs, WindowJob, fuse_window

Rect = tuple[int, int, int, int]
#: A window fused on a worker: its weighted result and, when its region is measured there, the
#: inputs it read (:func:`fuse_on_worker`).
Fused = tuple[np.ndarray, Optional[ReadInputs]]
#: Measures a written region on the worker (the report's scan): ``(rect, values, the inputs its
#: window read or None)`` -> what the client adds up.
Measure = Callable[[Rect, np.ndarray, Optional[ReadInputs]], Any]

__all__ = ["ENV_VAR", "resolve_scheduler", "in_dask_task", "codec_threads", "local_cluster_shape", "cluster_room",
           "in_gdal_cache", "fuse_on_worker", "piece_of", "write_on_worker", "dask_session", "dask_client",
           "run_on_dask", "map_on_dask", "release_session", "cluster_threads", "wait_some", "machine_id",
           "workers_on_this_machine", "FileRanges"]

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


def task_threads() -> Optional[int]:
    """The threads of the worker this code runs on in a Dask task (a scene of a batch); None
    outside a task."""
    if not in_dask_task():
        return None
    from distributed import get_worker

    return max(1, int(get_worker().state.nthreads))


def codec_threads() -> str | int:
    """Threads GDAL may compress the output with: every core, or inside a Dask task (a scene of
    a batch) the worker's own threads, so that a worker uses the cores it was given and no more."""
    threads = task_threads()
    return "ALL_CPUS" if threads is None else threads


def local_cluster_shape(device: Optional[torch.device] = None) -> tuple[int, int]:
    """(worker processes, torch threads per window) of the embedded cluster on ``device``.

    Each worker fuses one window at a time with one torch thread: small tensor operations do
    not spread over cores, windows do. On a GPU one worker drives it: more would each open a
    CUDA context on the same GPU and split its memory.
    """
    if device is not None and device.type == "cuda":
        return 1, 1
    return max(1, os.cpu_count() or 1), 1


def _worker_room() -> tuple[int, int, float]:
    """On a worker: its memory limit (0: none), threads, and the share of the limit it may use
    before Dask spills its results to disk or pauses it (1 when both are off)."""
    import dask
    from distributed import get_worker

    worker = get_worker()
    shares = [dask.config.get(f"distributed.worker.memory.{key}", False) for key in ("spill", "pause")]
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None) or 0
    return int(limit), int(worker.state.nthreads), min([float(s) for s in shares if s] or [1.0])


def cluster_room(scheduler: str, bound: int) -> int:
    """Bytes one window may use on the tightest worker thread of the running cluster
    ``scheduler``: each worker's memory limit (``--memory-limit``; ``bound`` for a worker
    without one) up to the share where Dask would spill or pause it, less what a worker holds
    beside its windows, shared by its threads. With no worker connected yet (an adaptive
    cluster), a one-thread worker with ``bound``."""
    with dask_client(scheduler, Progress(), torch.device("cpu")) as client:
        shapes = list(client.run(Shipped(_worker_room)).values())
    beside = WORKER_PROCESS_BYTES + WORKER_GDAL_CACHE_BYTES
    rooms = [(int((limit or bound) * (share if limit else 1.0)) - beside) // max(1, threads)
             for limit, threads, share in shapes]
    return min(rooms or [bound - beside])


def machine_id() -> str:
    """What tells this machine from another: Linux's boot id (two containers or hosts may share a
    name), else the host's name."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return socket.gethostname()


def workers_on_this_machine(scheduler: str) -> bool:
    """Whether every worker of the running cluster ``scheduler`` runs on this machine (the
    embedded cluster's always do): a file this process writes is then in their page cache too."""
    if scheduler == "local":
        return True
    with dask_client(scheduler, Progress(), torch.device("cpu")) as client:
        found = set(client.run(Shipped(machine_id)).values())
    return found == {machine_id()}


def fuse_on_worker(job: WindowJob, keep_inputs: bool, key: Key) -> Fused:
    """:func:`fuse_window` on a Dask worker: one torch thread per task, on the device that
    ``job.worker_device`` resolves to on this worker; with ``keep_inputs``, the window's inputs
    as read stay beside its result, for the task that measures its region (which then need not
    read and decode them again)."""
    device = resolve_device(job.worker_device) if job.worker_device else job.config.device
    job = dataclasses.replace(job, config=dataclasses.replace(job.config, device=device),
                              torch_threads=1)
    kept: list[ReadInputs] = []

    def keep(window: Window, lr: np.ndarray, hr: np.ndarray) -> None:
        kept.append((window.lr_read, lr, hr))

    weighted = fuse_window(job, key, keep=keep if keep_inputs else None, results=worker_results())
    give_back_heap()
    return weighted, (kept[0] if kept else None)


#: Windows' results a worker holds at most per thread, fusing or waiting for the task that
#: writes their region (:func:`_fuse_pinned`); its window sizes count them (``WORKER_RESULT_COPIES``).
RESULTS_PER_THREAD = 2
#: This worker process's memory for window results (:mod:`~fusion_core.methods.result_memory`),
#: made by its first window of a run and let go of at the run's end.
_RESULTS: list[ResultPool] = []
_RESULTS_LOCK = threading.Lock()


def worker_results() -> ResultPool:
    """The memory this worker lends its windows' results: :data:`RESULTS_PER_THREAD` per thread,
    no more than the windows' sizes count, so that buffers kept between windows never take a
    worker past its memory limit's pause threshold."""
    with _RESULTS_LOCK:
        if not _RESULTS:
            _RESULTS.append(ResultPool(RESULTS_PER_THREAD * (task_threads() or 1)))
        return _RESULTS[0]


def release_worker_results() -> None:
    """Let go of this worker's result memory: a worker of a cluster by address outlives the run."""
    with _RESULTS_LOCK:
        _RESULTS.clear()


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


#: The client of the run going on in this thread (:func:`dask_session`), by scheduler: QGIS runs
#: algorithms side by side in threads, each with its own; and, for an embedded cluster, what
#: starts its shutdown (:func:`release_session`).
_SESSION = threading.local()


@contextmanager
def dask_session(scheduler: str, progress: Progress, device: torch.device) -> Iterator[None]:
    """Keep one client of ``scheduler`` (and one embedded cluster) for every Dask step of a run
    in this thread (the disagreement scan, the windows): :func:`dask_client` then hands it out
    instead of connecting again. An embedded cluster starts in the background meanwhile (its
    workers import torch while the run estimates the degradation), and stops in the background
    once :func:`release_session` lets it go (while the run writes its report); leaving waits
    until it has stopped. Nothing to do without a scheduler."""
    sessions = getattr(_SESSION, "clients", None)
    if sessions is None:
        sessions = _SESSION.clients = {}
        _SESSION.releases = {}
    if not scheduler or scheduler in sessions:
        yield
        return
    if scheduler != "local":
        with _connect(scheduler, progress, device) as client:
            sessions[scheduler] = client
            try:
                yield
            finally:
                sessions.pop(scheduler, None)
        return
    workers = _announce_local(progress, device)
    stack = ExitStack()
    with ThreadPoolExecutor(1, thread_name_prefix="hsi-fusion-dask") as pool:
        sessions[scheduler] = pool.submit(stack.enter_context, _local_cluster(workers))
        stopping: list[Future] = []

        def release() -> None:  # on the pool's one thread: once started (or failed to)
            if not stopping:
                stopping.append(pool.submit(stack.close))

        _SESSION.releases[scheduler] = release
        try:
            yield
        finally:
            sessions.pop(scheduler, None)
            _SESSION.releases.pop(scheduler, None)
            release()
            stopping[0].result()


def release_session(scheduler: str) -> None:
    """Let the run's embedded cluster go (:func:`dask_session`): it shuts down in the background
    from now on (0.8 s on the 1200² scene, its workers' exit), while the run goes on without
    it. Nothing to do for a cluster by address (its client is closed as the session ends) or
    without a session."""
    release = getattr(_SESSION, "releases", {}).pop(scheduler, None)
    if release is not None:
        getattr(_SESSION, "clients", {}).pop(scheduler, None)
        release()


@contextmanager
def dask_client(scheduler: str, progress: Progress, device: torch.device) -> Iterator:
    """A client of ``scheduler``: the run's own (:func:`dask_session`), else a new one
    (``"local"``: an embedded cluster for ``device``, shut down on leaving), or a clear
    :class:`InputError` when it cannot be reached."""
    client = _session_client(scheduler)
    if client is not None:
        yield client
        return
    with _connect(scheduler, progress, device) as client:
        yield client


def _session_client(scheduler: str) -> Any:
    """The client of the run going on in this thread for ``scheduler`` (:func:`dask_session`;
    an embedded cluster still starting is waited for), or None."""
    client = getattr(_SESSION, "clients", {}).get(scheduler)
    return client.result() if isinstance(client, Future) else client


def _announce_local(progress: Progress, device: torch.device) -> int:
    """Check that workers can start on this Python and say so; the number of workers."""
    _workers_on_this_python()
    workers, _ = local_cluster_shape(device)
    progress.info(f"Starting an embedded Dask cluster on this machine: {workers} worker "
                  "process(es), one window each.")
    return workers


@contextmanager
def _local_cluster(workers: int) -> Iterator:
    """A client of an embedded cluster of ``workers`` one-thread worker processes on loopback,
    started with the settings of :func:`~fusion_core.dask_settings.worker_settings` (set only
    while it starts, which is when Dask reads them: this process may be QGIS's, running other
    work); each worker imports torch and the engine as it starts (:mod:`fusion_core.worker`'s
    preload), while this process estimates the degradation, rather than with its first task.
    The variables Dask's nannies set in their own process's environment for the workers they
    spawn (``OMP_NUM_THREADS=1``…; here, this process's) are put back as they were once the
    workers have started: software this process runs later (QGIS's) keeps its threads."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(worker_settings()):
        spawn_environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
        kept = {name: os.environ.get(name) for name in spawn_environ}
        try:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                   silence_logs=logging.ERROR, preload=[WORKER_PATH_SETUP, f"{TOP}.worker"])
        finally:
            _set_environ(kept)
    try:
        with cluster, Client(cluster) as client:
            yield client
    finally:
        _set_environ(kept)  # a nanny that started a worker again set them again


def _set_environ(values: dict[str, Optional[str]]) -> None:
    """Set (a value) or remove (None) environment variables of this process."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def _connect(scheduler: str, progress: Progress, device: torch.device) -> Iterator:
    from distributed import Client

    if scheduler == "local":
        with _local_cluster(_announce_local(progress, device)) as client:
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


def cluster_threads(scheduler: str) -> int:
    """The worker threads of the running cluster ``scheduler`` now (at least 1)."""
    with dask_client(scheduler, Progress(), torch.device("cpu")) as client:
        return max(1, _threads(client))


def _threads(client) -> int:
    """The cluster's worker threads now (an adaptive cluster's count changes)."""
    return sum(client.nthreads().values())


def piece_of(grid: WindowGrid, window: Key, fused: Fused, region: Key) -> np.ndarray:
    """A copy of window ``window``'s contribution to ``region`` (a strip of its blending ramp),
    cut on the worker that fused it so only the strip travels."""
    return np.array(cut_piece(grid, window, fused[0], region))


def write_on_worker(writer: RegionWriter, grid: WindowGrid, measure: Optional[Measure],
                    reserve: Callable[[int], int], region: Key, fused: Fused, others: list[Key],
                    *strips: np.ndarray) -> tuple[Key, float, Any, Placed]:
    """Blend output region ``region`` from its own window's result ``fused`` and the strips
    of windows ``others``, write it into the output in the range ``reserve`` hands out, and
    measure it with ``measure`` when given (the report's scan, on the inputs the window read);
    returns ``(region, seconds, measures or None, where its tiles are)``.

    The sum is made in place in ``weighted`` (no copy of the region): its core, the part this
    task changes, is read by nothing else (the strips cut from the same window lie beyond it).
    """
    t0 = time.perf_counter()
    weighted, inputs = fused
    pieces = dict(zip(others, strips))
    pieces[region] = cut_piece(grid, region, weighted, region)
    rect = grid.region(*region)
    values = blend_region(grid, region, pieces)
    placed = writer.write(region, rect, values, reserve)
    measured = measure(rect, values, inputs) if measure is not None else None
    del values, pieces
    give_back_heap()
    return region, time.perf_counter() - t0, measured, placed


class FileRanges:
    """Ranges of one file handed out to the workers that append to it, one at a time across the
    cluster, so that workers on any host never get overlapping ones: the end of what is handed
    out is kept by the scheduler (a Dask ``Variable``) and moved under a one-lease Dask
    ``Semaphore`` (the lease of a worker that dies holding it lapses after Dask's lease
    timeout). Made by the client for ``start``, the first free byte; called on a worker with a
    size, it returns where that many bytes may be written."""

    def __init__(self, client, run: str, start: int):
        from distributed import Semaphore, Variable

        self.turn = Semaphore(max_leases=1, name=f"hsi-fusion-append-{run}", scheduler_rpc=client.scheduler,
                              loop=client.loop)
        self.end = Variable(f"hsi-fusion-end-{run}", client=client)
        self.end.set(start)

    def __call__(self, size: int) -> int:
        with self.turn:  # a task left running after the run ended raises here, or times out below
            start = int(self.end.get(timeout=_CONNECT_TIMEOUT_S))
            self.end.set(start + size)
        return start

    def close(self) -> None:
        """Forget the ranges on the scheduler (at the end of the run)."""
        self.end.delete()
        self.turn.close()


def in_gdal_cache(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` with GDAL's block cache at :data:`WORKER_GDAL_CACHE_BYTES` (left alone,
    GDAL takes 5 % of the worker machine's memory, which the windows' size does not count)."""
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=WORKER_GDAL_CACHE_BYTES):
        return function(*args)


def _missing(paths: list[str]) -> list[str]:
    """The ``paths`` this worker does not see."""
    return [path for path in paths if not os.path.exists(path)]


def check_workers_see(client, writer: RegionWriter, inputs: list[str]) -> None:
    """Refuse, before any window is fused, a cluster whose workers do not see the output's
    folder (where they write the regions and their records), or a plain input file, at this
    process's paths (a run writing to a disk of this machine only, or inputs not on the shared
    file system)."""
    writer.folder.mkdir(parents=True, exist_ok=True)
    probe = writer.folder / f".probe-{uuid.uuid4().hex[:8]}"
    probe.touch()
    try:
        wanted = [str(probe), str(writer.path)] + [path for path in inputs if os.path.isfile(path)]
        unseen = {worker: missing for worker, missing in client.run(Shipped(_missing), wanted).items() if missing}
    finally:
        probe.unlink(missing_ok=True)
    if unseen:
        worker, missing = next(iter(unseen.items()))
        what = ("the output's folder " + str(writer.folder.parent) if missing[0] in (str(probe), str(writer.path))
                else "the input " + missing[0])
        raise InputError(
            f"{len(unseen)} Dask worker(s) (e.g. {worker}) cannot see {what}: on a cluster the "
            "workers read the inputs and write the output themselves, so both must be on storage "
            "they share with this machine, at the same path (a network file system). Put them "
            "there, or leave DASK_SCHEDULER empty to fuse on this machine.")


def run_on_dask(job: WindowJob, regions: list[Key], writer: RegionWriter, scheduler: str,
                progress: Progress, measure: Optional[Measure] = None
                ) -> Generator[tuple[str, Key, Any], None, None]:
    """Fuse the windows that output ``regions`` need on the cluster, each region blended,
    written into the output by ``writer`` and measured by ``measure`` (when given) by a worker;
    yield ``("window", key, None)`` as a window is fused (once per window) and ``("region",
    key, (measures, where its tiles are))`` as a region is written.

    Only the blending strips of neighbouring windows move between workers: a window, the strips
    cut from it and its region are pinned to one worker (:func:`_fuse_pinned`). When a worker
    leaves the cluster, what it was given is given again to the others: the regions whose
    measures have not come back are fused again (a region written twice is recorded again: the
    bytes of its first writing are left unreferenced).
    Checks for cancel every quarter second; on cancel or error the tasks not done are cancelled
    and an embedded cluster is shut down.
    """
    alias_top_level()  # what workers send back (an engine error) names the engine fusion_core
    with dask_client(scheduler, progress, job.config.device) as client:
        check_workers_see(client, writer, [str(getattr(job.source, name, "")) for name in ("lr_path", "hr_path")])
        todo, reported = set(regions), set[Key]()
        ranges = FileRanges(client, uuid.uuid4().hex[:12], aligned_end(writer.path))
        try:
            while todo:
                lost = yield from _fuse_pinned(client, job, todo, writer, ranges, measure, progress, reported)
                if not lost:
                    client.run(Shipped(release_worker_results))
                    return
                progress.info(f"Dask worker(s) {', '.join(sorted(lost))} left the cluster: the {len(todo)} "
                              "output region(s) not yet written are fused again on the others.")
        finally:
            ranges.close()


def _fuse_pinned(client, job: WindowJob, todo: set[Key], writer: RegionWriter, ranges: FileRanges,
                 measure: Optional[Measure], progress: Progress, reported: set[Key]
                 ) -> Generator[tuple[str, Key, Any], None, set[str]]:
    """One pass of :func:`run_on_dask` over the regions ``todo`` (removed from it as their
    measures come back; windows already in ``reported`` are fused without being yielded again);
    returns the workers that left the cluster meanwhile (empty when every region is done).

    Each window goes to the worker holding the fewest windows' results per thread, and the
    tasks that cut its strips and write its region are pinned there: left to the scheduler,
    a region's task ran on the other worker as often as not (4 to 6 of 16 on the 1200² scene,
    work stealing on or off), which copied the whole window's result (138 MB, and its inputs)
    and held it twice. At most two windows' results per worker thread are held, fusing or
    waiting for the tasks that use them (the count follows workers that join or leave).
    """
    grid = job.grid
    windows = sorted({w for region in todo for w in grid.region_contributors(*region)})
    fuse = Shipped(partial(in_gdal_cache, partial(fuse_on_worker, job, measure is not None)))
    cut = Shipped(partial(piece_of, grid))
    write = Shipped(partial(in_gdal_cache, partial(write_on_worker, writer, grid, measure, ranges)))
    run = uuid.uuid4().hex[:12]
    queue = list(windows)
    running: dict = {}  # future -> ("window" | "region", key)
    strips: dict[tuple[Key, Key], object] = {}
    # Every result is held until the tasks that use it are done: a result this process
    # let go of is, when its worker dies, not computed again for a task already waiting on
    # it elsewhere (Dask 2022.12 then waits for ever); held, it is.
    held: list[tuple[object, list]] = []
    results: set = set()  # the windows' results still held: fusing, or waiting for a task
    where: dict = {}  # every future held or running -> the worker it is pinned to
    try:
        while queue or running:
            threads = client.nthreads()
            lost = set(where.values()) - set(threads)
            if lost:  # the tasks pinned to them would wait for them for ever
                return lost
            while queue and threads and len(results) < RESULTS_PER_THREAD * max(1, sum(threads.values())):
                worker = min(threads, key=lambda w: sum(where[f] == w for f in results) / threads[w])
                pinned = dict(workers=[worker], allow_other_workers=False)
                window = queue.pop(0)
                name = f"{window[0]}-{window[1]}-{run}"
                fused = client.submit(fuse, window, key=f"hsi-fusion-window-{name}", **pinned)
                running[fused] = ("window", window)
                users = []
                for region in grid.window_receivers(*window):
                    if region in todo and region != window:
                        strips[window, region] = client.submit(
                            cut, window, fused, region, key=f"hsi-fusion-strip-{name}-{region[0]}-{region[1]}",
                            **pinned)
                        users.append(strips[window, region])
                if window in todo:  # its other windows come before it: all submitted
                    others = [w for w in grid.region_contributors(*window) if w != window]
                    given = [strips.pop((w, window)) for w in others]
                    done = client.submit(write, window, fused, others, *given,
                                         key=f"hsi-fusion-region-{name}", **pinned)
                    running[done] = ("region", window)
                    users.append(done)
                    held += [(strip, [done]) for strip in given]
                held.append((fused, users))
                results.add(fused)
                where.update((future, worker) for future in (fused, *users))
            finished = wait_some(list(running))
            held = [(future, users) for future, users in held if not all(user.done() for user in users)]
            kept = {future for future, _ in held} | set(running)
            results &= kept
            where = {future: worker for future, worker in where.items() if future in kept}
            progress.check_cancelled()
            for future in sorted(finished, key=lambda done: running[done]):
                kind, key = running.pop(future)
                if kind == "region":
                    todo.discard(key)
                    yield kind, key, future.result()[2:]  # small: what it measured, where it is
                else:
                    if future.status == "error":
                        future.result()  # raises the task's error here
                    if key not in reported:
                        reported.add(key)
                        yield kind, key, None
        return set()
    finally:
        client.cancel([*running, *strips.values(), *(future for future, _ in held)])


def map_on_dask(scheduler: str, progress: Progress) -> Callable[[Callable[[Any], Any], list], Iterator[Any]]:
    """A mapper that runs a function over items as tasks of the cluster ``scheduler``, yielding
    the results in the items' order (small results: a scan's statistics); at most two tasks
    per worker thread in flight, cancel checked while waiting."""
    def run(function: Callable[[Any], Any], items: list) -> Iterator[Any]:
        alias_top_level()
        task = Shipped(partial(in_gdal_cache, function))
        run_id = uuid.uuid4().hex[:12]
        with dask_client(scheduler, progress, torch.device("cpu")) as client:
            futures: list = []
            queue = list(enumerate(items))
            try:
                while queue or futures:
                    limit = max(2, 2 * _threads(client))
                    while queue and len(futures) < limit:
                        k, item = queue.pop(0)
                        futures.append(client.submit(task, item, key=f"hsi-fusion-map-{k}-{run_id}"))
                    wait_some(futures[:1])
                    progress.check_cancelled()
                    while futures and futures[0].done():
                        yield futures.pop(0).result()
            finally:
                client.cancel(futures)

    return run


def wait_some(futures: list) -> set:
    """The futures that finish within a poll interval (maybe none).

    Polled, not waited for with ``distributed.wait(timeout=…)``: each wait that timed out left
    behind (until Python's cycle collector ran) a coroutine that held the futures it waited
    on, so windows' results stayed on the workers long after their tasks were done (up to 12
    per worker, 1.9 GB, on the 3000² scene)."""
    deadline = time.monotonic() + _POLL_S
    while True:
        done = {future for future in futures if future.done()}
        if done or time.monotonic() >= deadline:
            return done
        time.sleep(_POLL_S / 25)
