"""The one registration every method of a benchmark row is given on a real or misregistered pair.

Two sensors' georeferencing disagree (Hyperion and ALI by about half an ALI pixel): scored against
a reference on one sensor's geometry, a method gains or loses decibels by where its output lies,
not by how it fuses. So the pair's misregistration is measured once, from the two inputs alone, by
the pipeline's own step (:func:`measure`: :func:`fusion_core.pipeline.estimate_files`, the
co-registration and blind PSF offset a fusion run measures and records), and every method is
given that same shift:

* an output on the HR-MSI's pixels is georeferenced where the LR-HSI places them
  (:meth:`Registration.grid`, the pipeline's :func:`~fusion_core.pipeline.align.on_hsi_grid`,
  what GEOMETRY=hsi writes; in memory :meth:`Registration.array`, the pipeline's
  :func:`~fusion_core.pipeline.align.to_hsi_geometry`) and scored by that geotransform;
* a method given a PSF pairs the LR-HSI with the HR-MSI degraded by that PSF moved to the same
  shift (:meth:`Registration.model`; on grids that are not nested, the LR blocks start where
  :meth:`Registration.lr_origin` says), as the pipeline's estimated PSF carries it;
* an output made from the LR-HSI alone (bicubic) is warped from the LR-HSI's grid onto
  :meth:`Registration.grid`, i.e. onto the HR-MSI's pixels, or onto the reference's grid
  directly when that is the LR-HSI's geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from fusion_core.degradation import DegradationModel
from fusion_core.io import RasterGrid
from fusion_core.pipeline.align import on_hsi_grid, to_hsi_geometry

__all__ = ["Registration", "measure", "moved_psf"]


@dataclass(frozen=True)
class Registration:
    """Where the HR-MSI's content lies from where the LR-HSI places it: ``shift_hr_px``
    (row, column) HR pixels, as :func:`fusion_core.pipeline.align.misregistration` gives it."""

    shift_hr_px: tuple[float, float]

    def grid(self, hr_grid: RasterGrid) -> RasterGrid:
        """A grid of HR-MSI pixels georeferenced on the LR-HSI's geometry."""
        return on_hsi_grid(hr_grid, self.shift_hr_px)

    def array(self, fused: np.ndarray) -> np.ndarray:
        """An in-memory result ``(C, H, W)`` on the HR-MSI's pixels moved onto the LR-HSI's
        geometry (cubic; NaN where it moved in from outside)."""
        return to_hsi_geometry(fused, self.shift_hr_px) if any(self.shift_hr_px) else fused

    def model(self, model: DegradationModel) -> DegradationModel:
        """``model`` with its PSF moved so that its offset is the shift (on nested grids):
        degrading the HR-MSI with it pairs each LR-HSI pixel with what the HR-MSI shows there."""
        return replace(model, psf=moved_psf(model.psf, model.scale, self.shift_hr_px), matched_shift=(0, 0))

    def lr_origin(self, lr_grid: RasterGrid, hr_grid: RasterGrid) -> tuple[float, float]:
        """The HR-MSI pixel (row, column, fractional) where LR pixel (0, 0)'s block starts: where
        the two georeferencings put it, moved by the shift (grids of one CRS, north up)."""
        col, row = ~hr_grid.transform * (lr_grid.transform.c, lr_grid.transform.f)
        return row + self.shift_hr_px[0], col + self.shift_hr_px[1]


def moved_psf(psf: np.ndarray, scale: int, offset: tuple[float, float]) -> np.ndarray:
    """The kernel ``psf`` on LR blocks of ``scale`` moved (cubic spline, padded so nothing is cut)
    so that its offset from the block centre is ``offset`` (row, column HR pixels)."""
    dy, dx = (s - o for s, o in zip(offset, DegradationModel(scale, psf, np.ones((1, 1))).psf_offset))
    pad = math.ceil(max(abs(dy), abs(dx))) + 1
    kernel = ndimage.shift(np.pad(psf, pad), (dy, dx), order=3, mode="constant")
    return np.clip(kernel, 0.0, None) / np.clip(kernel, 0.0, None).sum()


def measure(lr_path: Path, hr_path: Path, folder: Path) -> Registration:
    """The pair's misregistration as a default fusion run measures it, from the two files alone
    (the estimation job's model, written into ``folder``, records it)."""
    from fusion_core import FusionRequest
    from fusion_core.pipeline import estimate_files

    folder.mkdir(parents=True, exist_ok=True)
    request = FusionRequest(lr_hsi=str(lr_path), hr_msi=str(hr_path), output=str(folder / "unused.tif"))
    model, _ = estimate_files(request, str(folder / "registration_model.json"))
    rows, cols = model.diagnostics["misregistration_hr_px"]
    return Registration((float(rows), float(cols)))
