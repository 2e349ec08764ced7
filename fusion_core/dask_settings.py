"""Dask settings of the worker processes this engine starts: the embedded cluster's and those of
``python -m fusion_core worker``. Each applies only where the user left Dask's default (settings
of their own, in Dask's configuration files or environment, win).

- **Memory**: the engine sizes its windows to a worker's memory limit itself; Dask spilling a
  window's result to disk (at 70 % of the limit) or pausing the worker (at 80 %), which then would
  not run the task that frees that result, would only slow a run down or stall it. Dask still
  restarts a worker at 95 %.
- **The allocator**: Dask's nanny starts each worker process with ``MALLOC_TRIM_THRESHOLD_=65536``
  (``distributed.nanny.pre-spawn-environ``), which makes glibc give every freed block back to the
  system at once and turns off its adaptive choice of which blocks it maps afresh: each of a
  window's arrays then comes from new pages that the kernel faults in and clears. On the 3000²
  scene that doubled the workers' system time (62 against 30 CPU-s) and made the embedded cluster
  1.4× slower than threads (``benchmarks/SCALE_OUT.md``). Without it glibc keeps freed memory
  for the next window, as it does in a process of threads; the windows' memory model counts it.
- **Dask's own upkeep**: an idle worker with its nanny and a scheduler used 8.5 % of a core
  (the event loops' 20 ms tick, which only watches for a blocked loop, and the worker's 10 ms
  statistical profiler, which only feeds the dashboard's profile page); with a 1 s tick and the
  profiler off, 2.5 %. On two cores a batch on two one-thread workers pays it from the cores
  the scenes need (``benchmarks/SCALE_OUT.md``).
"""

from __future__ import annotations

__all__ = ["worker_settings"]

#: Dask's default and this engine's value of each setting it changes.
_OURS: dict[str, tuple[object, object]] = {
    "distributed.worker.memory.target": (0.6, False),
    "distributed.worker.memory.spill": (0.7, False),
    "distributed.worker.memory.pause": (0.8, False),
    "distributed.admin.tick.interval": ("20ms", "1s"),
    "distributed.worker.profile.enabled": (True, False),
}
_ENVIRON = "distributed.nanny.pre-spawn-environ"
_TRIM, _TRIM_DEFAULT = "MALLOC_TRIM_THRESHOLD_", 65536


def worker_settings() -> dict[str, object]:
    """Settings for :func:`dask.config.set` while workers (or their nannies) start, which read
    them then: spilling and pausing off, a slower tick and no profiler, and glibc's default
    allocator behaviour, each where Dask's default is in force."""
    import dask
    import distributed  # noqa: F401  (its defaults join Dask's settings on import)

    settings = {key: ours for key, (default, ours) in _OURS.items() if dask.config.get(key, default) == default}
    environ = dict(dask.config.get(_ENVIRON, {}) or {})
    if str(environ.get(_TRIM, "")) == str(_TRIM_DEFAULT):
        del environ[_TRIM]
        settings[_ENVIRON] = environ
    return settings
