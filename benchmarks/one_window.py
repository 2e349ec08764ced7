"""One window of the large scene fused by SSCF on one thread: its CPU time and the memory it faults in.

Whole runs of the 3000² scene vary by a third from one hour to the next on a shared machine;
one window alone, repeated, varies by a few per cent, so two commits compare by running this in
each checkout in turn (``--old``). The window is the 208² LR pixels (624² HR) at LR pixel
(300, 300) of the scene ``benchmarks.large_scene build`` writes, fused with the scene's true
degradation model on a worker thread (as the threaded runner and a Dask worker fuse one); the
last of ``--repeats`` fusions is reported, the ones before it warm the process up.

Usage::

    python -m benchmarks.one_window /tmp/large_scene --old /tmp/old_checkout --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
#: LR rectangle ``(row, col, size)`` of the window.
WINDOW = (300, 300, 208)


def measure(folder: Path, repeats: int) -> dict:
    """CPU seconds, system seconds and faulted MB of the last of ``repeats`` fusions of the window."""
    import resource
    import time
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import rasterio
    import torch
    from rasterio.windows import Window
    from threadpoolctl import threadpool_limits

    from fusion_core.degradation import DegradationModel
    from fusion_core.methods.base import FusionConfig
    from fusion_core.methods.sscf.method import SSCF
    from fusion_core.progress import Progress

    row, col, size = WINDOW
    model = DegradationModel.load(folder / "true_model.json")
    r = model.scale
    with rasterio.open(folder / "lr_hsi.tif") as lr, rasterio.open(folder / "hr_msi.tif") as hr:
        y = torch.from_numpy(lr.read(window=Window(col, row, size, size)).astype(np.float32))
        z = torch.from_numpy(hr.read(window=Window(col * r, row * r, size * r, size * r)).astype(np.float32))

    def fuse() -> dict:
        torch.set_num_threads(1)
        with threadpool_limits(1, user_api="blas"):
            for _ in range(repeats):
                before, start = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
                SSCF().fuse(y, z, model, FusionConfig(), Progress())
                cpu, after = time.thread_time() - start, resource.getrusage(resource.RUSAGE_SELF)
        return {"cpu_s": round(cpu, 3), "system_s": round(after.ru_stime - before.ru_stime, 3),
                "faulted_mb": round((after.ru_minflt - before.ru_minflt) * os.sysconf("SC_PAGE_SIZE") / 2**20)}

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fuse).result()


def _in(checkout: Path, folder: Path, repeats: int) -> dict:
    """:func:`measure` in a fresh process importing the engine of ``checkout`` (this file is run
    as a script, so an older checkout need not have it)."""
    out = subprocess.run([sys.executable, __file__, str(folder), "--repeats", str(repeats), "--here"],
                         cwd=checkout, env=dict(os.environ, PYTHONPATH=str(checkout)),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="the scene of benchmarks.large_scene build")
    parser.add_argument("--old", type=Path, help="another checkout, measured in turn with this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--here", action="store_true", help="measure in this process and print JSON")
    args = parser.parse_args()
    if args.here:
        print(json.dumps(measure(args.folder, args.repeats)))
        return
    sides = [("this checkout", HERE)] + ([("old", args.old.resolve())] if args.old else [])
    for k in range(args.rounds):
        for name, checkout in sides:
            print(f"round {k + 1}, {name}: {_in(checkout, args.folder, args.repeats)}", flush=True)


if __name__ == "__main__":
    main()
