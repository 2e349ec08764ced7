"""The real Hyperion + ALI pair as GeoTIFF files, with its reference on Hyperion's geometry.

The pair is the benchmark's (:func:`benchmarks.scenes.paris_real_pair`): the LR-HSI is Hyperion
blurred by a 5×5 Gaussian of FWHM 3 and decimated by 3 (90 m), the HR-MSI the real ALI image
(30 m), the reference Hyperion itself, on Hyperion's geometry. The two EO-1 sensors do not see
exactly the same ground in a pixel. The methods are given the shift the pipeline measures from
the two inputs (:mod:`benchmarks.registration`); :func:`measure_shift` measures it on the
reference instead (a least-squares fit of ALI on Hyperion integrated by the ALI SRF, each band
with its own gain and offset, moved by a Fourier shift), only as a cross-check of that one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from scipy import ndimage, optimize

from benchmarks.product_geometry import utm_site
from benchmarks.products import Product, write_geotiff
from benchmarks.scenes import SHARED, paris_real_pair
from fusion_core.io import RasterGrid

__all__ = ["PairGeometry", "fourier_shift", "measure_shift", "write_hyperion_ali"]

PARIS = (2.35, 48.86)
_ALI_M = 30.0


def fourier_shift(image: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """``image`` ``(C, H, W)`` moved by ``shift`` (rows, cols) pixels (periodic: mind the borders)."""
    spectrum = ndimage.fourier_shift(np.fft.fft2(image), (0.0, *shift))
    return np.fft.ifft2(spectrum).real


def _misfit(msi: np.ndarray, moved: np.ndarray, border: int) -> float:
    """Share of the MSI's variance that a per-band gain and offset of ``moved`` leaves unexplained."""
    inner = (slice(None), slice(border, -border), slice(border, -border))
    a = moved[inner].reshape(moved.shape[0], -1)
    b = msi[inner].reshape(msi.shape[0], -1)
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    explained = (a * b).sum(1) ** 2 / (a * a).sum(1)
    return float(((b * b).sum(1) - explained).sum() / (b * b).sum())


def measure_shift(hsi: np.ndarray, msi: np.ndarray, srf: np.ndarray, border: int = 8) -> tuple[float, float]:
    """The shift (rows, cols) in pixels that best moves ``hsi`` ``(C, H, W)``, integrated by
    ``srf`` ``(C, M)``, onto ``msi`` ``(M, H, W)`` of the same grid: the integer peak of their
    cross-correlation, refined to a hundredth of a pixel by least squares."""
    sim = np.einsum("cm,chw->mhw", srf, hsi.astype(np.float64))
    centred = [x - x.mean((1, 2), keepdims=True) for x in (sim, msi.astype(np.float64))]
    corr = np.fft.ifft2(np.conj(np.fft.fft2(centred[0])) * np.fft.fft2(centred[1])).real.sum(0)
    peak = np.array(np.unravel_index(np.argmax(corr), corr.shape), dtype=np.float64)
    start = np.where(peak > np.array(corr.shape) / 2, peak - np.array(corr.shape), peak)
    found = optimize.minimize(lambda d: _misfit(msi, fourier_shift(sim, tuple(d)), border), start,
                              method="Nelder-Mead", options={"xatol": 1e-2, "fatol": 1e-9})
    return float(found.x[0]), float(found.x[1])


@dataclass
class PairGeometry:
    """The written pair and the shift measured on the reference (a cross-check of the one the
    methods are given, :mod:`benchmarks.registration`)."""

    product: Product
    shift_px: tuple[float, float]
    border: int
    misfit_before: float
    misfit_after: float
    full_frame: np.ndarray


def write_hyperion_ali(folder: Path, shared: Path = SHARED) -> PairGeometry:
    """Write ``paris_{lr_hsi,hr_msi,truth}.tif`` (UTM 31N, ALI 30 m, LR-HSI 90 m, same origin).

    The product's ``score_mask`` leaves out a border of the shift plus three pixels (where a
    result moved onto Hyperion's geometry has no value); ``full_frame`` is every pixel, as the
    independent methods were scored.
    """
    pair = paris_real_pair(shared)
    srf, wl = pair.model.srf, pair.model.hsi_wavelengths
    crs, (x, y), _ = utm_site(*PARIS)
    hr_grid = RasterGrid(crs, Affine(_ALI_M, 0.0, x, 0.0, -_ALI_M, y), pair.hr_msi.shape[2], pair.hr_msi.shape[1])
    lr_grid = RasterGrid(crs, hr_grid.transform * Affine.scale(pair.scale), pair.lr_hsi.shape[2], pair.lr_hsi.shape[1])
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"paris_{role}.tif" for role in ("lr_hsi", "hr_msi", "truth")]
    write_geotiff(paths[0], pair.lr_hsi, lr_grid, "float32", None, wl, None)
    write_geotiff(paths[1], pair.hr_msi, hr_grid, "float32", None, (srf * wl[:, None]).sum(0) / srf.sum(0), None)
    write_geotiff(paths[2], pair.reference, hr_grid, "float32", None, wl, None)
    shift = measure_shift(pair.reference, pair.hr_msi, srf)
    sim = np.einsum("cm,chw->mhw", srf, pair.reference.astype(np.float64))
    before, after = (_misfit(pair.hr_msi, fourier_shift(sim, d), 8) for d in ((0.0, 0.0), shift))
    border = math.ceil(max(map(abs, shift))) + 3
    mask = np.zeros(pair.hr_msi.shape[1:], dtype=bool)
    mask[border:-border, border:-border] = True
    product = Product("hyperion_ali", *paths, pair.scale, lr_grid, pair.model.psf, (0, 0), mask, 0.0)
    return PairGeometry(product, shift, border, before, after, np.ones_like(mask))
