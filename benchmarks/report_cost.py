"""What the quality report costs beside the fusion, for the default method, from files.

The sample scene (``fusion_core.sample``, 198 bands) at growing sizes is degraded into a pair at
r = 4 (Gaussian PSF of FWHM 4, Sentinel-2-like bands, 40 dB) and written as GeoTIFFs; each size is
fused by SSCF with ``fuse_files`` as users run it — the report written beside the output, as it
is by default — in one process after a warm-up run (one-time imports count for neither), and the
same pair with the report turned off (``report=False``); the two kinds alternate, ``--repeats``
times each, and the medians are kept.

The report's time (the ``report`` stage: before the windows, its scan while they write, and
after them, as the run's JSON gives it; its parts add up to it, and the reduced-resolution
check, run beside them, is given apart, marked "beside") is set against the fusion's own time: the whole run
without a report (reading, co-registration, blind estimation, windows, writing: what the user
waits for without one), and, stricter, against the run's estimation + fusion stages alone
(the JSON's split, which charges the scan to the report). The scan runs beside the windows, so
what the report adds to the wait is also measured directly: the difference of the two kinds'
total times, and the difference of their CPU seconds (the process's, all threads), which a
machine shared with other work disturbs least.

Usage (one BLAS thread, as ``benchmarks/trust.py`` says why)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.report_cost \\
        [--sizes 256,512,1024] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from benchmarks.run_methods import machine
from fusion_core import FusionRequest, fuse_files
from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair
from fusion_core.io import write_raster
from fusion_core.sample import make_sample_scene

HERE = Path(__file__).resolve().parent
#: Sentinel-2-like MSI bands: centre and FWHM (nm).
BANDS = ((490.0, 65.0), (560.0, 35.0), (665.0, 30.0), (842.0, 115.0), (1610.0, 90.0), (2190.0, 180.0))
SCALE = 4


def _pair(size: int, folder: Path) -> tuple[str, str]:
    scene = make_sample_scene(size, size, 198, seed=0)
    wl = scene.wavelengths_nm[:, None]
    centres, widths = (np.array(v) for v in zip(*BANDS))
    srf = np.exp(-4 * np.log(2) * ((wl - centres) / widths) ** 2)
    model = DegradationModel(SCALE, sensor_psf(SCALE, float(SCALE)), srf, scene.wavelengths_nm)
    lr, hr = simulate_pair(scene.cube, model, snr_db=40.0)
    paths = str(folder / "lr.tif"), str(folder / "hr.tif")
    write_raster(paths[0], lr, scene.grid.scaled(SCALE), scene.band_names, scene.wavelengths_nm)
    write_raster(paths[1], hr, scene.grid, [f"B{i + 1}" for i in range(len(BANDS))], centres)
    return paths


def measure(size: int, repeats: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Median seconds by stage of ``repeats`` fusions of a ``size``² scene with the default
    report, the median of that run's report time by part, and the median seconds by stage of as
    many fusions of the same pair without a report (the two kinds alternate, so a busy spell of
    a shared machine weighs on both)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lr, hr = _pair(size, folder)
        bare: list[dict[str, float]] = []
        full: list[dict[str, float]] = []
        parts: list[dict[str, float]] = []
        for _ in range(repeats):
            bare.append(_timed(FusionRequest(lr, hr, str(folder / "bare.tif"), report=False)))
            full.append(_timed(FusionRequest(lr, hr, str(folder / "fused.tif"))))
            run = json.loads((folder / "fused_report.json").read_text())["run"]
            parts.append({**run["report_seconds"],
                          **{f"{k} (beside)": v for k, v in run.get("report_seconds_beside", {}).items()}})
    return _median(full), _median(parts), _median(bare)


def _timed(request: FusionRequest) -> dict[str, float]:
    """The run's seconds by stage, and ``cpu``: the process's CPU seconds over the run, all
    threads (what a machine shared with other work disturbs least)."""
    start = time.process_time()
    seconds = dict(fuse_files(request).seconds)
    return {**seconds, "cpu": time.process_time() - start}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.median([run.get(key, 0.0) for run in runs])) for key in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "REPORT_COST.md"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()[0]
    lines = ["# Cost of the quality report (default method, from files)", "",
             f"Measured {date.today().isoformat()} on {machine()}, commit `{commit}`, by "
             f"`OPENBLAS_NUM_THREADS=1 python -m benchmarks.report_cost --threads {args.threads} "
             f"--sizes {args.sizes} --repeats {args.repeats}` (how the scenes are built and run: its "
             f"docstring); medians of the runs; load average {load:.1f} at the start on this "
             f"{os.cpu_count()}-core machine.", "",
             "| HR size | bands | without report: total s (estimation + fusion s) | report s "
             "| **report / total without report** | report / (estimation + fusion) "
             "| added wall time / total without report | added CPU time / CPU without report "
             "| report's time by part (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    measure(64, 1)  # warm-up: one-time imports (torch's optimiser, matplotlib) are no one's cost
    for size in (int(v) for v in args.sizes.split(",")):
        s, parts, bare = measure(size, args.repeats)
        own = s.get("estimation", 0.0) + s["fusion"]
        bare_own = bare.get("estimation", 0.0) + bare["fusion"]
        split = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
        lines.append(f"| {size}² | 198 | {bare['total']:.1f} ({bare_own:.1f}) | {s['report']:.2f} | "
                     f"**{100 * s['report'] / bare['total']:.0f} %** | {100 * s['report'] / own:.0f} % | "
                     f"{100 * (s['total'] - bare['total']) / bare['total']:.0f} % | "
                     f"{100 * (s['cpu'] - bare['cpu']) / bare['cpu']:.0f} % ({s['cpu'] - bare['cpu']:.2f} of "
                     f"{bare['cpu']:.1f} CPU s) | {split} |")
        print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
