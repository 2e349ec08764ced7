"""Side by side on one machine: the default method against the seed methods' paper schedules.

Scene: Jasper Ridge 100×100×198 at r = 4 (Wald's protocol), the size of the speed target
("under 20 s for a 100×100 scene with ~200 bands, estimation included").

* **Default method (SSCF)**, fully blind: estimation + fusion, timed ``--repeats`` times
  (best and median reported; the first run also pays the warm-up of torch's kernels).
* **UDALN and M2U-Net, paper schedules** (UDALN: 20k + 30k + 15k iterations, about two hours on
  a 2-core CPU — the authors' own code took 1 h 56 min here, ``../shared/docs/REFERENCE_NUMBERS.md``;
  M2U-Net: 6k + 4k + 14k iterations, the last of a Dual U-Net with 260 maps per layer at full
  resolution). A method named in ``--full`` runs to the end. Otherwise each stage runs
  ``PROBES[method]`` iterations with the paper's settings, its time per iteration is measured
  (minus a run with every stage at zero iterations), and the schedule's time is projected as
  Σ (iterations × time per iteration) — labelled as projected in the table, with no PSNR.

Usage::

    python -m benchmarks.speed --threads 1 --out benchmarks/SPEED.md [--full udaln m2unet] [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import torch

from benchmarks.run_methods import machine
from benchmarks.scenes import load_scene, wald_pair
from fusion_core.device import resolve_device, seed_everything
from fusion_core.estimation import estimate_degradation
from fusion_core.methods import load_method
from fusion_core.methods.base import FusionConfig
from fusion_core.metrics import quality_metrics
from fusion_core.progress import Progress, format_duration

STAGES = ("stage1_iters", "stage2_iters", "stage3_iters")
#: Iterations per stage measured when a paper schedule is projected (an iteration of M2U-Net's
#: Dual U-Net takes seconds on a CPU, UDALN's a few milliseconds).
PROBES = {"udaln": 200, "m2unet": 20}
LABELS = {"udaln": "UDALN", "m2unet": "M2U-Net"}


def timed_fusion(pair, method: str, preset: str, device: torch.device, options: dict) -> tuple[float, float]:
    """Seconds for blind estimation + fusion with ``method``, and the result's PSNR."""
    seed_everything(0)
    lr, hr = torch.from_numpy(pair.lr_hsi).to(device), torch.from_numpy(pair.hr_msi).to(device)
    start = time.perf_counter()
    model = estimate_degradation(pair.lr_hsi, pair.hr_msi, pair.scale,
                                 hsi_wavelengths=pair.model.hsi_wavelengths)
    config = FusionConfig(preset=preset, device=device, seed=0, options=options)
    fused = load_method(method).fuse(lr, hr, model, config, Progress())
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    psnr = quality_metrics(pair.reference, fused.detach().float().cpu().numpy(), pair.scale)["PSNR"]
    return seconds, float(psnr)


def paper_schedule(pair, method: str, device: torch.device, full: bool) -> dict:
    """``method`` with its paper schedule: measured to the end, or projected from probe runs."""
    paper = load_method(method).presets["paper"]
    if full:
        seconds, psnr = timed_fusion(pair, method, "paper", device, {})
        return {"seconds": seconds, "psnr": psnr, "how": "measured, full schedule"}
    probe, zero = PROBES[method], {k: 0 for k in STAGES}
    base, _ = timed_fusion(pair, method, "paper", device, zero)
    projected, rates = base, []
    for stage in STAGES:
        seconds, _ = timed_fusion(pair, method, "paper", device, {**zero, stage: probe})
        rate = max(seconds - base, 0.0) / probe
        rates.append(rate)
        projected += rate * getattr(paper, stage)
    how = (f"projected: {probe} iterations of each stage measured ("
           + ", ".join(f"{1e3 * r:,.1f} ms/it" for r in rates)
           + f") × the paper's {paper.stage1_iters} + {paper.stage2_iters} + {paper.stage3_iters}")
    return {"seconds": projected, "psnr": None, "how": how}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full", nargs="*", default=[], choices=sorted(PROBES),
                        help="methods whose whole paper schedule runs (hours on a CPU) instead of a projection")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/SPEED.md"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    pair = wald_pair(load_scene("jasper_ridge"), 4)

    runs = [timed_fusion(pair, "sscf", "fast", device, {}) for _ in range(args.repeats)]
    times = [s for s, _ in runs]
    best, median, psnr = min(times), statistics.median(times), runs[-1][1]
    papers = {m: paper_schedule(pair, m, device, m in args.full) for m in PROBES}
    full = "".join(f" {m}" for m in args.full)
    lines = [
        "# Speed: the default method and the seed methods' paper schedules, one run, one machine", "",
        f"Measured {date.today().isoformat()} on {machine()}, device {device}, load average "
        f"{os.getloadavg()[0]:.1f} at the start, by "
        f"`python -m benchmarks.speed{' --full' + full if full else ''}` (what is measured and how: "
        "its docstring). Scene: Jasper Ridge 100×100×198, r = 4, Wald's protocol, blind "
        "(estimation included in every time).", "",
        "| method | wall time | PSNR dB | how |", "|---|---|---|---|",
        f"| SSCF (default), blind | best {best:.2f} s, median {median:.2f} s of {args.repeats} | "
        f"{psnr:.2f} | measured |",
    ]
    for method, run in papers.items():
        run_psnr = "—" if run["psnr"] is None else f"{run['psnr']:.2f}"
        lines.append(f"| {LABELS[method]}, paper schedule, blind | {format_duration(run['seconds'])} | "
                     f"{run_psnr} | {run['how']} |")
    lines.append("")
    lines.append(" · ".join(f"**{LABELS[m]} / SSCF (median): {run['seconds'] / median:,.0f}×**"
                            for m, run in papers.items()))
    lines += ["", "Targets: SSCF under 20 s, and at least 50× faster than the seed methods' paper schedules.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
