"""Which LR-HSI bands are fused, how the two images are co-registered, and where the result lies.

* Bands with no valid pixel (EnMAP's water-vapour bands stored as nodata) are left out of the
  computation and written as nodata (:func:`live_bands`).
* A whole-pixel shift between the images is measured (:func:`coregister`) and compensated by
  moving the HR window, so the sharp image is never resampled; the rest of the shift, under one
  HR pixel, is in the estimated PSF's offset. :func:`misregistration` adds the two.
* The result lies on the HR-MSI's pixels; in the LR-HSI's geometry (``geometry="hsi"``) the same
  pixels are georeferenced where the LR-HSI places them (:func:`output_grid`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
from affine import Affine

from ..degradation import DegradationModel
from ..errors import InputError
from ..io import Raster, RasterGrid
from ..io.pair import PairPlan, Rect, scaled_rect
from ..progress import Progress
from ..request import FusionRequest

if TYPE_CHECKING:
    from ..windows.source import Source

__all__ = ["live_bands", "coregister", "fit_msi_sharpening", "native_factors", "misregistration",
           "report_misregistration", "output_grid", "on_hsi_grid", "to_hsi_geometry", "LARGE_SHIFT_LR"]

#: A misregistration above this many LR pixels gets a warning in the log.
LARGE_SHIFT_LR = 0.5


def live_bands(sample: np.ndarray, lr: Raster, progress: Progress) -> Optional[tuple[int, ...]]:
    """Positions of the LR-HSI bands with valid pixels in ``sample`` (None: all of them)."""
    live = np.isfinite(sample).any(axis=(1, 2))
    if live.all():
        return None
    if not live.any():
        raise InputError("The LR-HSI has no valid pixel where it overlaps the HR-MSI: check its "
                         "nodata value, its mask and the two images' extents.")
    dead = np.flatnonzero(~live)
    names = ", ".join(lr.band_names[i] if i < len(lr.band_names) else str(i + 1) for i in dead[:8])
    progress.info(f"{dead.size} LR-HSI band(s) have no valid pixel ({names}"
                  + (", …" if dead.size > 8 else "") + "): they are left out of the fusion and "
                  "written as nodata.")
    return tuple(int(i) for i in np.flatnonzero(live))


def coregister(request: FusionRequest, source: "Source", rect: Rect, hr_shape: tuple[int, int],
               given: Optional[DegradationModel], progress: Progress) -> tuple["Source", tuple[int, int]]:
    """The source with its HR window moved by the shift between the images, and that shift
    (whole HR pixels, row/column). A given model's recorded shift is reused, so the model and
    the pairing it was estimated on stay together."""
    from ..estimation.registration import measure_shift

    if given is not None:
        rows, cols = given.matched_shift
        if (rows, cols) == (0, 0):
            return source, (0, 0)
    elif not request.coregister:
        return source, (0, 0)
    else:
        r = source.scale
        found = measure_shift(source.read_lr(rect), source.read_hr(scaled_rect(rect, r)), r)
        if found.is_zero:
            return source, (0, 0)
        rows, cols = found.rows, found.cols
        progress.info(
            f"Co-registration: the HR-MSI's content lies {cols:+d}, {rows:+d} HR pixels (x, y) "
            f"from where the LR-HSI places it (correlation {found.correlation_unshifted:.2f} → "
            f"{found.correlation:.2f}); the pair is matched there ({request.name_of('coregister')}).")
    plan = source.plan.moved(rows, cols, hr_shape)
    return source.with_plan(plan), (rows, cols)


def fit_msi_sharpening(source: "Source", rect: Rect, hr: Raster, progress: Progress):
    """The detail injection for the HR-MSI's coarse bands, fitted on the LR rectangle ``rect``
    of the source (None when every band is native); logged. Bands whose native resolution the
    file gives (:func:`native_factors`) are taken at its word; the others are recognised."""
    from ..spectral.multiresolution import fit_sharpening

    hr_rect = scaled_rect(rect, source.scale)
    area = source.plan.hr_window
    found = fit_sharpening(source.read_hr(hr_rect), (area[0] + hr_rect[0], area[1] + hr_rect[1]),
                           native_factors(hr))
    if found is not None:
        progress.info(found.describe(hr.band_names))
    return found


def native_factors(hr: Raster) -> dict[int, int]:
    """HR-MSI band position → its native pixel over the raster's pixel (whole number, 1 for a
    native band), for the bands whose ``native_resolution`` the file gives."""
    pixel = hr.grid.pixel_size[0]
    if pixel <= 0:
        return {}
    return {b: max(1, int(round(v / pixel))) for b, v in enumerate(hr.native_resolution)
            if v is not None}


def misregistration(model: DegradationModel, plan: PairPlan, shift: tuple[int, int]) -> tuple[float, float]:
    """The whole measured shift (row, column) in HR pixels: the whole-pixel part matched by
    :func:`coregister` plus the PSF's offset beyond the grids' own offset."""
    dy, dx = model.psf_offset
    gy, gx = plan.grid_offset
    return shift[0] + dy - gy, shift[1] + dx - gx


def report_misregistration(request: FusionRequest, model: DegradationModel, plan: PairPlan,
                           shift: tuple[int, int], hr_pixel: Optional[float],
                           progress: Progress) -> tuple[float, float]:
    """Log the misregistration (with a warning when large), record the shift the pair was
    matched at in the model (the misregistration in its diagnostics, for the report), and return
    it (row, column HR pixels). ``hr_pixel``: the HR pixel size in CRS units (None without
    georeferencing)."""
    rows, cols = misregistration(model, plan, shift)
    model.matched_shift = (int(shift[0]), int(shift[1]))
    model.diagnostics["misregistration_hr_px"] = [float(rows), float(cols)]
    size = float(np.hypot(rows, cols))
    text = f"Misregistration between the images: {cols:+.2f}, {rows:+.2f} HR pixels (x, y)"
    text += (f", {cols * hr_pixel:+.1f}, {-rows * hr_pixel:+.1f} CRS units east, north."
             if hr_pixel else ".")
    if size > LARGE_SHIFT_LR * plan.scale:
        text += (f" Warning: that is {size / plan.scale:.1f} LR pixels, more than two products "
                 "of the same date normally disagree: check the inputs' georeferencing. The "
                 f"result follows the {'LR-HSI' if request.geometry == 'hsi' else 'HR-MSI'}'s "
                 f"geometry ({request.name_of('geometry')}).")
    progress.info(text)
    return rows, cols


def to_hsi_geometry(fused: np.ndarray, shift_hr_px: tuple[float, float]) -> np.ndarray:
    """An in-memory result ``(C, H, W)`` moved onto the LR-HSI's geometry by the measured shift:
    with no georeferencing to move, the pixels are resampled (cubic spline); what comes from
    outside the image is NaN."""
    from scipy.ndimage import shift as shift_image

    from ..methods.gaps import fill_invalid

    valid = np.all(np.isfinite(fused), axis=0)
    move = (-shift_hr_px[0], -shift_hr_px[1])
    filled = fill_invalid(fused)
    out = np.stack([shift_image(band, move, order=3, mode="nearest") for band in filled])
    inside = shift_image(valid.astype(np.float32), move, order=0, mode="constant", cval=0.0) > 0.5
    out[:, ~inside] = np.nan
    return out.astype(np.float32)


def output_grid(request: FusionRequest, plan: PairPlan, hr: Raster,
                shift_hr_px: tuple[float, float]) -> RasterGrid:
    """The output's grid: the HR-MSI's pixels of the fused area; in the LR-HSI's geometry the
    same pixels moved by the measured misregistration."""
    grid = plan.hr_grid(hr)
    if request.geometry != "hsi" or shift_hr_px == (0.0, 0.0):
        return grid
    return on_hsi_grid(grid, shift_hr_px)


def on_hsi_grid(grid: RasterGrid, shift_hr_px: tuple[float, float]) -> RasterGrid:
    """A grid of HR-MSI pixels georeferenced where the LR-HSI places their content: moved back by
    the measured misregistration (row, column HR pixels); the pixels are not resampled."""
    rows, cols = shift_hr_px
    return RasterGrid(grid.crs, grid.transform * Affine.translation(-cols, -rows), grid.width,
                      grid.height)
