"""CPU time per stage of a fusion run, on every thread: the "measured" column of the roofline.

:class:`StageClock` replaces the functions that do each stage (``STAGES``: module attribute
and function name, found where the callers look them up) by wrappers that add the calling
thread's CPU time to the stage, exclusive of nested stages (the innermost stage gets the time,
as a profiler's own time). Window threads and the main thread are all counted; GDAL's
compression threads are not Python threads, so their CPU time is the process's total less the
Python threads' (:meth:`StageClock.report`). CPU time rather than wall time because the machine
is shared: a thread waiting for a core does not count.
"""

from __future__ import annotations

import functools
import importlib
import resource
import threading
import time
from collections import defaultdict
from typing import Any, Callable

#: (stage, module, attribute): the functions whose time goes to each stage. An attribute
#: ``Class.method`` patches the class.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("read inputs", "fusion_core.windows.source", "PairSource.read_lr"),
    ("read inputs", "fusion_core.windows.source", "PairSource.read_hr"),
    ("read inputs", "fusion_core.windows.source", "PairSource.read_lr_sample"),
    ("estimation", "fusion_core.pipeline.scene", "estimate_scene"),
    ("scene scan (masks, disagreement)", "fusion_core.pipeline.disagreement", "crop_noise"),
    ("scene scan (masks, disagreement)", "fusion_core.pipeline.disagreement", "scan_scene"),
    ("report", "fusion_core.pipeline.reporting", "report_start"),
    ("report", "fusion_core.pipeline.reporting", "report_run"),
    ("report", "fusion_core.report.region_scan", "RegionScan.keep"),
    ("report", "fusion_core.report.region_scan", "RegionScan.add"),
    ("spectral maps", "fusion_core.methods.sscf.method", "sample_moments"),
    ("spectral maps", "fusion_core.methods.sscf.method", "hsi_noise_std"),
    ("spectral maps", "fusion_core.methods.sscf.method", "msi_noise_std"),
    ("spectral maps", "fusion_core.methods.sscf.method", "fit_ridge_map"),
    ("spectral maps", "fusion_core.methods.sscf.method", "signal_subspace"),
    ("spectral maps", "fusion_core.methods.sscf.method", "fit_local_map"),
    ("spectral maps", "fusion_core.methods.sscf.method", "apply_local_map"),
    ("spectral maps", "fusion_core.methods.sscf.method", "spatial_degrade"),
    ("alignment", "fusion_core.methods.sscf.method", "estimate_alignment"),
    ("alignment", "fusion_core.methods.sscf.method", "warp"),
    ("consistency solve", "fusion_core.methods.sscf.method", "fourier_correction"),
    ("consistency solve", "fusion_core.methods.sscf.method", "consistency_correction"),
    ("band composition", "fusion_core.methods.sscf.method", "_compose"),
    ("blend (weights, sums)", "fusion_core.windows.task", "window_weights"),
    ("blend (weights, sums)", "fusion_core.windows.assemble", "Assembler.add"),
    ("encode + write (calling thread)", "fusion_core.windows.output", "TiledOutput.write"),
    ("encode + write (calling thread)", "fusion_core.windows.output", "TiledOutput.flush"),
    ("encode + write (calling thread)", "fusion_core.windows.output", "TiledOutput.finish"),
    ("window: the rest (normalising, the method's small steps)", "fusion_core.windows.runner", "fuse_window"),
)


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StageClock:
    """Patches ``STAGES`` while in a ``with`` block; :meth:`report` gives CPU seconds per stage."""

    def __init__(self, stages=STAGES):
        self.stages = stages
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._threads: dict[int, float] = {}  # Python thread id → CPU seconds seen in stages' roots
        self._saved: list[tuple[Any, str, Any]] = []

    def _wrap(self, stage: str, func: Callable) -> Callable:
        clock = self

        @functools.wraps(func)
        def timed(*args, **kwargs):
            stack = getattr(clock._local, "stack", None)
            if stack is None:
                stack = clock._local.stack = []
            now = time.thread_time()
            if stack:  # pause the enclosing stage
                outer, since = stack[-1]
                clock._add(outer, now - since)
            else:
                clock._local.root = now
            stack.append([stage, now])
            try:
                return func(*args, **kwargs)
            finally:
                end = time.thread_time()
                clock._add(stage, end - stack.pop()[1], call=True)
                if stack:
                    stack[-1][1] = end
                else:
                    with clock._lock:
                        ident = threading.get_ident()
                        clock._threads[ident] = clock._threads.get(ident, 0.0) + end - clock._local.root

        return timed

    def _add(self, stage: str, seconds: float, call: bool = False) -> None:
        with self._lock:
            self.seconds[stage] += seconds
            self.calls[stage] += int(call)

    def __enter__(self) -> "StageClock":
        for stage, module_name, attribute in self.stages:
            owner: Any = importlib.import_module(module_name)
            name = attribute
            if "." in attribute:
                cls, name = attribute.split(".")
                owner = getattr(owner, cls)
            original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
            if original is None:  # a stage an older commit lacks: not timed, so one clock times it too
                continue
            self._saved.append((owner, name, original))
            setattr(owner, name, self._wrap(stage, original))
        self._cpu0, self._wall0 = _process_cpu(), time.perf_counter()
        self._main0 = time.thread_time()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu = _process_cpu() - self._cpu0
        self.wall = time.perf_counter() - self._wall0
        self.main_cpu = time.thread_time() - self._main0
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)

    def report(self) -> dict[str, Any]:
        """CPU seconds per stage; the process's CPU and wall time; GDAL's threads (the process
        CPU not spent in Python threads: compression, mostly) and Python outside the stages."""
        stages = dict(self.seconds)
        other_threads = sum(v for k, v in self._threads.items() if k != threading.main_thread().ident)
        python = self.main_cpu + other_threads
        stages["other Python (main thread, outside the stages)"] = max(
            0.0, self.main_cpu - self._threads.get(threading.main_thread().ident, 0.0))
        stages["GDAL threads (compression) and the rest"] = max(0.0, self.cpu - python)
        return {"stages_cpu_s": {k: round(v, 2) for k, v in stages.items()},
                "calls": dict(self.calls), "process_cpu_s": round(self.cpu, 1),
                "wall_s": round(self.wall, 1)}
