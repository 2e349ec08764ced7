"""Benchmark fusion methods on real scenes under Wald's protocol; append rows to a JSON file.

Each row: scene, ratio, method (a classical baseline of :mod:`benchmarks.baselines` or a
:data:`fusion_core.methods.CATALOG` id), preset, degradation (``estimated``: blind, from the
pair, as users run it; ``true``: the simulation's PSF/SRF, the oracle), PSNR, SAM, ERGAS, CC,
RMSE, wall time (estimation included) and device. On the real pair (``--protocol real``) every
method is given one registration, measured once from the two inputs by the pipeline
(:mod:`benchmarks.registration`), and scored on the LR-HSI's geometry.
``python benchmarks/report.py`` turns the JSON files into ``benchmarks/RESULTS.md``.

Example:
    python benchmarks/run_methods.py --methods bicubic,default,udaln --scales 4,8 \
        --out benchmarks/results/seed_methods_cpu.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Optional

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baselines import BASELINES, LR_HSI_ONLY, run_baseline  # noqa: E402
from benchmarks.hyperion_ali import write_hyperion_ali  # noqa: E402
from benchmarks.registration import Registration, measure  # noqa: E402
from benchmarks.scenes import BENCHMARK_RUNS, HARD_PSFS, SCENES, hard_pair, load_scene, paris_real_pair, wald_pair  # noqa: E402
from fusion_core import FusionRequest, fuse_arrays  # noqa: E402
from fusion_core.device import resolve_device  # noqa: E402
from fusion_core.estimation import estimate_degradation  # noqa: E402
from fusion_core.methods import CATALOG  # noqa: E402
from fusion_core.metrics import quality_metrics  # noqa: E402


def machine() -> str:
    """A short description of where the numbers were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{cpu}, {torch.get_num_threads()} threads{gpu}"


def run_one(method: str, preset: str, degradation: str, pair, device: torch.device, seed: int,
            registration: Optional[Registration] = None) -> dict:
    """Fuse one simulated pair; return metrics and timings.

    Catalog methods run as users run them, through :func:`fusion_core.pipeline.fuse_arrays`
    (the pipeline's normalisation, estimation, co-registration and windows), with the result on
    the HR-MSI's pixels. Baselines are given the model (estimated as the pipeline does when
    ``degradation`` is ``"estimated"``). With ``registration`` (the real pair, whose reference
    lies on Hyperion's geometry) every method is given it: a given model's PSF is moved to it and
    every result made from the HR-MSI is moved by it onto the LR-HSI's geometry
    (:mod:`benchmarks.registration`); all are scored on the rows and columns such a moved result
    covers (:func:`scored_window`).
    """
    t0 = time.perf_counter()
    given = None if degradation == "estimated" else pair.model
    if method in BASELINES:
        model = given or estimate_degradation(pair.lr_hsi, pair.hr_msi, pair.scale,
                                              hsi_wavelengths=pair.model.hsi_wavelengths)
        if registration is not None:
            model = registration.model(model)
        fused = run_baseline(method, torch.from_numpy(pair.lr_hsi).to(device),
                             torch.from_numpy(pair.hr_msi).to(device), model).detach().float().cpu().numpy()
    else:
        if registration is not None and given is not None:
            given = registration.model(given)
        request = FusionRequest(method=method, preset=preset, device=device.type, seed=seed)
        fused = fuse_arrays(request, pair.lr_hsi, pair.hr_msi, model=given,
                            wavelengths=pair.model.hsi_wavelengths).fused
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    if registration is not None and method not in LR_HSI_ONLY:
        fused = registration.array(fused)
    window = (slice(None), *scored_window(fused.shape[1:], registration))
    values = quality_metrics(pair.reference[window], fused[window], pair.scale)
    return {**{k: float(values[k]) for k in ("PSNR", "SAM", "ERGAS", "CC", "RMSE")}, "seconds": seconds}


def scored_window(shape: tuple[int, int], registration: Optional[Registration]) -> tuple[slice, slice]:
    """The rows and columns every method of a pair is scored on: all of them, or with
    ``registration`` those a result moved by it covers entirely (it has no value on the border it
    moved in from)."""
    ok = np.isfinite(registration.array(np.ones((1, *shape), np.float32))[0]) if registration \
        else np.ones(shape, dtype=bool)
    cols = np.flatnonzero(ok.mean(axis=0) > 0.5)       # not the border columns moved in from outside
    rows = np.flatnonzero(ok[:, cols].all(axis=1))
    cols = cols[ok[rows][:, cols].all(axis=0)]
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def real_registration() -> Registration:
    """The real pair's registration, measured once from its two inputs by the pipeline (the pair
    written as the GeoTIFFs of :func:`benchmarks.hyperion_ali.write_hyperion_ali`)."""
    with tempfile.TemporaryDirectory() as tmp:
        product = write_hyperion_ali(Path(tmp)).product
        return measure(product.lr_path, product.hr_path, Path(tmp) / "registration")


def pairs(protocol: str, scenes: list[str], scales: list[int]):
    """The simulated (or real) pairs of a protocol, one at a time."""
    if protocol == "real":
        yield paris_real_pair()
        return
    runs = [(name, scale) for name in scenes for scale in scales] if scenes else [
        (name, scale) for scale in scales for name in BENCHMARK_RUNS.get(scale, ())]
    for name, scale in runs:
        scene = load_scene(name)
        if protocol == "wald":
            yield wald_pair(scene, scale)
        else:
            for kind in HARD_PSFS:
                yield hard_pair(scene, scale, kind)


def _key(row: dict) -> tuple:
    """What a row measured: a re-run of the same configuration replaces the older row."""
    return (row.get("protocol", "wald"),
            *(row[k] for k in ("scene", "scale", "method", "preset", "degradation")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ids = [e.id for e in CATALOG]
    parser.add_argument("--methods", default=",".join(list(BASELINES) + ids),
                        help=f"comma-separated: {', '.join(list(BASELINES) + ids)}")
    parser.add_argument("--presets", default="fast")
    parser.add_argument("--protocol", default="wald", choices=("wald", "hard", "real"),
                        help="wald: the seeds' protocol; hard: PSFs larger than r, SRF +10 nm, "
                             "30 dB; real: Hyperion with the real ALI image")
    parser.add_argument("--scenes", default="",
                        help=f"comma-separated, of {', '.join(SCENES)} (default: the benchmark's "
                             "runs, BENCHMARK_RUNS in benchmarks/scenes.py)")
    parser.add_argument("--scales", default="4,8")
    parser.add_argument("--degradation", default="estimated", help="estimated, true, or both")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", required=True,
                        help="JSON file the rows are added to (a re-run replaces its own rows)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    out = Path(args.out)
    rows = json.loads(out.read_text()) if out.exists() else []
    degradations = ("estimated", "true") if args.degradation == "both" else (args.degradation,)
    stamp = {"date": date.today().isoformat(), "machine": machine(), "device": str(device)}
    scenes, scales = [s for s in args.scenes.split(",") if s], [int(v) for v in args.scales.split(",")]
    for pair in pairs(args.protocol, scenes, scales):
        registration = real_registration() if args.protocol == "real" else None
        for method in args.methods.split(","):
            presets = ("-",) if method in BASELINES else args.presets.split(",")
            degr = ("-",) if method == "bicubic" else degradations
            for preset in presets:
                for deg in degr:
                    result = run_one(method, preset, deg, pair, device, args.seed, registration)
                    row = {"scene": pair.name, "scale": pair.scale, "method": method, "preset": preset,
                           "degradation": deg, "protocol": args.protocol, **result, **stamp}
                    if registration is not None:
                        row["registration_hr_px"] = list(registration.shift_hr_px)
                    rows = [r for r in rows if _key(r) != _key(row)] + [row]
                    print(json.dumps(row), flush=True)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
