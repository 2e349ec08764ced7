"""``python -m fusion_core worker``: a Dask worker that runs fusion jobs from any client.

It is ``dask worker`` (its scheduler address or ``--scheduler-file``, ``--nthreads``,
``--memory-limit``, and any other of its options, as it parses them) on this interpreter, with the engine importable
as ``fusion_core`` in the worker process: run it from the plugin's folder, or wherever the engine
is installed. Jobs sent from QGIS, qgis_process, the command line or Python name the engine only
so (:mod:`fusion_core.portable`). Dask's nanny starts the worker process with one OpenMP/BLAS
thread and glibc's own allocator settings, Dask's spilling, pausing and profiler off
(:mod:`fusion_core.dask_settings`); each task uses one torch thread and resolves its device
here (CUDA where this machine has it, :func:`fusion_core.windows.distributed.fuse_on_worker`).
The worker loads this module (Dask's ``--preload``), which imports torch and the engine once,
before the first task, and logs where the engine comes from and the device it found.
"""

from __future__ import annotations

import logging
import sys
from typing import Optional, Sequence

from .dask_settings import worker_settings
from .errors import InputError
from .portable import ENGINE_ROOT

__all__ = ["PROG", "run_worker", "dask_setup"]

PROG = "python -m fusion_core worker"
def run_worker(arguments: Sequence[str]) -> int:
    """Run ``dask worker arguments`` (with this module preloaded) until it is stopped; its exit
    status (2 with a usage message on bad arguments).

    Raises:
        InputError: no scheduler is given (an address, ``--scheduler-file`` or Dask's
            ``scheduler-address`` setting).
    """
    import click
    import dask
    from distributed.cli.dask_worker import main as dask_worker

    try:
        with dask_worker.make_context(PROG, [*arguments, "--preload", __name__]) as context:
            if not (context.params.get("scheduler") or context.params.get("scheduler_file")
                    or dask.config.get("scheduler-address", None)):
                raise InputError(f"Give the scheduler's address ({PROG} tcp://host:8786) or its "
                                 f"file ({PROG} --scheduler-file scheduler.json).")
            if ENGINE_ROOT not in sys.path:  # the worker process inherits this path
                sys.path.append(ENGINE_ROOT)
            with dask.config.set(worker_settings()):
                dask_worker.invoke(context)
    except click.exceptions.Exit as exc:  # --help
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def dask_setup(worker: Optional[object] = None) -> None:
    """Dask's preload hook, in the worker process: load torch and the engine, one torch and one
    BLAS thread per task."""
    from . import __file__ as engine_file
    from .device import resolve_device
    from .threads import one_thread_each_from_now

    one_thread_each_from_now()
    logging.getLogger("distributed.worker").info(
        "HSI Fusion engine from %s; tasks asking for device 'auto' use %s.",
        engine_file, resolve_device("auto"))
