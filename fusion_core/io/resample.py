"""Bring an HR-MSI onto the grid nested in the LR-HSI's, at the nearest integer ratio (GDAL warp).

Real pairs seldom nest: WorldView's 1.24 m pixels inside a 30 m LR-HSI make a ratio of 24.19,
PRISMA and Sentinel-2 grids are shifted by a fraction of a pixel, and two sensors may deliver in
different UTM zones. Fusion needs the HR-MSI on the grid whose pixels are the LR-HSI's divided by
an integer ``r``, with the same origin. :func:`plan_pair` finds that grid (the part of the LR-HSI
fully covered by the HR-MSI, cut on LR pixel edges, times ``r``) and :func:`read_aligned_hr`
reads any window of it through GDAL's warper (``rasterio.vrt.WarpedVRT``): nothing is written to
disk and each window is warped from the source pixels around it, so a window reads the same
values as the whole image does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform as transform_points
from rasterio.windows import Window

from ..errors import GridMismatchError
from .pair import check_pair
from .raster import Raster, RasterGrid

__all__ = ["HrAlignment", "PairPlan", "plan_pair", "read_aligned_hr"]

# Above this ratio of target to source pixel size, the warp averages the source pixels it covers;
# below it (a shift or a small change of size) it interpolates with a cubic kernel.
_AVERAGE_ABOVE = 1.5
_EDGE_POINTS = 33
_EPS = 1e-6


@dataclass(frozen=True)
class HrAlignment:
    """How the HR-MSI is warped: onto ``grid`` (CRS wkt, transform, size) with ``resampling``."""

    crs_wkt: str
    transform: tuple[float, ...]
    width: int
    height: int
    resampling: str

    @property
    def grid(self) -> RasterGrid:
        return RasterGrid(CRS.from_wkt(self.crs_wkt), Affine(*self.transform[:6]), self.width, self.height)


@dataclass(frozen=True)
class PairPlan:
    """How a pair is fused: the ratio, the LR pixels used and, if needed, the HR-MSI warp.

    Attributes:
        scale: integer ratio r.
        lr_window: ``(row0, col0, rows, cols)`` of the LR-HSI pixels that are fused.
        alignment: the warp of the HR-MSI onto the nested grid, or None when it already nests.
        message: what was done, for the log (empty when nothing was resampled).
    """

    scale: int
    lr_window: tuple[int, int, int, int]
    alignment: Optional[HrAlignment] = None
    message: str = ""

    def hr_grid(self, hr: Raster) -> RasterGrid:
        """The grid of the HR-MSI as it is fused."""
        return self.alignment.grid if self.alignment is not None else hr.grid


def plan_pair(lr: Raster, hr: Raster, resample: bool,
              log: Optional[Callable[[str], None]] = None) -> PairPlan:
    """Check that a pair nests; if it does not and ``resample`` is set, plan the HR-MSI warp.

    Args:
        lr: LR-HSI metadata (:func:`fusion_core.io.read_raster_info`).
        hr: HR-MSI metadata.
        resample: whether the HR-MSI may be warped onto the LR-aligned grid.
        log: called with the plan's description when the HR-MSI is resampled.

    Raises:
        GridMismatchError: the grids do not nest and ``resample`` is off (the message says how
            to turn it on), or they cannot be made to nest (swapped inputs, no overlap).
    """
    try:
        scale = check_pair(lr, hr)
        return PairPlan(scale, (0, 0, lr.grid.height, lr.grid.width))
    except GridMismatchError as exc:
        if not _warp_can_fix(lr, hr):
            raise
        if not resample:
            raise GridMismatchError(
                f"{exc} Alternatively, let the fusion resample the HR-MSI onto the LR-HSI grid at "
                "the nearest integer ratio (RESAMPLE_HR_MSI, or resample_hr_msi=True)."
            ) from None
    plan = _plan_alignment(lr, hr)
    if log is not None:
        log(plan.message)
    return plan


def _warp_can_fix(lr: Raster, hr: Raster) -> bool:
    """Whether the mismatch is one of grids (CRS, ratio, origin, extent), not of the inputs."""
    if lr.count <= hr.count:
        return False
    for g in (lr.grid, hr.grid):
        if abs(g.transform.b) > _EPS or abs(g.transform.d) > _EPS:
            return False
    return _hr_pixel_in_lr_crs(lr, hr) * 1.5 < min(lr.grid.pixel_size)


def _hr_pixel_in_lr_crs(lr: Raster, hr: Raster) -> float:
    """HR-MSI pixel size measured in the LR-HSI's CRS units (across the scene's centre)."""
    t = hr.grid.transform
    cx, cy = hr.grid.width / 2.0, hr.grid.height / 2.0
    xs, ys = zip(*(t * (cx + dx, cy + dy) for dx, dy in ((0, 0), (1, 0), (0, 1))))
    lx, ly = _to_lr_crs(hr.grid.crs, lr.grid.crs, list(xs), list(ys))
    return math.sqrt(abs((lx[1] - lx[0]) * (ly[2] - ly[0]) - (lx[2] - lx[0]) * (ly[1] - ly[0])))


def _to_lr_crs(src: Optional[CRS], dst: Optional[CRS], xs: list, ys: list) -> tuple[list, list]:
    if src is None or dst is None or src == dst:
        return xs, ys
    return transform_points(src, dst, xs, ys)


def _plan_alignment(lr: Raster, hr: Raster) -> PairPlan:
    lx, ly = lr.grid.pixel_size
    hr_px = _hr_pixel_in_lr_crs(lr, hr)
    scale = max(2, round(lx / hr_px))
    window = _covered_lr_window(lr, hr)
    row0, col0, rows, cols = window
    lt = lr.grid.transform
    origin = lt * (col0, row0)
    target = Affine(lt.a / scale, 0.0, origin[0], 0.0, lt.e / scale, origin[1])
    ratio = (lx / scale) / hr_px
    resampling = "average" if ratio > _AVERAGE_ABOVE else "cubic"
    crs = lr.grid.crs if lr.grid.crs is not None else hr.grid.crs
    alignment = HrAlignment(crs.to_wkt() if crs is not None else "", tuple(target)[:6],
                            cols * scale, rows * scale, resampling)
    reprojected = "" if lr.grid.crs == hr.grid.crs else " reprojected into the LR-HSI's CRS and"
    cropped = ("" if (rows, cols) == (lr.grid.height, lr.grid.width) else
               f" The LR-HSI is cut to the {cols}×{rows} pixels (from column {col0}, row {row0}) "
               "that the HR-MSI covers.")
    message = (
        f"The HR-MSI ({hr.grid.width}×{hr.grid.height} pixels of {hr_px:g}) was{reprojected} "
        f"resampled with a GDAL warp ({resampling}) onto the grid nested in the LR-HSI's at the "
        f"nearest integer ratio {scale} (ratio was {lx / hr_px:.4f}): {cols * scale}×{rows * scale} "
        f"pixels of {lx / scale:g}, origin {origin[0]:.3f}, {origin[1]:.3f}.{cropped}"
    )
    return PairPlan(scale, window, alignment, message)


def _covered_lr_window(lr: Raster, hr: Raster) -> tuple[int, int, int, int]:
    """LR pixels ``(row0, col0, rows, cols)`` entirely inside the HR-MSI's footprint."""
    t, w, h = hr.grid.transform, hr.grid.width, hr.grid.height
    s = np.linspace(0.0, 1.0, _EDGE_POINTS)
    edges = {
        "left": [t * (0.0, v * h) for v in s], "right": [t * (w, v * h) for v in s],
        "top": [t * (u * w, 0.0) for u in s], "bottom": [t * (u * w, h) for u in s],
    }
    inv = ~lr.grid.transform
    pixel = {}
    for name, pts in edges.items():
        xs, ys = _to_lr_crs(hr.grid.crs, lr.grid.crs, [p[0] for p in pts], [p[1] for p in pts])
        pixel[name] = [inv * (x, y) for x, y in zip(xs, ys)]
    col0 = max(0, math.ceil(max(c for c, _ in pixel["left"]) - 1e-3))
    col1 = min(lr.grid.width, math.floor(min(c for c, _ in pixel["right"]) + 1e-3))
    row0 = max(0, math.ceil(max(r for _, r in pixel["top"]) - 1e-3))
    row1 = min(lr.grid.height, math.floor(min(r for _, r in pixel["bottom"]) + 1e-3))
    if col1 <= col0 or row1 <= row0:
        raise GridMismatchError(
            "The HR-MSI does not cover a single whole LR-HSI pixel: the two rasters do not "
            "overlap. Check that both show the same place."
        )
    return row0, col0, row1 - row0, col1 - col0


def read_aligned_hr(path: str, alignment: HrAlignment,
                    rect: Optional[tuple[int, int, int, int]] = None) -> np.ndarray:
    """Read ``rect`` ``(row0, col0, rows, cols)`` of the warped HR-MSI as float32 ``(M, rows, cols)``.

    Pixels the warp cannot fill (outside the HR-MSI, or nodata there) come back as NaN.
    """
    grid = alignment.grid
    with rasterio.open(path) as src, WarpedVRT(
            src, crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height,
            resampling=Resampling[alignment.resampling], dtype="float32",
            src_nodata=src.nodata, nodata=np.nan) as vrt:
        window = None if rect is None else Window(rect[1], rect[0], rect[3], rect[2])
        return vrt.read(window=window, out_dtype=np.float32)
