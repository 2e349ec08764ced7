"""Windowed fusion of a whole scene in bounded memory, here or on a Dask cluster.

:func:`plan_grid` sizes the windows from the memory bound, the PSF's reach and the method's
receptive field; :func:`run_windows` fuses every window not yet done (in this process, or on a
Dask cluster with :mod:`fusion_core.windows.distributed`), blends them into the output region by
region, reports progress per window with the time left, and renames the output into place at the
end. Cancel is checked between windows and inside the method's own progress reports.

In this process, a method that declares ``concurrent_windows`` (no global random state, so a
window's result does not depend on what runs beside it) fuses as many windows at once as torch
has threads, each on one thread (:func:`window_threads`): small tensor operations do not spread
over cores, windows do. The calling thread meanwhile blends and writes finished windows, and
GDAL compresses them on every core, so compute and writing overlap.

Example (what :func:`fusion_core.pipeline.fuse_files` does)::

    grid = plan_grid(source, method, model, 4 * 2**30, config=config)
    job = WindowJob(source, method, model, config, norm, grid)
    output = TiledOutput("fused.tif", hr_grid, n_bands, choose_tile(grid), names, wavelengths)
    state = ResumeState("fused.tif", fingerprint(...), layout, norm, model)
    run_windows(job, output, state, scheduler="", keep_partial=False, progress=progress)
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Callable, Generator, Optional

import numpy as np
import rasterio

from ..degradation import DegradationModel
from ..errors import Cancelled
from ..methods.base import FusionConfig, FusionMethod
from ..methods.result_memory import ResultPool
from ..progress import Progress, format_duration
from ..threads import one_thread_each, run_threads
from .assemble import Assembler
from .distributed import Measure
from .layout import Window, WindowGrid, psf_halo
from .memory import (
    GDAL_CACHE_BYTES,
    WORKER_GDAL_CACHE_BYTES,
    WORKER_PROCESS_BYTES,
    WORKER_RESULT_COPIES,
    choose_core,
    core_unit,
    device_free_bytes,
    input_copies,
    process_bytes,
    strip_bytes,
)
from .output import TiledOutput, tile_edge
from .region_writer import RegionWriter
from .source import Source
from .state import Key, ResumeState
from .task import KeepInputs, WindowJob, fuse_window, read_window
from .tiff_assembly import Assembly

__all__ = ["plan_grid", "run_windows", "RunStats", "RegionTasks", "window_threads"]

#: Smallest output tile edge (HR pixels) a window core may imply: GDAL handles each tile of each
#: band as one block, and small blocks cost more per pixel to compress and to read.
MIN_TILE = 128


#: ``(measure, take)``: a region measured where it is written, its measures taken here.
RegionTasks = tuple[Measure, Callable[[Any], None]]

#: Fused windows, ``(key, weighted result)``, as they come; closed to stop the ones under way.
Windows = Generator[tuple[Key, np.ndarray], None, None]


@dataclass
class RunStats:
    """What a windowed run did: windows fused now, windows found done, seconds."""

    fused: int
    resumed: int
    windows: int
    seconds: float


def window_threads(method: FusionMethod, config: Optional[FusionConfig] = None) -> int:
    """How many windows this process fuses at once: torch's thread count for a method that
    declares ``concurrent_windows`` on the CPU, else one (with every thread)."""
    device = (config or FusionConfig()).device
    if device.type != "cpu" or not getattr(method, "concurrent_windows", False):
        return 1
    return run_threads()


def plan_grid(source: Source, method: FusionMethod, model: DegradationModel,
              max_memory_bytes: int, window_hr: int = 0, worker_processes: int = 0,
              log: Optional[Callable[[str], None]] = None,
              config: Optional[FusionConfig] = None,
              name_of: Callable[[str], str] = str, keep_inputs: bool = False,
              worker_bytes: int = 0) -> WindowGrid:
    """The window grid of ``source`` for ``method``, within ``max_memory_bytes``.

    Args:
        source: the pair to fuse.
        method: the fusion method (its ``halo_lr_pixels`` and ``window_memory_factor``).
        model: the degradation model (its PSF's size sets part of the halo).
        max_memory_bytes: bound on the memory of the whole run.
        window_hr: core edge wanted, in HR pixels (0: the largest that fits); rounded to the
            tile grid and capped by the bound.
        worker_processes: Dask worker processes on this machine, which share the bound
            (each also holds its own Python and torch); 0 when windows are fused here (then
            :func:`window_threads` windows share it).
        log: receives a line describing the layout.
        config: the run's preset and options, which can set the method's working memory, and
            its device: on a GPU, windows also fit its free memory (default: fast, CPU).
        name_of: how the caller names a request field (``"max_memory_gb"`` →
            ``"MAX_MEMORY_GB"`` in QGIS), for messages.
        keep_inputs: whether each window's inputs are kept after it, until its region is
            written (``on_inputs`` of :func:`run_windows`: the report's scan), here or, on Dask
            workers, beside the window's result until the task that measures its region.
        worker_bytes: on a running Dask cluster, the memory one window may use on its tightest
            worker thread (:func:`~.distributed.cluster_room`), which then sizes the windows
            instead of ``max_memory_bytes``; 0 elsewhere.
    """
    scale = source.scale
    halo = psf_halo(model.psf.shape[0], scale) + int(getattr(method, "halo_lr_pixels", 0))
    sharpening = getattr(source, "hr_sharpening", None)
    if sharpening is not None:  # the coarse bands' detail depends on HR pixels around them
        halo += -(-sharpening.reach // scale)
    ramp = max(2, halo)
    n_hsi, n_msi = model.n_hsi_bands, model.n_msi_bands
    config = config or FusionConfig()
    on_workers = bool(worker_processes or worker_bytes)
    factor = method.window_memory_factor(config, n_hsi) + (WORKER_RESULT_COPIES if on_workers else 0)
    kept = input_copies(n_hsi, n_msi, scale) if keep_inputs else 0.0  # on a worker: read again
    if not on_workers and window_threads(method, config) == 1:  # _run_pipelined: the next
        factor += 1                       # window's inputs read ahead, the previous result written
        kept += input_copies(n_hsi, n_msi, scale)
    if worker_bytes:
        budget = worker_bytes
        room = "A worker thread of the cluster"
        remedy = "give the workers more memory (--memory-limit) or fewer threads"
    else:
        fixed = process_bytes() + GDAL_CACHE_BYTES + strip_bytes(source.hr_shape[1], ramp, scale, n_hsi)
        fixed += worker_processes * (WORKER_PROCESS_BYTES + WORKER_GDAL_CACHE_BYTES)
        in_flight = worker_processes or window_threads(method, config)
        budget = (max_memory_bytes - fixed) // max(1, in_flight)
        room, remedy = "The memory bound", f"raise {name_of('max_memory_gb')}"
    unit = core_unit(scale)
    core = _with_tiles(choose_core(budget, source.lr_shape, halo, ramp, scale, n_hsi, n_msi,
                                   factor + kept, unit, room=room, remedy=remedy),
                       unit, scale, max(source.lr_shape), ramp)
    gpu_free = device_free_bytes(config.device)
    if gpu_free is not None:  # the window's tensors must also fit the GPU, beside other workers'
        gpu_core = choose_core(gpu_free // max(1, worker_processes), source.lr_shape, halo, ramp,
                               scale, n_hsi, n_msi, factor, unit, room=f"The free memory of {config.device}",
                               remedy=f"close what else uses the GPU, or choose {name_of('device')} cpu")
        if gpu_core < core and log is not None:
            log(f"Windows sized by the {gpu_free / 2**30:.1f} GB free on {config.device}.")
        core = min(core, _with_tiles(gpu_core, unit, scale, max(source.lr_shape), ramp))
    if window_hr:
        step = core_unit(scale)  # on the tile grid, as wide as the ramp at least
        wanted = max(math.ceil(ramp / step) * step, round(window_hr / scale / step) * step)
        if wanted > core and log is not None:
            log(f"{name_of('window_size')} {window_hr} does not fit the memory bound: windows of "
                f"{core * scale} HR pixels are used instead.")
        core = min(core, wanted)
    grid = WindowGrid.build(*source.lr_shape, scale, core, halo, ramp)
    if log is not None:
        rows, cols = grid.shape
        bound = (f"{worker_bytes / 2**30:.1f} GB per worker thread of the cluster" if worker_bytes
                 else f"a memory bound of {max_memory_bytes / 2**30:.1f} GB")
        log(f"{len(grid)} window(s) ({rows}×{cols}) with cores of {core * scale} HR pixels, a halo "
            f"of {halo} and a blending ramp of {ramp} LR pixels, for {bound}.")
    return grid


def _with_tiles(core: int, unit: int, scale: int, longest: int, ramp: int) -> int:
    """``core``, or the next smaller one on the ``unit`` grid whose HR edge has a divisor that
    makes output tiles of at least MIN_TILE pixels (a scene in one window keeps its size; no
    core narrower than the ramp)."""
    floor = math.ceil(max(unit, ramp) / unit) * unit
    while core < longest and core - unit >= floor and tile_edge(core * scale) < MIN_TILE:
        core -= unit
    return core


def _unwritten(on_inputs: Optional[KeepInputs], state: ResumeState) -> Optional[KeepInputs]:
    """``on_inputs`` for the windows whose own region is still to be written (the regions an
    earlier run wrote are not seen again)."""
    if on_inputs is None:
        return None

    def keep(window: Window, lr: np.ndarray, hr: np.ndarray) -> None:
        if window.key not in state.written:
            on_inputs(window, lr, hr)

    return keep


def _run_pipelined(job: WindowJob, keys: list[Key], progress_for: Callable[[int], Progress],
                   keep: Optional[KeepInputs], results: ResultPool) -> Windows:
    """Fuse one window at a time (on a GPU, or a method that fuses windows one by one) while
    the next window is read and the previous one is written: three stages on their own threads,
    so the device waits for neither GDAL's decoding nor its encoding. Yields ``(key, result)``
    in order; the caller writes a result while the next window fuses."""
    def read(key: Key) -> tuple[np.ndarray, np.ndarray]:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            return read_window(job, key)

    stop = threading.Event()  # set when this loop ends early: the window fusing stops too
    with ThreadPoolExecutor(1, thread_name_prefix="hsi-fusion-read") as reader, \
            ThreadPoolExecutor(1, thread_name_prefix="hsi-fusion-fuse") as fuser:
        reading = reader.submit(read, keys[0]) if keys else None
        previous: Optional[tuple[Key, Any]] = None
        try:
            for k, key in enumerate(keys):
                assert reading is not None
                inputs = reading.result()
                reading = reader.submit(read, keys[k + 1]) if k + 1 < len(keys) else None
                fusing = fuser.submit(fuse_window, job, key, progress_for(k).stopping_when(stop.is_set), keep,
                                      inputs, results)
                if previous is not None:
                    yield _handed_over(previous)
                previous = (key, fusing)
            if previous is not None:
                yield _handed_over(previous)
        finally:
            stop.set()
            for pending in (reading, previous[1] if previous else None):
                if pending is not None:
                    pending.cancel()


def _run_concurrently(job: WindowJob, keys: list[Key], threads: int,
                      progress_for: Callable[[int], Progress],
                      keep: Optional[KeepInputs], results: ResultPool) -> Windows:
    """Fuse ``threads`` windows at a time on threads, each with one torch and one BLAS thread; yield the
    results as they finish. A finished window's successor starts before it is yielded, so the
    windows keep every thread busy while the caller writes (``threads + 1`` windows in memory)."""
    def fuse(key: Key, progress: Progress) -> np.ndarray:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            return fuse_window(job, key, progress, keep, results=results)

    queue = list(enumerate(keys))
    running: dict[Any, Key] = {}
    stop = threading.Event()  # set when this loop ends early: the windows fusing stop too
    with one_thread_each(), ThreadPoolExecutor(threads, thread_name_prefix="hsi-fusion-window") as pool:
        def start() -> None:
            while queue and len(running) < threads:
                k, key = queue.pop(0)
                running[pool.submit(fuse, key, progress_for(k).stopping_when(stop.is_set))] = key

        try:
            start()
            while running:
                finished = sorted(((running.pop(future), future) for future in
                                   wait(running, return_when=FIRST_COMPLETED).done), key=lambda item: item[0])
                start()
                while finished:
                    yield _handed_over(finished.pop(0))
        finally:
            stop.set()
            for future in running:
                future.cancel()


def _handed_over(finished: tuple[Key, Any]) -> tuple[Key, np.ndarray]:
    """``(key, result)`` of a finished window ``(key, future)``, which the caller then drops: the
    result's memory is lent again (:class:`ResultPool`) as soon as it has been written."""
    key, future = finished
    return key, future.result()


def _report(progress: Progress, t0: float, done: int, fused: int, todo: int, total: int) -> None:
    elapsed = time.perf_counter() - t0
    left = elapsed / fused * (todo - fused)
    progress.update(done / total, f"Window {done}/{total} fused; about {format_duration(left)} left")


def _fuse_here(job: WindowJob, output: TiledOutput, state: ResumeState, progress: Progress, t0: float,
               on_region: Optional[Callable[[tuple[int, int, int, int], np.ndarray], None]],
               on_inputs: Optional[KeepInputs]) -> tuple[int, int]:
    """Fuse the windows not done in this process, blend and write them here; (fused, resumed).

    One window at a time is read ahead and written behind on threads of their own
    (:func:`_run_pipelined`), except in a Dask task on a one-thread worker (a scene of a
    batch), which reads, fuses and writes in turn: a worker given one core then uses one (with
    the threads, 1.24 cores, so two such workers on two cores could not double one's pace).
    """
    from .distributed import task_threads

    assembler = Assembler(job.grid, output, state, output.count, on_region)
    todo = assembler.todo()
    total = len(job.grid)
    resumed = total - len(todo)
    if resumed:
        progress.info(f"Resuming: {resumed} of {total} windows were already fused.")

    def progress_for(k: int) -> Progress:
        return progress.child((resumed + k) / total, (resumed + k + 1) / total)

    keep = _unwritten(on_inputs, state)
    threads = window_threads(job.method, job.config)
    pool = ResultPool(threads + 1)  # the windows fused at once and the one being written
    windows: Windows
    if threads > 1:
        windows = _run_concurrently(job, todo, threads, progress_for, keep, pool)
    elif task_threads() == 1:  # a scene of a batch on a one-thread worker: one core, no more
        windows = ((key, fuse_window(job, key, progress_for(k), keep, results=pool))
                   for k, key in enumerate(todo))
    else:
        windows = _run_pipelined(job, todo, progress_for, keep, pool)
    fused = 0
    with closing(windows):  # an error or Ctrl-C here stops the windows on other threads first
        for key, weighted in windows:
            assembler.add(key, weighted)
            del weighted  # written: its memory may be lent to the windows fusing meanwhile
            fused += 1
            _report(progress, t0, resumed + fused, fused, len(todo), total)
    return fused, resumed


def _fuse_on_cluster(job: WindowJob, output: TiledOutput, state: ResumeState, scheduler: str,
                     progress: Progress, t0: float, region_tasks: Optional[RegionTasks]) -> tuple[int, int]:
    """Fuse on a Dask cluster whose workers write the regions into the output and record where
    their tiles are (:mod:`.region_writer`), and measure them (``region_tasks``); the output's
    tile directory is pointed at them at the end (:class:`~.tiff_assembly.Assembly`); (fused,
    resumed)."""
    from .distributed import run_on_dask

    if state.regions is None:
        raise ValueError("A run on a Dask cluster writes files: its state needs the output's path.")
    output.close()  # the workers write into it; only its tile directory changes here
    writer = RegionWriter.of(output, state.regions)
    grid = job.grid
    placed = writer.done()
    regions = [w.key for w in grid if w.key not in state.written and w.key not in placed]
    needed = {w for region in regions for w in grid.region_contributors(*region)}
    total = len(grid)
    resumed = total - len(needed)
    if placed or state.written:
        progress.info(f"Resuming: {len(set(placed) | state.written)} of {total} output regions "
                      "were already written.")
    fused = 0
    measure, take = region_tasks if region_tasks is not None else (None, None)
    assembly = Assembly(output.path)
    for key, earlier in placed.items():
        assembly.place(earlier.layout, earlier.rect, f"r{key[0]}_{key[1]}")
    with closing(run_on_dask(job, regions, writer, scheduler, progress, measure)) as results:
        for kind, key, answer in results:  # closed on an error here: the tasks are cancelled
            if kind == "window":
                fused += 1
                _report(progress, t0, resumed + fused, fused, len(needed), total)
                continue
            measured, where = answer
            if take is not None:
                take(measured)
            assembly.place(where.layout, where.rect, f"r{key[0]}_{key[1]}")
    t1 = time.perf_counter()
    assembly.finish()
    progress.info(f"{len(placed) + len(regions)} region(s) the workers wrote pointed at by the output's "
                  f"tile directory: {time.perf_counter() - t1:.1f} s after the last window.")
    state.written.update(placed, regions)
    state.save()
    return fused, resumed


def run_windows(job: WindowJob, output: TiledOutput, state: ResumeState, scheduler: str = "",
                keep_partial: bool = False, progress: Optional[Progress] = None,
                name_of: Callable[[str], str] = str,
                on_region: Optional[Callable[[tuple[int, int, int, int], np.ndarray], None]] = None,
                on_inputs: Optional[KeepInputs] = None,
                region_tasks: Optional[RegionTasks] = None) -> RunStats:
    """Fuse the windows of ``job`` not done in ``state`` and complete ``output``.

    Args:
        job: the windows' common inputs.
        output: the output file (written under its partial name, renamed at the end).
        state: resume state (already holding the windows done by an earlier run, if any).
        scheduler: ``""`` to fuse here, ``"local"`` for an embedded Dask cluster, or the address
            of a running Dask scheduler.
        keep_partial: keep the partial output and state when the run fails or is cancelled, so
            it can be resumed; otherwise delete them.
        progress: progress and cancel, reported per window with the time left.
        name_of: how the caller names a request field, for messages.
        on_region: receives each output region as it is written, ``(rect, values)``
            (:class:`~.assemble.Assembler`).
        on_inputs: receives the inputs of each window fused in this process whose own region
            is still to be written, as read (not on a Dask cluster: its windows are read there).
        region_tasks: ``(measure, take)`` instead of ``on_region`` on a Dask cluster: the
            worker that writes a region measures it (``measure(rect, values, inputs its window
            read)``, picklable) and ``take`` gets what it measured here.
    """
    progress = progress or Progress()
    t0 = time.perf_counter()
    total = len(job.grid)
    fresh = not (state.written or state.done or state.regions_done())
    if fresh:
        state.remove()  # an earlier run's state and contributions, of other settings
    try:
        output.open(resume_from=state.partial if state.written or state.regions_done() else None,
                    durable=keep_partial)
        state.partial = output.path
        state.save()
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            if scheduler:
                fused, resumed = _fuse_on_cluster(job, output, state, scheduler, progress, t0, region_tasks)
            else:
                fused, resumed = _fuse_here(job, output, state, progress, t0, on_region, on_inputs)
        output.finish()
        state.remove()
    except BaseException as exc:
        output.close()
        if keep_partial:
            kept = (f"The partial output {output.path} and its state {state.path} are kept: run "
                    f"the same command again with {name_of('resume')} to continue.")
            progress.info(kept)
            if isinstance(exc, Cancelled):
                raise Cancelled(f"Cancelled by the user. {kept}") from None
        else:
            output.discard()
            state.remove()
        raise
    return RunStats(fused, resumed, total, time.perf_counter() - t0)
