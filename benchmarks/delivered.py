"""The plugin on products as delivered, with default parameters, scored → ``DELIVERED.md``.

Each real scene of ``../shared/data`` is the truth on a 10 m UTM grid. From it a script writes
what the archives deliver: an EnMAP L2A delivery (ZIP, METADATA.XML, int16 reflectance, QL
masks), a PRISMA L2D HE5, and a Sentinel-2 L2A SAFE (JP2 at 10 and 20 m, BOA offset, SCL) — the
LR-HSI seen through a Gaussian PSF at 30 m with 40 dB noise, the HR-MSI through Sentinel-2A's
SRF at its bands' own resolutions with 45 dB noise. Clouds are planted in one image at a time:
one in the HR-MSI only (flagged in SCL), one in the LR-HSI only (flagged in QL_QUALITY_CLOUD),
at different places; a last variant leaves the HR-MSI's cloud unflagged, for the disagreement
scan to find.

Every product form is given to the plugin as a user has it (the ZIP, the folder, the metadata
file, a GDAL subdataset string) and fused with default parameters through the file-level entry
point the CLI and QGIS call (:func:`benchmarks.real_products.run_plugin`). Scored per region
against the truth: *clear*, *under the HR-MSI's cloud* (the LR-HSI sees the ground there), and
*under the LR-HSI's cloud* (the output must be nodata: its covered share is reported). Beside
it, on the same inputs as read by the plugin: bicubic (the LR-HSI warped onto the HR-MSI's
grid) and the ridge map given the true PSF with all ten bands (20 m bands repeated 2×2).

Run: ``.venv/bin/python -m benchmarks.delivered [--shared ../shared/data]`` (``--scenes`` and
``--forms`` for a subset, printed instead of written).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from affine import Affine
from scipy import ndimage

from benchmarks.product_geometry import degrade_blocks, true_psf, warp
from benchmarks.products import S2_10M, S2_20M, SITES, Truth, truth_at
from benchmarks.real_products import _stamp, run_plugin, score
from benchmarks.scenes import SHARED, load_scene
from fusion_core.degradation import add_noise
from fusion_core.io import RasterGrid, read_raster
from fusion_core.products import open_input
from fusion_core.spectral import fit_ridge_map
from fusion_core.srf import load_preset
from fusion_core.srf.resample import resample_srf

HERE = Path(__file__).resolve().parent
SCENES = ("enmap_potsdam", "jasper_ridge", "aviris_santa_barbara")
SCALE = 3
LR_ACQUIRED, MSI_ACQUIRED = "2022-07-24T10:31:05Z", "2022-07-25T10:20:31Z"
#: Reflectance of a cloud top (flat), and its texture.
CLOUD, CLOUD_TEXTURE = 0.55, 0.05


@dataclass
class Scene:
    """One truth and the images simulated from it, with where the clouds are."""

    truth: np.ndarray                 # (C, H, W) on the HR-MSI's pixels
    wavelengths: np.ndarray
    fwhm: Optional[np.ndarray]
    lr: np.ndarray                    # (C, h, w) reflectance, clouds planted
    msi: dict[str, np.ndarray]        # band → reflectance at its own resolution
    lr_grid: RasterGrid
    msi_grid: RasterGrid
    lr_cloud: np.ndarray              # (h, w) flagged in QL_QUALITY_CLOUD
    msi_cloud: np.ndarray             # (H, W) where the HR-MSI sees a cloud
    scl: np.ndarray                   # (H/2, W/2) SCL classes, the cloud flagged
    psf: np.ndarray


def _disk(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (rows + 0.5 - centre[0]) ** 2 + (cols + 0.5 - centre[1]) ** 2 <= radius ** 2


def _clouded(image: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    texture = ndimage.gaussian_filter(rng.standard_normal(where.shape), 2.0)
    top = CLOUD + CLOUD_TEXTURE * texture / (np.abs(texture).max() or 1.0)
    return np.where(where[None], top[None], image)


def simulate(truth: Truth, seed: int = 0) -> Scene:
    """The pair of ``truth`` with a cloud in each image at a different place."""
    rng = np.random.default_rng(seed)
    r = SCALE
    psf = true_psf(r, float(r), (0.0, 0.0))
    margin = r * int(np.ceil((psf.shape[0] - r) / 2 / r))
    _, height, width = truth.cube.shape
    h, w = ((n - 2 * margin) // r // 2 * 2 for n in (height, width))
    lr = add_noise(degrade_blocks(truth.cube, (margin, margin), (h, w), psf, r), 40.0, rng)
    table = load_preset("sentinel-2a")

    def integrate(bands) -> np.ndarray:
        srf = resample_srf(table.select(bands), truth.wavelengths, truth.fwhm)
        return np.einsum("cm,chw->mhw", srf, truth.cube)[:, margin:margin + r * h,
                                                         margin:margin + r * w]

    rows, cols = r * h, r * w
    msi_cloud = _disk((rows, cols), (rows * 0.3, cols * 0.7), min(rows, cols) * 0.12)
    ten = _clouded(add_noise(integrate(S2_10M), 45.0, rng), msi_cloud, rng)
    twenty = degrade_blocks(integrate(S2_20M), (0, 0), (rows // 2, cols // 2),
                            true_psf(2, 2.0, (0.0, 0.0)), 2)
    coarse_cloud = msi_cloud.reshape(rows // 2, 2, cols // 2, 2).any(axis=(1, 3))
    twenty = _clouded(add_noise(np.nan_to_num(twenty, nan=0.0), 45.0, rng), coarse_cloud, rng)
    lr_cloud = _disk((h, w), (h * 0.7, w * 0.3), min(h, w) * 0.15)
    lr = np.where(lr_cloud[None], CLOUD, lr)
    scl = np.where(ndimage.binary_dilation(coarse_cloud, iterations=1), 9, 4).astype(np.uint8)
    t = truth.grid.transform * Affine.translation(margin, margin)
    return Scene(truth.cube[:, margin:margin + rows, margin:margin + cols], truth.wavelengths,
                 truth.fwhm, lr, {**dict(zip(S2_10M, ten)), **dict(zip(S2_20M, twenty))},
                 RasterGrid(truth.grid.crs, t * Affine.scale(r), w, h),
                 RasterGrid(truth.grid.crs, t, cols, rows), ndimage.binary_dilation(lr_cloud),
                 msi_cloud, scl, psf)


# Deliveries -------------------------------------------------------------------------------------

def _enmap(scene: Scene, folder: Path, zipped: bool = True) -> Path:
    from benchmarks.deliveries.enmap import write_enmap_l2a

    folder.mkdir(parents=True, exist_ok=True)
    return write_enmap_l2a(folder, scene.lr, scene.wavelengths, _fwhm(scene),
                           scene.lr_grid.transform, scene.lr_grid.crs.to_string(), LR_ACQUIRED,
                           masks={"QL_QUALITY_CLOUD": scene.lr_cloud}, zipped=zipped)


def _prisma(scene: Scene, folder: Path) -> Path:
    from benchmarks.deliveries.prisma import write_prisma_l2d

    folder.mkdir(parents=True, exist_ok=True)
    return write_prisma_l2d(folder, scene.lr, scene.wavelengths, _fwhm(scene),
                            scene.lr_grid.transform, scene.lr_grid.crs.to_epsg(),
                            datetime.fromisoformat(LR_ACQUIRED.replace("Z", "+00:00")),
                            cloud=scene.lr_cloud)


def _safe(scene: Scene, folder: Path, zipped: bool = True, flagged: bool = True) -> Path:
    from benchmarks.deliveries.sentinel2 import write_s2_l2a

    scl = scene.scl if flagged else np.full_like(scene.scl, 4)
    folder.mkdir(parents=True, exist_ok=True)
    return write_s2_l2a(folder, scene.msi, scene.msi_grid.transform, scene.msi_grid.crs,
                        MSI_ACQUIRED, scl=scl, zipped=zipped)


def _fwhm(scene: Scene) -> np.ndarray:
    """The LR-HSI's band widths (the spacing of its bands where the scene has none)."""
    if scene.fwhm is not None:
        return scene.fwhm
    return np.gradient(scene.wavelengths)


def _inside(path: Path, suffix: str) -> str:
    """The file of a delivered folder whose name ends with ``suffix``."""
    return str(next(p for p in sorted(path.rglob("*")) if p.name.upper().endswith(suffix.upper())))


def _subdataset(safe: Path) -> str:
    from osgeo import gdal

    mtd = _inside(safe, "MTD_MSIL2A.xml")
    names = gdal.Info(mtd, format="json")["metadata"]["SUBDATASETS"]
    return next(v for k, v in names.items() if k.endswith("_NAME") and ":10m:" in v)


#: Product forms: (LR-HSI as given, HR-MSI as given), written into a folder.
FORMS: dict[str, Callable[[Scene, Path], tuple[str, str]]] = {
    "EnMAP ZIP + SAFE ZIP": lambda s, f: (str(_enmap(s, f / "lr")), str(_safe(s, f / "hr"))),
    "EnMAP folder + SAFE folder": lambda s, f: (str(_enmap(s, f / "lr", zipped=False)),
                                                str(_safe(s, f / "hr", zipped=False))),
    "EnMAP METADATA.XML + MTD_MSIL2A.xml": lambda s, f: (
        _inside(_enmap(s, f / "lr", zipped=False), "METADATA.XML"),
        _inside(_safe(s, f / "hr", zipped=False), "MTD_MSIL2A.xml")),
    "EnMAP SPECTRAL_IMAGE + SENTINEL2_L2A:…:10m": lambda s, f: (
        _inside(_enmap(s, f / "lr", zipped=False), "SPECTRAL_IMAGE.TIF"),
        _subdataset(_safe(s, f / "hr", zipped=False))),
    "PRISMA HE5 + SAFE ZIP": lambda s, f: (str(_prisma(s, f / "lr")), str(_safe(s, f / "hr"))),
    "EnMAP ZIP + SAFE ZIP, HR-MSI cloud not flagged": lambda s, f: (
        str(_enmap(s, f / "lr")), str(_safe(s, f / "hr", flagged=False))),
}


# Baselines and scores ---------------------------------------------------------------------------

def _physical(given: str, role: str) -> tuple[np.ndarray, RasterGrid]:
    raster = read_raster(open_input(given, role).dataset, role)
    return raster.data.astype(np.float64), raster.grid


def bicubic(lr: str, grid: RasterGrid) -> np.ndarray:
    data, own = _physical(lr, "LR-HSI")
    return warp(data, own, grid, "cubic")


def ridge_true(scene: Scene, lr: str, hr: str) -> np.ndarray:
    """The ridge map from the PSF-degraded HR-MSI (all its bands, on its 10 m grid as read) to
    the LR-HSI, given the true PSF, fitted where both are valid, applied to the HR-MSI."""
    msi, _ = _physical(hr, "HR-MSI")
    low, _ = _physical(lr, "LR-HSI")
    lr_msi = degrade_blocks(msi, (0, 0), low.shape[1:], scene.psf, SCALE)
    ok = np.isfinite(low).all(0) & np.isfinite(lr_msi).all(0)
    fit = fit_ridge_map(torch.from_numpy(lr_msi[:, ok][:, None]),
                        torch.from_numpy(low[:, ok][:, None]))
    return fit(torch.from_numpy(np.nan_to_num(msi))).numpy()


def regions(scene: Scene) -> dict[str, np.ndarray]:
    """The scored regions on the HR-MSI's pixels (the scene's border of one LR pixel left out)."""
    r = SCALE
    rows, cols = scene.msi_grid.height, scene.msi_grid.width
    inner = np.zeros((rows, cols), bool)
    inner[r:-r, r:-r] = True
    lr_cloud = np.kron(scene.lr_cloud, np.ones((r, r), bool))
    msi_cloud = scene.msi_cloud
    near = ndimage.binary_dilation(lr_cloud | msi_cloud, iterations=2 * r)
    return {"clear": inner & ~near, "under the HR-MSI's cloud": inner & msi_cloud & ~lr_cloud,
            "under the LR-HSI's cloud": inner & lr_cloud & ~msi_cloud}


def evaluate(scene: Scene, form: str, folder: Path) -> dict:
    """One product form fused with default parameters, beside bicubic and the ridge map."""
    from benchmarks.real_products import on_grid

    lr, hr = FORMS[form](scene, folder)
    outcome = run_plugin(Path(lr), Path(hr), folder / "fused.tif")
    areas = regions(scene)
    grid = scene.msi_grid
    estimates = {"bicubic": bicubic(lr, grid), "ridge (true PSF)": ridge_true(scene, lr, hr)}
    row: dict = {"form": form, "seconds": outcome.seconds,
                 "log": [line for line in outcome.log if "acquired" in line or "mask" in line
                         or "disagree" in line.lower() or "warning" in line.lower()]}
    if outcome.output is None:
        row["default"] = {"note": outcome.refused.replace(f"{folder}/", "")}
    else:
        estimates = {"default": on_grid(outcome.output, grid)[0], **estimates}
    for name, estimate in estimates.items():
        row[name] = {area: score(scene.truth, estimate, mask, SCALE) for area, mask in areas.items()}
    return row


def main(argv: Optional[list[str]] = None) -> int:
    from benchmarks.delivered_report import render

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the real scenes")
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--forms", default=",".join(str(i) for i in range(len(FORMS))),
                        help="indexes of FORMS to run")
    parser.add_argument("--work", type=Path, help="keep the deliveries here")
    parser.add_argument("--out", type=Path, default=HERE / "DELIVERED.md")
    args = parser.parse_args(argv)
    scenes = args.scenes.split(",")
    forms = [list(FORMS)[int(i)] for i in args.forms.split(",")]
    full = scenes == list(SCENES) and forms == list(FORMS)
    results: dict = {"scenes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for name in scenes:
            loaded = load_scene(name, args.shared, reflectance=True)
            scene = simulate(truth_at(name, loaded.cube, loaded.wavelengths, loaded.fwhm,
                                      *SITES[name]))
            rows = []
            for i, form in enumerate(forms):
                rows.append(evaluate(scene, form, work / name / f"form{i}"))
                print(f"{name} | {form}: {rows[-1].get('default')}", file=sys.stderr, flush=True)
            shares = {k: float(v.mean()) for k, v in regions(scene).items()}
            results["scenes"][name] = {"shape": list(scene.truth.shape), "regions": shares,
                                       "rows": rows}
    results.update(_stamp())
    text = render(results, args.out.read_text(encoding="utf-8") if args.out.exists() else "")
    if not full:
        print(text)
        return 0
    (HERE / "results" / "delivered_cpu.json").write_text(json.dumps(results, indent=1, default=float))
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
