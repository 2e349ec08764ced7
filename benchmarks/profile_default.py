"""Where the default method's time goes: a profile of blind estimation + SSCF, step by step.

Two runs, each under :mod:`cProfile` timed by the calling thread's CPU time (so that a shared
machine's load does not count; with one torch thread every window runs on that thread),
grouped into the method's steps (cumulative time of the function that does each step; the
steps do not nest, "other" is the rest):

1. in memory, the speed target of the default method: Jasper Ridge 100×100×198 at r = 4
   (Wald's protocol), :func:`~fusion_core.estimation.estimate_degradation` then
   :meth:`SSCF.fuse <fusion_core.methods.sscf.method.SSCF.fuse>`;
2. from files, as users run it (:func:`~fusion_core.pipeline.fuse_files`: reading, blind
   estimation, windows, writing), on the mirrored Jasper Ridge scene of
   :mod:`benchmarks.cost_growth` at two sizes, so each step's growth with the pixel count can be
   read off (the exponent ``log(t_big / t_small) / log(pixels_big / pixels_small)``).

Usage::

    python -m benchmarks.profile_default --threads 1 --out benchmarks/PROFILE.md
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

#: (step, file suffix, function[, caller's file suffix, caller]): the functions that each do
#: one step of the default method (only their calls from that caller when one is named).
STEPS = (
    ("read inputs", "fusion_core/io/raster.py", "read_raster"),
    ("blind estimation", "fusion_core/estimation/blind.py", "estimate_degradation"),
    ("Gram matrix of the LR pixels", "fusion_core/spectral/noise.py", "sample_moments",
     "fusion_core/methods/sscf/method.py", "fuse"),
    ("HSI noise", "fusion_core/spectral/noise.py", "hsi_noise_std"),
    ("alignment", "fusion_core/methods/sscf/alignment.py", "estimate_alignment"),
    ("MSI noise", "fusion_core/spectral/noise.py", "msi_noise_std"),
    ("global spectral map", "fusion_core/spectral/mapping.py", "fit_ridge_map"),
    ("signal subspace", "fusion_core/spectral/subspace.py", "signal_subspace"),
    ("local map: fit", "fusion_core/spectral/mapping.py", "fit_local_map"),
    ("local map: apply", "fusion_core/spectral/mapping.py", "apply_local_map"),
    ("consistency solve (Fourier)", "fusion_core/methods/sscf/solver.py", "fourier_correction"),
    ("band composition", "fusion_core/methods/sscf/method.py", "_compose"),
    ("blend + write tiles", "fusion_core/windows/assemble.py", "add"),
)
#: Counted, not timed: one call per consistency solve, and the calls of the PSF operator.
SOLVE = ("fusion_core/methods/sscf/solver.py", "fourier_correction")
OPERATOR = ("fusion_core/degradation/operators.py", "spatial_degrade")


def step_times(profile: cProfile.Profile) -> tuple[dict[str, float], float, dict[str, int]]:
    """Cumulative seconds per step, the total, and call counts of the solver and the PSF operator."""
    stats = pstats.Stats(profile).stats
    times = {name: 0.0 for name, *_ in STEPS}
    calls = {"consistency solves (count)": 0, "PSF operator calls (count)": 0}
    total = 0.0
    for (file, _, func), (_, ncalls, _, cumulative, callers) in stats.items():
        path = file.replace("\\", "/")
        for name, suffix, fn, *caller in STEPS:
            if path.endswith(suffix) and func == fn:
                times[name] += cumulative if not caller else sum(
                    timing[3] for (c_file, _, c_func), timing in callers.items()
                    if c_file.replace("\\", "/").endswith(caller[0]) and c_func == caller[1])
        if path.endswith(SOLVE[0]) and func == SOLVE[1]:
            calls["consistency solves (count)"] += ncalls
        if path.endswith(OPERATOR[0]) and func == OPERATOR[1]:
            calls["PSF operator calls (count)"] += ncalls
        if not callers:
            total = max(total, cumulative)
    return times, total, calls


def profile_in_memory() -> tuple[dict[str, float], float, dict[str, int]]:
    """Blind estimation + SSCF on the 100×100×198 Jasper Ridge pair, in memory."""
    from benchmarks.scenes import load_scene, wald_pair
    from fusion_core.estimation import estimate_degradation
    from fusion_core.methods import load_method
    from fusion_core.methods.base import FusionConfig
    from fusion_core.progress import Progress

    pair = wald_pair(load_scene("jasper_ridge"), 4)
    method = load_method("sscf")
    config = FusionConfig(preset="fast", device=torch.device("cpu"), seed=0)

    def run() -> None:
        model = estimate_degradation(pair.lr_hsi, pair.hr_msi, 4, hsi_wavelengths=pair.model.hsi_wavelengths)
        method.fuse(torch.from_numpy(pair.lr_hsi), torch.from_numpy(pair.hr_msi), model, config, Progress())

    run()  # warm-up: first calls into torch/numpy kernels
    profile = cProfile.Profile(time.thread_time)
    start = time.thread_time()
    profile.runcall(run)
    wall = time.thread_time() - start
    times, _, calls = step_times(profile)
    return times, wall, calls


def profile_files(size: int) -> tuple[dict[str, float], float, dict[str, int]]:
    """``fuse_files`` on the mirrored Jasper Ridge scene of ``size``² HR pixels, 198 bands.

    The counts also give the windows' read area over the scene's: the share of the work the
    windows' halos and blending ramps add.
    """
    from benchmarks.cost_growth import write_pair
    from fusion_core import FusionRequest, fuse_files
    from fusion_core.progress import Progress

    layout: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lr, hr = write_pair(Path(tmp), size, 198)
        profile = cProfile.Profile(time.thread_time)
        start = time.thread_time()
        request = FusionRequest(str(lr), str(hr), str(Path(tmp) / "out.tif"))
        profile.runcall(fuse_files, request, Progress(log=layout.append))
        wall = time.thread_time() - start
    times, _, calls = step_times(profile)
    calls["windows' read area / scene area (%)"] = round(100 * _read_area_ratio(layout, size // 4))
    return times, wall, calls


def _read_area_ratio(log: list[str], lr_size: int) -> float:
    """Sum of the LR areas the windows read over the scene's, from the layout line of the log."""
    from fusion_core.windows.layout import AxisLayout

    line = next(m for m in log if "window(s)" in m)
    core = int(re.search(r"cores of (\d+) HR", line).group(1)) // 4
    halo = int(re.search(r"halo of (\d+)", line).group(1))
    ramp = int(re.search(r"ramp of (\d+)", line).group(1))
    axis = AxisLayout.build(lr_size, core, halo, ramp)
    read = sum(axis.extent(k)[1] - axis.extent(k)[0] for k in range(axis.count))
    return (read / lr_size) ** 2


def table(columns: list[tuple[str, tuple[dict[str, float], float, dict[str, int]]]],
          growth: bool) -> list[str]:
    """Markdown rows: seconds and share of each step per run (and the growth exponent)."""
    head = "| step | " + " | ".join(f"{name} s | share" for name, _ in columns)
    head += " | growth exponent |" if growth else " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(columns) + growth)]
    names = [name for name, *_ in STEPS] + ["other (imports excluded: warm process)"]
    for name in names:
        cells, values = [], []
        for _, (times, wall, _) in columns:
            value = times[name] if name in times else wall - sum(times.values())
            values.append(value)
            cells.append(f"{value:.2f} | {100 * value / wall:.0f} %")
        if all(v < 0.005 for v in values):
            continue
        row = f"| {name} | " + " | ".join(cells)
        if growth:
            row += f" | {_exponent(values[0], values[1], columns):.2f} |" if min(values) > 0.05 else " | — |"
        else:
            row += " |"
        lines.append(row)
    totals = " | ".join(f"**{wall:.2f}** | 100 %" for _, (_, wall, _) in columns)
    row = f"| **total (CPU of the calling thread)** | {totals}"
    if growth:
        row += f" | {_exponent(columns[0][1][1], columns[1][1][1], columns):.2f} |"
    else:
        row += " |"
    lines.append(row)
    for key in [k for k in columns[0][1][2] if all(k in c[1][2] for c in columns)]:
        lines.append(f"| {key} | " + " | ".join(f"{c[1][2][key]} | —" for c in columns)
                     + (" | — |" if growth else " |"))
    return lines


def _exponent(small: float, big: float, columns) -> float:
    pixels = [int(name.split("²")[0]) ** 2 for name, _ in columns]
    return math.log(big / small) / math.log(pixels[1] / pixels[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sizes", default="256,1024", help="two HR sizes for the files run")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/PROFILE.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from benchmarks.cost_growth import _cpu

    memory = profile_in_memory()
    small, big = (int(v) for v in args.sizes.split(","))
    files = [(f"{s}²", profile_files(s)) for s in (small, big)]
    lines = [
        "# Where the default method's time goes", "",
        f"Measured {date.today().isoformat()} on {_cpu()}, {args.threads} torch thread(s), load "
        f"average {os.getloadavg()[0]:.1f} at the start, by "
        "`python -m benchmarks.profile_default` (cProfile on the thread's CPU time; each step is the "
        "cumulative time of the function that does it, see the script's STEPS; GDAL's own "
        "compression threads are not counted).", "",
        "## Jasper Ridge 100×100×198, r = 4, in memory (blind estimation + SSCF)", "",
        *table([("100²", memory)], growth=False), "",
        "## From files, mirrored Jasper Ridge × 198 bands, r = 4 (`fuse_files`)", "",
        *table(files, growth=True), "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
