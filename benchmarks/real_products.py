"""The plugin on product-like pairs, with default parameters, scored → ``REAL_PRODUCTS.md``.

For every real scene and every variant of :data:`benchmarks.products.VARIANTS`, the pair is
written as the archives deliver it and fused by the pipeline's public file-level entry point
with default parameters (:func:`run_plugin`, the one place the plugin is called). Beside it:
bicubic (the LR-HSI warped onto the HR-MSI's pixels by GDAL, cubic) and the ridge map given the
true PSF (:func:`ridge_true`), both given the registration the pipeline measures from the two
inputs (:mod:`benchmarks.registration`), as the default is. Each is scored (PSNR, SAM, ERGAS of
:mod:`fusion_core.metrics`) on the product's valid area against the truth on the HR-MSI's pixel
grid. A refused run is reported with its message. Then the real Hyperion + ALI pair
(:mod:`benchmarks.hyperion_ali`), every method registered alike onto Hyperion's geometry and
scored by its geotransform, next to the independent methods of ``../shared/docs/PEERS.md``.

Run: ``.venv/bin/python -m benchmarks.real_products [--shared ../shared/data]`` (about 15 minutes
on a busy 2-core CPU; ``--scenes``/``--variants`` for a subset, printed instead of written).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from benchmarks.hyperion_ali import write_hyperion_ali
from benchmarks.product_geometry import degrade_blocks, read_physical, warp
from benchmarks.products import SITES, VARIANTS, Product, ProductOptions, make_product, truth_at
from benchmarks.real_products_report import render
from benchmarks.registration import Registration, measure, moved_psf
from benchmarks.run_methods import machine
from benchmarks.scenes import SHARED, load_scene
from fusion_core.errors import FusionError
from fusion_core.io import RasterGrid
from fusion_core.metrics import ergas, psnr, sam
from fusion_core.progress import Progress
from fusion_core.spectral import fit_ridge_map

HERE = Path(__file__).resolve().parent
SCENES = ("jasper_ridge", "aviris_santa_barbara", "enmap_potsdam")


@dataclass
class Outcome:
    """One plugin run: the output, or the message it was refused (or crashed) with."""

    output: Optional[Path]
    refused: str = ""
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)


def run_plugin(lr: Path, hr: Path, out: Path, geometry: Optional[str] = None) -> Outcome:
    """Fuse ``lr`` and ``hr`` into ``out`` with default parameters, through the pipeline's public
    file-level entry point; ``geometry`` (``"hsi"``/``"msi"``) asks for the result on that
    sensor's geometry. The only call of the plugin in the benchmark: port it here."""
    from fusion_core import FusionRequest, fuse_files

    log: list[str] = []
    t0 = time.perf_counter()
    try:
        request = FusionRequest(lr_hsi=str(lr), hr_msi=str(hr), output=str(out))
        if geometry is not None:
            request = request.with_(geometry=geometry)
        fuse_files(request, Progress(log=log.append))
    except FusionError as exc:
        return Outcome(None, f"refused: {exc}", time.perf_counter() - t0, log)
    except Exception as exc:  # a crash is a finding of the benchmark, reported like a refusal
        return Outcome(None, f"crashed: {type(exc).__name__}: {exc}", time.perf_counter() - t0, log)
    return Outcome(out, "", time.perf_counter() - t0, log)


def _aligned(a: RasterGrid, b: RasterGrid) -> bool:
    """Same CRS and pixel size, origins a whole number of pixels apart."""
    ta, tb = a.transform, b.transform
    if a.crs != b.crs or not np.allclose((ta.a, ta.e, ta.b, ta.d), (tb.a, tb.e, tb.b, tb.d)):
        return False
    steps = ((tb.c - ta.c) / ta.a, (tb.f - ta.f) / ta.e)
    return all(abs(s - round(s)) < 1e-6 for s in steps)


def _same_grid(a: RasterGrid, b: RasterGrid) -> bool:
    """Aligned, same origin and size."""
    return (_aligned(a, b) and (a.width, a.height) == (b.width, b.height)
            and np.allclose((a.transform.c, a.transform.f), (b.transform.c, b.transform.f)))


def on_grid(path: Path, grid: RasterGrid) -> tuple[np.ndarray, str]:
    """A result in physical units on ``grid`` (NaN where it has none): pasted when its pixels
    are ``grid``'s, else warped (cubic), which the returned note says."""
    data, own = read_physical(str(path))
    if _aligned(own, grid):
        return warp(data, own, grid, "nearest"), ""
    return warp(data, own, grid, "cubic"), "output not on the HR-MSI's pixel grid: warped (cubic) to score"


def bicubic(product: Product, grid: RasterGrid) -> np.ndarray:
    """The LR-HSI warped by GDAL (cubic) onto ``grid``, as the georeferencings say (a registered
    grid of the HR-MSI's pixels: :meth:`Registration.grid`)."""
    return warp(*read_physical(str(product.lr_path)), grid, "cubic")


def ridge_true(product: Product, registration: Optional[Registration] = None) -> np.ndarray:
    """The ridge map from the PSF-degraded HR-MSI to the LR-HSI (fitted on the LR pixels valid in
    both), given the true PSF centred where the LR pixels lie, applied to the HR-MSI: on the
    HR-MSI's pixels. Without ``registration`` the LR pixels lie where they truly do (the
    simulation's nesting); with it, where the two georeferencings moved by the measured shift
    put them (:meth:`Registration.lr_origin`), as the pipeline pairs them. An LR-HSI delivered
    on another grid is first warped back (GDAL, cubic) onto the one it was simulated on."""
    msi, msi_grid = read_physical(str(product.hr_path))
    lr, lr_grid = read_physical(str(product.lr_path))
    if not _same_grid(lr_grid, product.lr_grid):
        lr, lr_grid = warp(lr, lr_grid, product.lr_grid, "cubic"), product.lr_grid
    origin, psf = product.lr_block_origin, product.psf
    if registration is not None:
        row, col = registration.lr_origin(lr_grid, msi_grid)
        origin = (math.floor(row), math.floor(col))
        psf = moved_psf(psf, product.scale, (row - origin[0], col - origin[1]))
    lr_msi = degrade_blocks(msi.astype(np.float64), origin, lr.shape[1:], psf, product.scale)
    ok = np.isfinite(lr).all(0) & np.isfinite(lr_msi).all(0)
    fit = fit_ridge_map(torch.from_numpy(lr_msi[:, ok][:, None]),
                        torch.from_numpy(lr[:, ok][:, None].astype(np.float64)))
    return fit(torch.from_numpy(msi.astype(np.float64))).numpy()


def score(truth: np.ndarray, estimate: np.ndarray, mask: np.ndarray, scale: int) -> dict:
    """PSNR, SAM, ERGAS on the pixels of ``mask`` the estimate covers, and that share."""
    ok = mask & np.isfinite(estimate).all(0)
    if not ok.any():
        return {"note": "covers none of the valid area"}
    ref, est = truth[:, ok][:, None], estimate[:, ok][:, None]
    return {"PSNR": psnr(ref, est), "SAM": sam(ref, est), "ERGAS": ergas(ref, est, scale),
            "covered": float(ok.sum() / mask.sum())}


def evaluate(product: Product, folder: Path,
             control: Optional[tuple[Product, np.ndarray]] = None) -> tuple[dict, Optional[np.ndarray]]:
    """The default method, bicubic and the true-PSF ridge on one product, scored on the HR-MSI's
    grid (the truth's); and the default method's result there (None when refused). All three
    are given the one registration :func:`measure` finds from the two inputs: the default finds
    it itself, bicubic is warped onto the HR-MSI's pixels where they lie on the LR-HSI's
    geometry, the ridge pairs the LR pixels where the registration puts them.

    ``control`` (the tidy pair and its result) is scored too on this product's valid area when
    both share one pixel frame, so a variant is compared with the tidy pair on the same pixels.
    """
    truth, grid = read_physical(str(product.truth_path))
    mask, r = product.score_mask, product.scale
    registration = measure(product.lr_path, product.hr_path, folder / f"{product.variant}_registration")
    outcome = run_plugin(product.lr_path, product.hr_path, folder / f"{product.variant}_fused.tif")
    row = {"variant": product.variant, "lr_nodata_share": product.lr_nodata_share,
           "scored_share": float(mask.mean()), "seconds": outcome.seconds, "log": outcome.log,
           "registration_hr_px": list(registration.shift_hr_px),
           "bicubic": score(truth, bicubic(product, registration.grid(grid)), mask, r),
           "ridge": score(truth, ridge_true(product, registration), mask, r)}
    if control is not None and (control[0].score_mask.shape, control[0].lr_block_origin) == \
            (mask.shape, product.lr_block_origin):
        row["control"] = score(truth, control[1], mask, r)
    if outcome.output is None:
        row["default"] = {"note": outcome.refused.replace(f"{folder}/", "")}
        return row, None
    fused, note = on_grid(outcome.output, grid)
    row["default"] = dict(score(truth, fused, mask, r), **({"grid_note": note} if note else {}))
    return row, fused


def evaluate_hyperion_ali(folder: Path, shared: Path) -> dict:
    """The real pair, every method given the one registration :func:`measure` finds from the two
    inputs: the default run's output (on ALI's pixels), the true-PSF ridge (its PSF moved to the
    shift) georeferenced by it on Hyperion's geometry; bicubic on Hyperion's geometry already.
    Each is warped by its geotransform onto the reference's grid (Hyperion's) and scored on the
    whole frame and the interior; the run asking for GEOMETRY=hsi is scored by its own
    geotransform, which must be the registration's (``same_grid``)."""
    geo = write_hyperion_ali(folder, shared)
    p = geo.product
    registration = measure(p.lr_path, p.hr_path, folder / "registration")
    truth, grid = read_physical(str(p.truth_path))
    msi_grid = read_physical(str(p.hr_path))[1]
    refs = {"hsi_full": (truth, geo.full_frame), "hsi": (truth, p.score_mask)}
    rows: dict = {}
    estimates: dict = {"bicubic": bicubic(p, grid),
                       "ridge, true PSF": warp(ridge_true(p, registration), registration.grid(msi_grid), grid, "cubic")}
    same_grid = False
    for name, geometry in (("default (SSCF, blind)", "msi"), ("default, GEOMETRY=hsi as written", "hsi")):
        outcome = run_plugin(p.lr_path, p.hr_path, folder / f"paris_fused_{geometry}.tif", geometry)
        if outcome.output is None:
            rows[name] = {"note": outcome.refused.replace(f"{folder}/", "")}
            continue
        data, own = read_physical(str(outcome.output))
        if geometry == "hsi":
            same_grid = own.crs == grid.crs and np.allclose(own.transform, registration.grid(msi_grid).transform)
        estimates[name] = warp(data, registration.grid(own) if geometry == "msi" else own, grid, "cubic")
        rows[name] = {"log": [line for line in outcome.log if "misregistration" in line.lower()]}
    for name, estimate in estimates.items():
        rows[name] = dict(rows.get(name, {}), **{k: score(ref, estimate, m, p.scale) for k, (ref, m) in refs.items()})
    bound = linear_bound(truth, warp(read_physical(str(p.hr_path))[0], registration.grid(msi_grid), grid, "cubic"))
    return {"registration_hr_px": list(registration.shift_hr_px), "same_grid": same_grid,
            "linear_bound": {k: score(ref, bound, m, p.scale) for k, (ref, m) in refs.items()},
            "reference_shift_px": list(geo.shift_px), "misfit_before": geo.misfit_before,
            "misfit_after": geo.misfit_after, "border": geo.border, "rows": rows}


def linear_bound(truth: np.ndarray, msi: np.ndarray) -> np.ndarray:
    """Not a method (it reads the reference): the best linear map from the HR-MSI, registered
    onto the reference's grid, to the reference, fitted on the reference's own pixels: what any
    result made by a spectral map of the HR-MSI's detail can reach on this pair."""
    ok = np.isfinite(msi).all(0) & np.isfinite(truth).all(0)
    fit = fit_ridge_map(torch.from_numpy(msi[:, ok][:, None].astype(np.float64)),
                        torch.from_numpy(truth[:, ok][:, None].astype(np.float64)))
    return np.where(ok, fit(torch.from_numpy(np.nan_to_num(msi).astype(np.float64))).numpy(), np.nan)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the real scenes")
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--work", type=Path, help="keep the products here (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=HERE / "REAL_PRODUCTS.md")
    args = parser.parse_args(argv)
    scenes, variants = [n for n in args.scenes.split(",") if n], args.variants.split(",")
    full = scenes == list(SCENES) and variants == list(VARIANTS)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        results: dict = {"scenes": {}}
        for name in scenes:
            scene = load_scene(name, args.shared, reflectance=True)
            truth = truth_at(name, scene.cube, scene.wavelengths, scene.fwhm, *SITES[name])
            rows, control = [], None
            for variant in variants:
                product = make_product(truth, variant, work / name)
                row, fused = evaluate(product, work / name, control)
                if product.options == ProductOptions() and fused is not None:
                    control = (product, fused)
                rows.append(row)
                print(f"{name} {variant}: {row['default']}", file=sys.stderr, flush=True)
            results["scenes"][name] = {"shape": list(truth.cube.shape), "rows": rows}
        results["hyperion_ali"] = evaluate_hyperion_ali(work / "hyperion_ali", args.shared)
    results.update(_stamp())
    text = render(results, args.shared.parent / "docs" / "PEERS.md")
    if not full:
        print(text)
        return 0
    (HERE / "results" / "real_products_cpu.json").write_text(json.dumps(results, indent=1, default=float))
    args.out.write_text(text, encoding="utf-8")
    return 0


def _stamp() -> dict:
    """Date, machine and commit of this run."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "fusion_core", "benchmarks"], cwd=HERE,
                           capture_output=True, text=True).stdout.strip()
    return {"date": date.today().isoformat(), "machine": machine(),
            "commit": commit + (" (with uncommitted changes)" if dirty else "")}


if __name__ == "__main__":
    sys.exit(main())
