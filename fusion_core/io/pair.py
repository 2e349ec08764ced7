"""Checks that an LR-HSI and an HR-MSI describe the same place on nested grids.

Run before any compute so a user learns in a second, not after an hour, that the inputs do not
fit: different CRS, rotated grids, a non-integer resolution ratio, shifted extents.
"""

from __future__ import annotations

import math

from pyproj import CRS as ProjCRS

from ..errors import GridMismatchError
from .raster import Raster

__all__ = ["check_pair", "resolution_ratio"]

_TOL = 1e-6


def _same_crs(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return ProjCRS.from_wkt(a.to_wkt()) == ProjCRS.from_wkt(b.to_wkt())


def resolution_ratio(lr: Raster, hr: Raster) -> int:
    """The integer ratio LR pixel size / HR pixel size; raises when it is not an integer."""
    (lx, ly), (hx, hy) = lr.grid.pixel_size, hr.grid.pixel_size
    rx, ry = lx / hx, ly / hy
    if abs(rx - ry) > 1e-4 * max(rx, ry):
        raise GridMismatchError(
            f"The resolution ratio differs along x ({rx:.4f}) and y ({ry:.4f}): LR pixels are "
            f"{lx:g}×{ly:g}, HR pixels {hx:g}×{hy:g}. Resample one raster to square pixels first."
        )
    if rx < 1.0 - 1e-3:
        raise GridMismatchError(
            f"The LR-HSI pixels ({lx:g}) are smaller than the HR-MSI pixels ({hx:g}): the inputs "
            "look swapped. LR_HSI must be the hyperspectral image with the coarse pixels, HR_MSI "
            "the multispectral image with the fine ones."
        )
    r = round(rx)
    if abs(rx - r) > 1e-3:
        raise GridMismatchError(
            f"The LR-HSI pixel ({lx:g}) is not an integer multiple of the HR-MSI pixel ({hx:g}); "
            f"the ratio is {rx:.4f}. Resample the HR-MSI to a pixel size of {lx / max(r, 2):g} "
            f"(ratio {max(r, 2)}) with 'Warp (reproject)', aligned to the LR-HSI grid."
        )
    if r == 1:
        raise GridMismatchError(
            "The LR-HSI and HR-MSI have the same pixel size: there is nothing to sharpen. "
            "Check that LR_HSI is the hyperspectral image and HR_MSI the multispectral one."
        )
    return r


def check_pair(lr: Raster, hr: Raster) -> int:
    """Validate that ``lr`` and ``hr`` nest on one grid; return the resolution ratio r.

    Requires: equal CRS (compared with pyproj), north-up grids, an integer ratio r, the same
    origin (top-left corner) and HR size = r × LR size, and more HSI bands than MSI bands.
    """
    if not _same_crs(lr.grid.crs, hr.grid.crs):
        if lr.grid.crs is None or hr.grid.crs is None:
            role, other = ("LR-HSI", hr.grid.crs) if lr.grid.crs is None else ("HR-MSI", lr.grid.crs)
            raise GridMismatchError(
                f"The {role} has no CRS (the other image's is {other.to_string()}): assign it the "
                "CRS it was produced in ('Assign projection' in QGIS, or gdal_edit.py -a_srs "
                "EPSG:<code> <file>), then run again.")
        name = lambda c: c.to_string()  # noqa: E731
        raise GridMismatchError(
            f"The LR-HSI CRS ({name(lr.grid.crs)}) differs from the HR-MSI CRS "
            f"({name(hr.grid.crs)}): reproject the LR-HSI onto the HR-MSI's CRS first "
            "('Warp (reproject)'), then run again."
        )
    for role, g in (("LR-HSI", lr.grid), ("HR-MSI", hr.grid)):
        if abs(g.transform.b) > _TOL or abs(g.transform.d) > _TOL:
            raise GridMismatchError(f"The {role} grid is rotated: warp it to a north-up grid first.")
    r = resolution_ratio(lr, hr)
    hx, hy = hr.grid.pixel_size
    dx = (hr.grid.transform.c - lr.grid.transform.c) / hx
    dy = (hr.grid.transform.f - lr.grid.transform.f) / hy
    if math.hypot(dx, dy) > 1e-2:
        raise GridMismatchError(
            f"The HR-MSI's top-left corner is {dx:+.2f}, {dy:+.2f} HR pixels (x, y) from the "
            "LR-HSI's: the grids must share their origin. Clip both rasters to the same extent "
            "aligned on LR pixel edges ('Clip raster by extent'), then run again."
        )
    if (hr.grid.width, hr.grid.height) != (lr.grid.width * r, lr.grid.height * r):
        raise GridMismatchError(
            f"The HR-MSI is {hr.grid.width}×{hr.grid.height} pixels but ratio {r} × the LR-HSI's "
            f"{lr.grid.width}×{lr.grid.height} needs {lr.grid.width * r}×{lr.grid.height * r}: "
            "clip both rasters to the same extent, aligned on LR pixel edges."
        )
    if lr.count <= hr.count:
        raise GridMismatchError(
            f"The LR-HSI has {lr.count} bands and the HR-MSI {hr.count}: the hyperspectral input "
            "must have more bands. Check that the two inputs are not swapped."
        )
    return r
