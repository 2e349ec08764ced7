"""Working memory of each method per HR pixel, measured: the numbers behind window sizing.

The windowed runner (:mod:`fusion_core.windows.memory`) sizes windows so that one window's
inputs, output and the method's working memory (:meth:`FusionMethod.window_memory_factor`
copies of the output) fit the user's memory bound. This benchmark measures what each method
really holds: in a fresh process per run, the peak resident memory (``ru_maxrss``) of one
``fuse`` call on a random window at two sizes (128² and 256² HR pixels, r = 4, a few
iterations: a trained method's peak is reached at its first step), so the difference divided by
the extra pixels is the memory per HR pixel, free of the fixed costs (torch's thread pools,
the networks' weights). The factor it implies is that memory in output copies, less the output
itself; the table compares it with the factor the method declares. Every method runs on 198
bands; M2U-Net also on 50, where its Dual U-Net's width (a fixed number of feature maps)
weighs more per band.

The measurements go to ``results/memory/cpu.json`` (beside, not among, the rows report.py
reads); ``--render`` rewrites the table from them
with the factors the code declares now (after changing a factor, no need to measure again).

Usage::

    python -m benchmarks.memory [--render] [--methods sscf]

``--methods`` measures only those methods and keeps the other rows of the JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from datetime import date
from pathlib import Path

from fusion_core.methods.settings import PRESETS

MSI_BANDS, SCALE = 4, 4
SIZES = (128, 256)
#: A few iterations per stage (peak memory is reached at the first step).
FEW = {
    "sscf": {},
    "udaln": {"stage1_iters": 2, "stage2_iters": 2, "stage3_iters": 2},
    "m2unet": {"stage1_iters": 2, "stage2_iters": 2, "stage3_iters": 2},
    "stable_vae": {"em_iters": 2, "finetune_iters": 2},
    "ual": {"iterations": 2},
    "uao": {"outer_iters": 1, "inner_iters": 2},
}
#: Runs measured: method, preset, HSI bands (M2U-Net's width, 32 fast and 260 paper, sets its memory).
RUNS = [(m, preset, 198) for m in FEW for preset in PRESETS]
RUNS += [("m2unet", preset, 50) for preset in PRESETS]


def child(method: str, preset: str, bands: int, size: int) -> int:
    """One fuse call in this (fresh) process; the growth of its peak memory in bytes."""
    import numpy as np
    import torch

    from fusion_core.degradation import DegradationModel, sensor_psf
    from fusion_core.methods import load_method
    from fusion_core.methods.base import FusionConfig
    from fusion_core.progress import Progress

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    srf = rng.uniform(size=(bands, MSI_BANDS))
    model = DegradationModel(SCALE, sensor_psf(SCALE, float(SCALE)), srf / srf.sum(axis=0),
                             np.linspace(400.0, 2400.0, bands))
    lr = torch.rand(bands, size // SCALE, size // SCALE)
    hr = torch.rand(MSI_BANDS, size, size)
    config = FusionConfig(preset=preset, options=FEW[method])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    load_method(method).fuse(lr, hr, model, config, Progress())
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024


def measure(method: str, preset: str, bands: int) -> dict:
    """Memory per HR pixel of ``method`` from two window sizes, each in a fresh process."""
    growth = []
    for size in SIZES:
        args = [sys.executable, "-m", "benchmarks.memory", "--child", json.dumps([method, preset, bands, size])]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        growth.append(int(out.strip().splitlines()[-1]))
    per_pixel = (growth[1] - growth[0]) / (SIZES[1] ** 2 - SIZES[0] ** 2)
    return {"method": method, "preset": preset, "bands": bands, "bytes_per_pixel": per_pixel}


def render(measured: dict, out: Path) -> None:
    """MEMORY.md from the measurements and the factors the methods declare now."""
    from fusion_core.methods import load_method
    from fusion_core.methods.base import FusionConfig

    lines = [
        "# Working memory per HR pixel, measured", "",
        f"Measured {measured['date']} on {measured['machine']} by `python -m benchmarks.memory` (how: "
        f"its docstring): peak memory growth of one fuse call at {SIZES[0]}² and {SIZES[1]}² HR "
        f"pixels, r = {SCALE}, one process per call. Factor = memory per pixel in copies of the "
        "output beyond the output; the runner sizes windows with the declared factor (and keeps "
        "10 % of the bound in reserve).", "",
        "| method | preset | bands | KB per HR pixel | factor needed | factor declared |",
        "|---|---|---|---|---|---|",
    ]
    later = sorted({f"{r['method']} on {r['date']} ({r['machine']})" for r in measured["rows"] if "date" in r})
    if later:
        lines[2] += " Measured again later: " + "; ".join(later) + "."
    for row in measured["rows"]:
        needed = row["bytes_per_pixel"] / (4 * row["bands"]) - 1.0  # copies beyond the output
        declared = load_method(row["method"]).window_memory_factor(FusionConfig(preset=row["preset"]),
                                                                   row["bands"])
        lines.append(f"| {row['method']} | {row['preset']} | {row['bands']} | "
                     f"{row['bytes_per_pixel'] / 1024:.1f} | {needed:.1f} | {declared:.1f} |")
    lines += [
        "", "Repeated runs differ by up to 10 % per row (the allocator and oneDNN's scratch buffers "
        "do not grow smoothly with the window), so each declared factor sits a little above the "
        "highest value seen. M2U-Net's factor grows with its Dual U-Net's width P over the band "
        "count C (P feature maps per pixel whatever C): a 50-band scene with the paper's P = 260 "
        "needs several times the memory per output value of a 198-band one with P = 32.", "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--render", action="store_true", help="only rewrite the table from the JSON")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/memory/cpu.json"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/MEMORY.md"))
    parser.add_argument("--methods", help="comma-separated methods to measure again (default: all)")
    args = parser.parse_args()
    if args.child:
        print(child(*json.loads(args.child)))
        return 0
    if not args.render:
        import torch

        from benchmarks.run_methods import machine

        torch.set_num_threads(1)  # as in every measuring process, so the stamp says so
        chosen = set(args.methods.split(",")) if args.methods else {m for m, _, _ in RUNS}
        stamp = {"date": date.today().isoformat(), "machine": machine()}
        measured = json.loads(args.json.read_text(encoding="utf-8")) if args.methods else dict(stamp, rows=[])
        fresh = {}
        for method, preset, bands in RUNS:
            if method in chosen:
                fresh[(method, preset, bands)] = dict(measure(method, preset, bands), **(stamp if args.methods else {}))
                print(json.dumps(fresh[(method, preset, bands)]), flush=True)
        kept = measured["rows"] or [{"method": m, "preset": p, "bands": b} for m, p, b in RUNS]
        measured["rows"] = [fresh.get((r["method"], r["preset"], r["bands"]), r) for r in kept]
        args.json.write_text(json.dumps(measured, indent=1), encoding="utf-8")
    render(json.loads(args.json.read_text(encoding="utf-8")), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
