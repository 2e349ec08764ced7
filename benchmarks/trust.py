"""Does the quality report tell the truth? Its figures against the true error, where truth is known.

Every pair of the benchmark's protocol (``benchmarks/scenes.py``: Wald's protocol on the four
benchmark scenes at r = 3 and 4 — r = 8 leaves too few LR pixels to degrade once more — the
harder protocol with its anisotropic PSF at r = 4 on two of them, the real Hyperion/ALI
pair, and two AVIRIS Santa Barbara pairs at r = 4 that issue 28 names — the coastal-urban scene
with the anisotropic PSF, Sentinel-2A bands and 35 dB, and the motion PSF with Landsat 8 OLI
B1–B7 and 30 dB, protocol ``aviris``) is fused blindly through
:func:`fusion_core.pipeline.fuse_arrays` with a report, by SSCF, the ridge and GLP-HS baselines
and bicubic interpolation, and on two Wald pairs at r = 4 also by UAO (fast preset: the deep
method that fits a busy 2-core CPU's time), exactly as users run it. The report's figures
(reduced-resolution PSNR/SAM/ERGAS, consistency in noise units, HQNR) are set against the true
error of the result against the reference: Spearman rank correlation over all runs, and within
each pair (does the report rank the methods as the truth does?).

Planted changes: a 24×24 HR-pixel patch of the HR-MSI is replaced by the same sensor's view of
another scene (Jasper Ridge ← EnMAP Potsdam, Sentinel-2A bands; Pavia Centre ← SAMSON through
Pavia's WorldView-2 bands), clean and at 35 dB; the agreement mask of the report (AGREEMENT) is compared with the
patch: hit rate (patch pixels flagged) and false alarms (flagged pixels farther than two LR
pixels from the patch, as a share of those pixels); the same pair without the patch gives the
false alarms of a consistent pair.

Usage (one BLAS thread: on a busy 2-core machine numpy's OpenBLAS threads spin-wait for each
other and small eigen-decompositions take 50 ms instead of microseconds)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.trust [--threads 2]

Rows are kept in ``benchmarks/results/trust.json`` (a re-run skips rows already there; ``--fresh``
starts over); ``TRUST.md`` and ``TRUST.png`` are written from them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import torch
from scipy.stats import spearmanr

from benchmarks.baselines import BASELINES, run_baseline
from benchmarks.run_methods import machine
from benchmarks.scenes import (
    BENCHMARK_RUNS,
    HARD_PSFS,
    SimulatedScene,
    hard_pair,
    load_scene,
    paris_real_pair,
    sampled_srf,
    wald_pair,
)
from fusion_core import FusionRequest, fuse_arrays
from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.methods.base import FusionMethod
from fusion_core.metrics import psnr, quality_metrics
from fusion_core.spectral import hsi_noise_std

HERE = Path(__file__).resolve().parent
ROWS = HERE / "results" / "trust.json"
METHODS = ("sscf", "glp_hs", "ridge", "bicubic", "uao")
#: Runs of the deep method (protocol, scene, ratio): what a 2-core CPU shared with other work allowed.
DEEP_RUNS = {("wald", "jasper_ridge", 4), ("wald", "pavia_centre", 4)}
SCALES = (3, 4)
#: The harder protocol's PSF used (anisotropic Gaussian larger than r, SRF +10 nm, 30 dB), and on which scenes.
HARD_KIND = "aniso"
HARD_SCENES = ("jasper_ridge", "pavia_centre")
#: Scene pairs whose HR-MSIs share one sensor's bands, and the patch (HR rows/cols) planted.
SWAPS = (("jasper_ridge", "enmap_potsdam"), ("pavia_centre", "samson"))
PATCH = 24
#: HR pixels around the patch where a flag is no false alarm: two LR pixels (the PSF's reach
#: plus the map's 3×3 smoothing).
RING = 8
PATCH_AT = ((20, 36),)
#: The AVIRIS pairs of issue 28 (Santa Barbara, water bands dropped, r = 4): label, PSF kind of
#: :data:`~benchmarks.scenes.HARD_PSFS`, MSI sensor (SRF table, bands), SNR in dB.
AVIRIS_CASES = (("aniso PSF, Sentinel-2A, 35 dB", "aniso", None, 35.0),
                ("motion PSF, Landsat 8 OLI, 30 dB", "motion",
                 ("srf_landsat8_oli.csv", ("B1", "B2", "B3", "B4", "B5", "B6", "B7")), 30.0))


class Baseline(FusionMethod):
    """A classical baseline of :mod:`benchmarks.baselines` as a fusion method for ``fuse_arrays``."""

    summary = "benchmark baseline"

    def __init__(self, name: str):
        self.name = name  # its label: the name (not in the catalog)

    def fuse(self, lr_hsi, hr_msi, model, config, progress):
        return run_baseline(self.name, lr_hsi.double(), hr_msi.double(), model).float()


def _method(name: str) -> Optional[FusionMethod]:
    return Baseline(name) if name in BASELINES else None  # None: a catalog method


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def pairs() -> Iterator[tuple[str, SimulatedScene]]:
    """``(protocol, pair)`` of every run."""
    for name in BENCHMARK_RUNS[4]:
        scene = load_scene(name)
        for scale in SCALES:
            yield "wald", wald_pair(scene, scale)
        if name in HARD_SCENES:
            yield "hard", hard_pair(scene, 4, HARD_KIND)
    yield "real", paris_real_pair()
    yield from aviris_pairs()


def aviris_pairs() -> Iterator[tuple[str, SimulatedScene]]:
    """``("aviris", pair)`` of each case of :data:`AVIRIS_CASES`."""
    base = load_scene("aviris_santa_barbara")
    for label, psf, sensor, snr in AVIRIS_CASES:
        scene = base if sensor is None else replace(base, spec=replace(base.spec, srf_csv=sensor[0],
                                                                         msi_bands=sensor[1]))
        pair = wald_pair(scene, 4, psf=HARD_PSFS[psf](4), srf=sampled_srf(scene)[0], snr_db=snr)
        yield "aviris", replace(pair, name=f"{base.name} ({label})")


def _fuse(pair: SimulatedScene, method: str, folder: Path, **outputs) -> tuple[dict, np.ndarray]:
    """Fuse ``pair`` blindly with a report; returns the report's JSON and the result."""
    request = FusionRequest(method="sscf" if method in BASELINES else method, seed=0,
                            report=str(folder / "report.html"), **outputs)
    result = fuse_arrays(request, pair.lr_hsi, pair.hr_msi, method=_method(method),
                         wavelengths=pair.model.hsi_wavelengths)
    facts = json.loads((folder / "report.json").read_text())
    return facts, result.fused


def accuracy_row(protocol: str, pair: SimulatedScene, method: str) -> dict:
    """True error and report figures of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        facts, fused = _fuse(pair, method, Path(tmp))
    truth = quality_metrics(pair.reference, fused, pair.scale)
    reduced = facts["reduced_resolution"]
    c = facts["consistency"]
    if protocol == "real":       # a measured reference: its own noise is no error of the result
        noise_var = hsi_noise_std(torch.from_numpy(pair.reference.astype(np.float64))).numpy() ** 2
        truth["PSNR less the reference's noise"] = psnr(pair.reference, fused, noise_var)
    return {"protocol": protocol, "scene": pair.name, "scale": pair.scale, "method": method,
            "true": {k: truth[k] for k in ("PSNR", "SAM", "ERGAS", "RMSE", "PSNR less the reference's noise")
                     if k in truth},
            "reduced": {k: reduced.get(k) for k in ("PSNR", "SAM", "ERGAS", "from_hsi_share", "fit_correction_db")},
            "spatial_units": c["spatial"]["noise_units_median"],
            "spectral_units": c["spectral"]["noise_units_median"],
            "inputs_units": c["inputs"]["noise_units_median"],
            "HQNR": facts["hqnr"]["HQNR"], "D_lambda": facts["hqnr"]["D_lambda"], "D_s": facts["hqnr"]["D_s"],
            "warnings": len(facts["warnings"]), "seconds": facts["run"]["seconds"],
            "report_seconds": facts["run"]["report_seconds"]}


def _disagreement(pair: SimulatedScene) -> tuple[np.ndarray, dict]:
    """The agreement mask of ``pair``'s report as a disagreement mask ``(H, W)``, and its facts."""
    with tempfile.TemporaryDirectory() as tmp:
        mask_path = Path(tmp) / "agreement.tif"
        facts, _ = _fuse(pair, "sscf", Path(tmp), agreement_mask=str(mask_path))
        summary = {k: facts["disagreement"][k] for k in ("threshold", "areas", "share")}
        return read_raster(mask_path).data[0] == 0, summary


def swap_pairs() -> Iterator[tuple[str, Optional[float], SimulatedScene, SimulatedScene]]:
    """``(donor, SNR, pair, other)`` for each scene of :data:`SWAPS` without noise and at
    35 dB: the scene's Wald pair, and the donor's seen through the scene's sensors (where
    planted changes are cut from)."""
    for target, donor in SWAPS:
        for snr in (None, 35.0):
            scene = load_scene(target)
            base = wald_pair(scene, 4, snr_db=snr)
            seen_alike = replace(load_scene(donor), spec=scene.spec)      # through the target's sensor
            yield donor, snr, base, wald_pair(seen_alike, 4, srf=sampled_srf(seen_alike)[0],
                                              snr_db=snr, seed=1)


def planted_pairs() -> Iterator[tuple[dict, SimulatedScene, Optional[np.ndarray]]]:
    """``(row, pair, patch)`` of each planted-change case: the scene, donor, SNR and patch
    position as a row, the pair (reference: the scene the LR-HSI sees), and the ``(H, W)``
    mask of the planted patch (None for the same pair without a patch)."""
    for donor, snr, base, other in swap_pairs():
        row = {"scene": base.name, "donor": None, "snr_db": snr, "patch": None, "case": "clean"}
        yield row, base, None
        for top, left in PATCH_AT:
            planted = base.hr_msi.copy()
            planted[:, top:top + PATCH, left:left + PATCH] = other.hr_msi[:, top:top + PATCH, left:left + PATCH]
            patch = np.zeros(planted.shape[1:], bool)
            patch[top:top + PATCH, left:left + PATCH] = True
            yield ({**row, "donor": donor, "patch": [top, left], "case": "planted"},
                   SimulatedScene(base.name, 4, base.reference, base.lr_hsi, planted, base.model), patch)


def planted_rows(done: set) -> Iterator[dict]:
    """Hit rate and false alarms of the agreement mask on pairs with a planted change (and the
    false alarms of the same pair without it); rows whose key is in ``done`` are not run again.
    A pair the blind estimation refuses (the change makes an MSI band unexplainable) is a row too."""
    for row, pair, patch in planted_pairs():
        if _key(row) in done:
            continue
        try:
            found, facts = _disagreement(pair)
        except InputError as exc:
            yield {**row, "refused": str(exc)}
            continue
        row.update(facts, false_alarm=float(found.mean()), hit=None)
        if patch is not None:
            top, left = row["patch"]
            near = np.zeros_like(found)
            near[max(top - RING, 0):top + PATCH + RING, max(left - RING, 0):left + PATCH + RING] = True
            row.update(hit=float(found[patch].mean()), false_alarm=float(found[~near].mean()))
        yield row


def _key(row: dict) -> tuple:
    return tuple(str(row.get(k)) for k in ("protocol", "scene", "scale", "method", "donor", "snr_db", "patch", "case"))


def _rho(rows: list[dict], x, y) -> float:
    a = [x(r) for r in rows]
    b = [y(r) for r in rows]
    keep = [i for i in range(len(a)) if a[i] is not None and b[i] is not None]
    return float(spearmanr([a[i] for i in keep], [b[i] for i in keep]).correlation) if len(keep) > 2 else float("nan")


def _within(rows: list[dict], x, y) -> float:
    """Mean over pairs of the Spearman correlation across methods."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["protocol"], row["scene"], row["scale"]), []).append(row)
    values = [_rho(g, x, y) for g in groups.values() if len(g) > 2]
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


#: (report figure, true error, how a better result moves the figure) compared in TRUST.md.
COMPARED = (
    ("reduced-resolution PSNR", lambda r: r["reduced"]["PSNR"], "true PSNR", lambda r: r["true"]["PSNR"]),
    ("reduced-resolution SAM", lambda r: r["reduced"]["SAM"], "true SAM", lambda r: r["true"]["SAM"]),
    ("reduced-resolution ERGAS", lambda r: r["reduced"]["ERGAS"], "true ERGAS", lambda r: r["true"]["ERGAS"]),
    ("HQNR", lambda r: r["HQNR"], "true PSNR", lambda r: r["true"]["PSNR"]),
    ("D_S (HQNR's spatial distortion)", lambda r: r["D_s"], "true ERGAS", lambda r: r["true"]["ERGAS"]),
    ("consistency vs HR-MSI (noise units; a check, not shown as a figure)", lambda r: r["spectral_units"],
     "true RMSE", lambda r: r["true"]["RMSE"]),
    ("consistency vs LR-HSI (noise units)", lambda r: r["spatial_units"], "true RMSE", lambda r: r["true"]["RMSE"]),
)


def _scatter(rows: list[dict], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    for ax, (label, x, truth, y) in zip(axes, (COMPARED[0], COMPARED[3], COMPARED[5])):
        for i, method in enumerate(METHODS):
            chosen = [r for r in rows if r["method"] == method and x(r) is not None]
            ax.scatter([x(r) for r in chosen], [y(r) for r in chosen], s=14, color=f"C{i}", label=method)
        ax.set_xlabel(f"report: {label}")
        ax.set_ylabel(truth)
        if "consistency" in label:
            ax.set_xscale("log"), ax.set_yscale("log")
    axes[0].plot(*[[15, 60]] * 2, color="0.6", lw=0.8, ls="--")
    axes[0].legend(fontsize=8)
    fig.savefig(path)


def _report_time(row: dict) -> float:
    """Seconds the report took (rows of earlier versions kept the total under ``seconds``)."""
    parts = row.get("report_seconds")
    return sum(parts.values()) if parts else row["seconds"]["report"]


def render(rows: list[dict], planted: list[dict], stamp: str) -> str:
    """TRUST.md from the rows."""
    sscf = [r for r in rows if r["method"] == "sscf"]
    ratio = [_report_time(r) / (r["seconds"].get("estimation", 0) + r["seconds"]["fusion"]) for r in sscf]
    lines = [
        "# Does the quality report tell the truth?", "",
        f"{stamp}. Command: `OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.trust --threads 2` "
        "(protocol and definitions: its docstring). Every run is blind, through `fuse_arrays` with a "
        f"report, as users run it: {len(rows)} runs = {len({_key(r)[:3] for r in rows})} pairs × "
        f"{len(METHODS)} methods ({', '.join(METHODS)}).", "",
        "## The report's figures against the true error", "",
        "Spearman rank correlation: *over all runs* (scenes and methods pooled), and *within a pair* "
        "(methods ranked on one scene, averaged over pairs: does the report pick the better "
        "method?). A perfect indicator of quality scores +1 for a figure that grows with the true "
        "figure (−1 when one grows as the other falls).", "",
        "| report figure | true error | ρ over all runs | ρ within a pair (mean) "
        "| ρ within a pair, fusion methods only |",
        "|---|---|---|---|---|"]
    fusion = [r for r in rows if r["method"] != "bicubic"]
    for label, x, truth, y in COMPARED:
        lines.append(f"| {label} | {truth} | {_rho(rows, x, y):+.2f} | {_within(rows, x, y):+.2f} | "
                     f"{_within(fusion, x, y):+.2f} |")
    reduced = [r for r in rows if r["reduced"]["PSNR"] is not None]
    lines.append("")
    fusion_reduced = [r for r in reduced if r["method"] != "bicubic"]
    for label, chosen in (("all runs", reduced), ("fusion methods (bicubic left out)", fusion_reduced),
                          ("fusion methods, the pairs before issue 28's AVIRIS pairs",
                           [r for r in fusion_reduced if r["protocol"] != "aviris"]),
                          ("fusion methods, issue 28's AVIRIS pairs",
                           [r for r in fusion_reduced if r["protocol"] == "aviris"])):
        if not chosen:
            continue
        gap = np.array([r["reduced"]["PSNR"] - r["true"]["PSNR"] for r in chosen])
        lines.append(f"Reduced-resolution PSNR minus true PSNR, {label}: mean {gap.mean():+.2f} dB, "
                     f"median {np.median(gap):+.2f} dB, mean absolute {np.abs(gap).mean():.2f} dB over "
                     f"{gap.size} runs.  ")
    clean = "PSNR less the reference's noise"
    real = [r for r in reduced if clean in r["true"]]
    if real:
        gap = np.array([r["reduced"]["PSNR"] - r["true"][clean] for r in real])
        lines.append(f"On the real pair the reference is itself a measurement (Hyperion at 30 m, its "
                     f"noise measured as the report measures the LR-HSI's): against it less its own noise, "
                     f"the reduced-resolution PSNR is off by {', '.join(f'{g:+.2f}' for g in gap)} dB "
                     f"({', '.join(r['method'] for r in real)}).  ")
        fusion_rows = [r for r in reduced if r["method"] != "bicubic"]
        both = np.array([r["reduced"]["PSNR"] - r["true"].get(clean, r["true"]["PSNR"]) for r in fusion_rows])
        lines.append(f"Fusion methods, the real pair's truth less its reference's noise: mean absolute "
                     f"{np.abs(both).mean():.2f} dB over {both.size} runs.  ")
    lines += [f"{len(rows) - len(reduced)} runs skipped the check (pair too small).", "",
              "![scatter of report figures against the truth](TRUST.png)", "",
              "| protocol | scene | r | method | true PSNR | reduced PSNR | HQNR | vs HR-MSI (units) "
              "| vs LR-HSI (units) | warnings |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        red = r["reduced"]["PSNR"]
        lines.append(f"| {r['protocol']} | {r['scene']} | {r['scale']} | {r['method']} | {r['true']['PSNR']:.2f} | "
                     f"{'–' if red is None else f'{red:.2f}'} | {r['HQNR']:.4f} | {r['spectral_units']:.2f} | "
                     f"{r['spatial_units']:.2f} | {r['warnings']} |")
    lines += ["", "## Cost of the report (default method)", "",
              f"Report time over the fusion's own time (blind estimation + fusion) for SSCF: median "
              f"{100 * np.median(ratio):.0f} %, range {100 * min(ratio):.0f}–{100 * max(ratio):.0f} % "
              "on these small scenes (at most 100×100 HR pixels), where fixed costs dominate "
              "(see `benchmarks/REPORT_COST.md` "
              "for larger scenes).", "",
              "## Planted changes: the disagreement map", "",
              "Fusing those areas from the LR-HSI alone (DISAGREEMENT_FROM_HSI): what it buys inside "
              "the patch and costs around it in `benchmarks/FALLBACK.md`.", "",
              "| scene | patch from | SNR | patch at (row, col) | hit rate | false alarms (planted) "
              "| false alarms (clean) | threshold (units) |",
              "|---|---|---|---|---|---|---|---|"]
    for row in (p for p in planted if p["case"] == "planted"):
        clean = next(p for p in planted if p["case"] == "clean" and p["scene"] == row["scene"]
                     and p["snr_db"] == row["snr_db"])
        head = f"| {row['scene']} | {row['donor']} | {row['snr_db'] or 'clean'} | {tuple(row['patch'])} | "
        if "refused" in row:
            lines.append(head + f"refused by the blind estimation: {row['refused']} | | | |")
            continue
        lines.append(head + f"{100 * row['hit']:.0f} % | {100 * row['false_alarm']:.1f} % | "
                     f"{100 * clean['false_alarm']:.1f} % | {row['threshold']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--fresh", action="store_true", help="forget the rows of earlier runs")
    parser.add_argument("--out", default=str(HERE / "TRUST.md"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [] if args.fresh or not ROWS.exists() else json.loads(ROWS.read_text())
    done = {_key(r) for r in rows}

    def keep(row: dict) -> None:
        rows.append(row)
        ROWS.parent.mkdir(parents=True, exist_ok=True)
        ROWS.write_text(json.dumps(rows, indent=1))
        print(json.dumps(row), flush=True)

    for protocol, pair in pairs():
        for method in METHODS:
            if method == "uao" and (protocol, pair.name, pair.scale) not in DEEP_RUNS:
                continue
            probe = {"protocol": protocol, "scene": pair.name, "scale": pair.scale, "method": method}
            if _key(probe) not in done:
                keep(accuracy_row(protocol, pair, method))
    for row in planted_rows(done):
        keep(row)
    accuracy = [r for r in rows if "case" not in r]
    planted = [r for r in rows if "case" in r]
    stamp = f"Measured {date.today().isoformat()} on {machine()}, commit `{_commit()}`"
    _scatter(accuracy, Path(args.out).with_suffix(".png"))
    Path(args.out).write_text(render(accuracy, planted, stamp), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
