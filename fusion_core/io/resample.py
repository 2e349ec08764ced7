"""Warps that bring a pair onto nested grids, planned from metadata and read window by window.

:func:`plan_pair` decides how a pair is fused (see :mod:`fusion_core.io.pair`): on its overlap
without resampling when the grids can nest; else with the LR-HSI warped onto the grid nested in
the HR-MSI's (:func:`plan_lr_warp`: another UTM zone, a non-integer ratio such as WorldView's
1.24 m in a 30 m HSI, a rotated HSI); or, when asked (``resample_hr_msi``), with the HR-MSI
warped onto the LR-HSI's grid (:func:`plan_hr_warp`). :func:`read_warped` reads any window of a
warped input through GDAL's warper (``rasterio.vrt.WarpedVRT``): nothing is written to disk, and
a window reads the same values as the whole image does.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform as transform_points
from rasterio.windows import Window

from ..errors import GridMismatchError
from .pair import MIN_OVERLAP, PairPlan, Rect, Warp, check_inputs, crs_name, nested_plan, same_crs
from .raster import Raster, read_raster_info

__all__ = ["plan_pair", "plan_lr_warp", "plan_hr_warp", "read_warped", "to_crs"]

# Above this ratio of target to source pixel size, the warp averages the source pixels it covers;
# below it (a shift or a small change of size) it interpolates with a cubic kernel.
_AVERAGE_ABOVE = 1.5
_EDGE_POINTS = 33


def plan_pair(lr: Raster, hr: Raster, resample_hr_msi: bool = False,
              log: Optional[Callable[[str], None]] = None) -> PairPlan:
    """How a pair is fused (see the module docstring; ``resample_hr_msi`` as the request's
    field); the plan's message goes to ``log``.

    Raises:
        GridMismatchError: swapped inputs, an HR-MSI that is not north-up, a CRS on one side
            only, or images that do not overlap.
    """
    check_inputs(lr, hr)
    plan = nested_plan(lr, hr)
    exact = plan is not None and plan.grid_offset == (0.0, 0.0) and plan.lr_window == (
        0, 0, lr.grid.height, lr.grid.width) and plan.hr_window[2:] == (hr.grid.height, hr.grid.width)
    if resample_hr_msi and not exact:
        plan = plan_hr_warp(lr, hr)
    elif plan is None:
        plan = plan_lr_warp(lr, hr)
    if log is not None and plan.message:
        log(plan.message)
    return plan


def to_crs(src: Optional[CRS], dst: Optional[CRS], xs: list, ys: list) -> tuple[list, list]:
    """Points from ``src`` into ``dst`` (unchanged when the CRSs are the same or unknown)."""
    if src is None or dst is None or same_crs(src, dst):
        return xs, ys
    return transform_points(src, dst, xs, ys)


def _edges(grid, n: int = _EDGE_POINTS) -> dict[str, list[tuple[float, float]]]:
    """Points along the four edges of a grid's footprint, in its CRS."""
    t, w, h = grid.transform, grid.width, grid.height
    s = np.linspace(0.0, 1.0, n)
    return {"left": [t * (0.0, v * h) for v in s], "right": [t * (w, v * h) for v in s],
            "top": [t * (u * w, 0.0) for u in s], "bottom": [t * (u * w, h) for u in s]}


def _inner_window(outer, inner_crs: Optional[CRS], grid) -> tuple[float, float, float, float]:
    """Pixel bounds ``(row0, col0, row1, col1)`` of ``grid`` that lie inside the footprint of
    ``outer`` (a grid in ``inner_crs``), as fractional pixels of ``grid``."""
    inv = ~grid.transform
    pixel = {}
    for name, pts in _edges(outer).items():
        xs, ys = to_crs(inner_crs, grid.crs, [p[0] for p in pts], [p[1] for p in pts])
        pixel[name] = [inv * (x, y) for x, y in zip(xs, ys)]
    left_is_low = np.mean([c for c, _ in pixel["left"]]) < np.mean([c for c, _ in pixel["right"]])
    top_is_low = np.mean([r for _, r in pixel["top"]]) < np.mean([r for _, r in pixel["bottom"]])
    lo_c, hi_c = (pixel["left"], pixel["right"]) if left_is_low else (pixel["right"], pixel["left"])
    lo_r, hi_r = (pixel["top"], pixel["bottom"]) if top_is_low else (pixel["bottom"], pixel["top"])
    return (max(r for _, r in lo_r), max(c for c, _ in lo_c),
            min(r for _, r in hi_r), min(c for c, _ in hi_c))


def plan_lr_warp(lr: Raster, hr: Raster) -> PairPlan:
    """Warp the LR-HSI onto the grid nested in the HR-MSI's: pixels of r × the HR-MSI's, on its
    pixel corners, over the part of the HR-MSI that the LR-HSI covers."""
    lx, _ = lr.grid.pixel_size
    hr_px_lr = hr_pixel_in_lr_crs(lr, hr)
    if hr_px_lr * 1.5 > lx:
        raise GridMismatchError(
            f"The LR-HSI pixels ({lx:g}) are not larger than the HR-MSI's ({hr_px_lr:g} in the "
            "LR-HSI's units): the inputs look swapped. LR_HSI must be the hyperspectral image "
            "with the coarse pixels, HR_MSI the multispectral image with the fine ones.")
    ratio = lx / hr_px_lr
    r = max(2, round(ratio))
    row0, col0, row1, col1 = _inner_window(lr.grid, lr.grid.crs, hr.grid)
    row0, col0 = max(0, math.ceil(row0 - 1e-3)), max(0, math.ceil(col0 - 1e-3))
    rows = (min(hr.grid.height, math.floor(row1 + 1e-3)) - row0) // r
    cols = (min(hr.grid.width, math.floor(col1 + 1e-3)) - col0) // r
    if rows < MIN_OVERLAP or cols < MIN_OVERLAP:
        hint = "" if same_crs(lr.grid.crs, hr.grid.crs) else (
            f" They are in different CRSs (LR-HSI {crs_name(lr.grid.crs)}, HR-MSI "
            f"{crs_name(hr.grid.crs)}): check that each file's CRS is the right one.")
        raise GridMismatchError(
            "The LR-HSI does not cover a 2×2 block of LR pixels of the HR-MSI: the two rasters "
            "do not overlap. Check that both show the same place." + hint)
    target = hr.grid.transform * Affine.translation(col0, row0) * Affine.scale(r)
    crs = hr.grid.crs if hr.grid.crs is not None else lr.grid.crs
    warp = Warp(crs.to_wkt() if crs is not None else "", tuple(target)[:6], cols, rows, "cubic")
    reprojected = "" if same_crs(lr.grid.crs, hr.grid.crs) else " reprojected into the HR-MSI's CRS and"
    message = (
        f"The LR-HSI ({lr.grid.width}×{lr.grid.height} pixels of {lx:g}) was{reprojected} "
        f"resampled with a GDAL warp (cubic) onto the grid nested in the HR-MSI's at the nearest "
        f"integer ratio {r} (ratio was {ratio:.4f}): {cols}×{rows} pixels of "
        f"{abs(target.a):g}; the HR-MSI is used as it is, from column {col0}, row {row0} "
        f"({cols * r}×{rows * r} pixels), and the output is on its grid.")
    return PairPlan(r, (0, 0, rows, cols), (row0, col0, rows * r, cols * r), lr_warp=warp,
                    message=message)


def plan_hr_warp(lr: Raster, hr: Raster) -> PairPlan:
    """Warp the HR-MSI onto the grid nested in the LR-HSI's (the ``resample_hr_msi`` option),
    over the LR pixels the HR-MSI covers entirely; the output is on that grid."""
    lx, ly = lr.grid.pixel_size
    hr_px = hr_pixel_in_lr_crs(lr, hr)
    if hr_px * 1.5 > min(lx, ly):
        raise GridMismatchError(
            f"The LR-HSI pixels ({lx:g}) are not larger than the HR-MSI's ({hr_px:g} in the "
            "LR-HSI's units): the inputs look swapped.")
    scale = max(2, round(lx / hr_px))
    row0, col0, row1, col1 = _inner_window(hr.grid, hr.grid.crs, lr.grid)
    row0, col0 = max(0, math.ceil(row0 - 1e-3)), max(0, math.ceil(col0 - 1e-3))
    rows = min(lr.grid.height, math.floor(row1 + 1e-3)) - row0
    cols = min(lr.grid.width, math.floor(col1 + 1e-3)) - col0
    if rows < MIN_OVERLAP or cols < MIN_OVERLAP:
        raise GridMismatchError(
            "The HR-MSI does not cover a 2×2 block of LR-HSI pixels: the two rasters do not "
            "overlap. Check that both show the same place.")
    lt = lr.grid.transform
    origin = lt * (col0, row0)
    target = Affine(lt.a / scale, 0.0, origin[0], 0.0, lt.e / scale, origin[1])
    resampling = "average" if (lx / scale) / hr_px > _AVERAGE_ABOVE else "cubic"
    crs = lr.grid.crs if lr.grid.crs is not None else hr.grid.crs
    warp = Warp(crs.to_wkt() if crs is not None else "", tuple(target)[:6], cols * scale,
                rows * scale, resampling)
    reprojected = "" if same_crs(lr.grid.crs, hr.grid.crs) else " reprojected into the LR-HSI's CRS and"
    cropped = ("" if (rows, cols) == (lr.grid.height, lr.grid.width) else
               f" The LR-HSI is cut to the {cols}×{rows} pixels (from column {col0}, row {row0}) "
               "that the HR-MSI covers.")
    message = (
        f"The HR-MSI ({hr.grid.width}×{hr.grid.height} pixels of {hr_px:g}) was{reprojected} "
        f"resampled with a GDAL warp ({resampling}) onto the grid nested in the LR-HSI's at the "
        f"nearest integer ratio {scale} (ratio was {lx / hr_px:.4f}): {cols * scale}×{rows * scale} "
        f"pixels of {lx / scale:g}, origin {origin[0]:.3f}, {origin[1]:.3f}.{cropped}")
    return PairPlan(scale, (row0, col0, rows, cols), (0, 0, rows * scale, cols * scale),
                    hr_warp=warp, message=message)


def read_warped(path: str, warp: Warp, rect: Optional[Rect] = None, role: str = "input") -> np.ndarray:
    """Read ``rect`` ``(row0, col0, rows, cols)`` of a warped input as float32 ``(C, rows, cols)``,
    in physical units (GDAL scale/offset applied); NaN where the warp has no valid source."""
    from .reading import open_raster, read_pixels

    info = read_raster_info(path, role)
    grid = warp.grid
    window = None if rect is None else Window(rect[1], rect[0], rect[3], rect[2])
    with open_raster(path, role) as src, WarpedVRT(
            src, crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height,
            resampling=Resampling[warp.resampling], src_nodata=src.nodata,
            nodata=src.nodata) as vrt:
        return read_pixels(vrt, info.band_indexes, info.radiometry, role, window)


def hr_pixel_in_lr_crs(lr: Raster, hr: Raster) -> float:
    """The HR-MSI's pixel size measured in the LR-HSI's CRS units (across the HR scene's centre)."""
    t = hr.grid.transform
    cx, cy = hr.grid.width / 2.0, hr.grid.height / 2.0
    points = [t * (cx + dx, cy + dy) for dx, dy in ((0, 0), (1, 0), (0, 1))]
    xs, ys = to_crs(hr.grid.crs, lr.grid.crs, [p[0] for p in points], [p[1] for p in points])
    return math.sqrt(abs((xs[1] - xs[0]) * (ys[2] - ys[0]) - (xs[2] - xs[0]) * (ys[1] - ys[0])))
