"""Where the sensors' pixels lie in the product-like pairs, and the GDAL reads and warps they need.

The truth is a reflectance cube on a 10 m UTM grid. A sensor pixel is the truth seen through the
sensor's PSF *centred where that pixel really lies*: :func:`degrade_blocks` applies a PSF kernel
whose centre is moved off its HR block by the fraction of a pixel by which the two grids miss
each other (:func:`true_psf`), so a grid offset is simulated, never resampled afterwards. The
rest is what archives do to products (a tilted swath, a nodata corner, a neighbouring UTM zone)
and how a scorer reads them back (scale/offset applied, nodata as NaN).
"""

from __future__ import annotations

import math

import numpy as np
import rasterio
import torch
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from fusion_core.degradation import sensor_psf, spatial_degrade
from fusion_core.degradation.operators import psf_padding
from fusion_core.io import RasterGrid

__all__ = ["utm_site", "true_psf", "degrade_blocks", "swath_mask", "corner_mask", "warp",
           "neighbour_zone_grid", "read_physical", "shifted"]


def utm_site(lon: float, lat: float, snap_m: float = 60.0) -> tuple[CRS, tuple[float, float], CRS]:
    """The UTM zone of a place, its coordinates there (snapped to ``snap_m``, as Sentinel-2's
    tile origins are), and the neighbouring zone on the nearer side."""
    zone = int((lon + 180.0) // 6.0) + 1
    base = 32600 if lat >= 0 else 32700
    west_edge = -180.0 + 6.0 * (zone - 1)
    other = zone - 1 if lon - west_edge < 3.0 else zone + 1
    crs = CRS.from_epsg(base + zone)
    x, y = Transformer.from_crs(4326, base + zone, always_xy=True).transform(lon, lat)
    return crs, (round(x / snap_m) * snap_m, round(y / snap_m) * snap_m), CRS.from_epsg(base + other)


def true_psf(scale: int, fwhm: float, offset: tuple[float, float]) -> np.ndarray:
    """A Gaussian PSF of ``fwhm`` HR pixels on an LR block of ``scale``, its centre moved by
    ``offset`` (row, col) HR pixels from the block centre; the kernel holds ±1.5 FWHM beyond
    the block so the tails are not cut."""
    pad = math.ceil(1.5 * fwhm)
    return sensor_psf(scale, fwhm, size=scale + 2 * pad, shift=offset)


def degrade_blocks(hr: np.ndarray, block_origin: tuple[int, int], shape: tuple[int, int],
                   psf: np.ndarray, scale: int) -> np.ndarray:
    """The LR image ``(C, h, w)`` seen by a sensor whose pixel ``(i, j)`` is ``psf`` applied to
    the HR block starting at ``block_origin + scale·(i, j)`` of ``hr`` ``(C, H, W)``.

    HR pixels outside ``hr`` are NaN, so an LR pixel whose PSF reaches outside (or onto NaN) is NaN.
    """
    before, after = psf_padding(psf.shape[0], scale)
    extra = math.ceil(max(before, after) / scale)
    (r0, c0), (h, w) = block_origin, shape
    rows, cols = (h + 2 * extra) * scale, (w + 2 * extra) * scale
    top, left = r0 - extra * scale, c0 - extra * scale
    crop = np.full((hr.shape[0], rows, cols), np.nan)
    src_r = slice(max(top, 0), min(top + rows, hr.shape[1]))
    src_c = slice(max(left, 0), min(left + cols, hr.shape[2]))
    if src_r.start < src_r.stop and src_c.start < src_c.stop:
        crop[:, src_r.start - top:src_r.stop - top, src_c.start - left:src_c.stop - left] = hr[:, src_r, src_c]
    out = spatial_degrade(torch.from_numpy(crop)[None], psf, scale)[0].numpy()
    return out[:, extra:extra + h, extra:extra + w]


def swath_mask(shape: tuple[int, int], nodata_share: float, angle_deg: float = 12.0) -> np.ndarray:
    """Valid pixels of a swath tilted by ``angle_deg`` from north: a rotated rectangle longer than
    the raster, just wide enough to leave ``nodata_share`` of the pixels outside it (as an
    EnMAP/PRISMA/DESIS L2A tile on a north-up UTM grid)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    t = np.deg2rad(angle_deg)
    across = np.abs((cols - (shape[1] - 1) / 2) * np.cos(t) + (rows - (shape[0] - 1) / 2) * np.sin(t))
    return across <= np.quantile(across, 1.0 - nodata_share)


def corner_mask(shape: tuple[int, int], nodata_share: float) -> np.ndarray:
    """Valid pixels of a raster whose top-left corner (a triangle of ``nodata_share`` of the
    pixels) is nodata, as a Sentinel-2 tile at the edge of its orbit's swath."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    diagonal = rows / shape[0] + cols / shape[1]
    return diagonal >= np.quantile(diagonal, nodata_share)


def warp(data: np.ndarray, src: RasterGrid, dst: RasterGrid, resampling: str) -> np.ndarray:
    """``data`` ``(C, h, w)`` (NaN = nodata) warped by GDAL onto ``dst``; NaN where nothing maps."""
    out = np.full((data.shape[0], dst.height, dst.width), np.nan, dtype=np.float32)
    reproject(np.ascontiguousarray(data, dtype=np.float32), out, src_transform=src.transform,
              src_crs=src.crs, dst_transform=dst.transform, dst_crs=dst.crs,
              resampling=Resampling[resampling], src_nodata=np.nan, dst_nodata=np.nan)
    return out


def neighbour_zone_grid(grid: RasterGrid, crs: CRS) -> RasterGrid:
    """The north-up grid, same pixel size, that covers ``grid`` in ``crs`` (GDAL's choice)."""
    left, top = grid.transform * (0, 0)
    right, bottom = grid.transform * (grid.width, grid.height)
    transform, width, height = calculate_default_transform(
        grid.crs, crs, grid.width, grid.height, left=left, bottom=bottom, right=right, top=top,
        resolution=grid.pixel_size)
    return RasterGrid(crs, transform, width, height)


def read_physical(path: str) -> tuple[np.ndarray, RasterGrid]:
    """A raster as float32 ``(C, H, W)`` in physical units (GDAL scale and offset applied) with
    NaN where it is nodata or masked, and its grid; independent of the plugin's reader."""
    with rasterio.open(path) as ds:
        data = ds.read(masked=True).astype(np.float64)
        scales = np.asarray(ds.scales, dtype=np.float64)[:, None, None]
        offsets = np.asarray(ds.offsets, dtype=np.float64)[:, None, None]
        grid = RasterGrid(ds.crs, ds.transform, ds.width, ds.height)
    return (data * scales + offsets).filled(np.nan).astype(np.float32), grid


def shifted(transform: Affine, east_m: float, north_m: float) -> Affine:
    """``transform`` moved ``east_m`` east and ``north_m`` north (a georeferencing error)."""
    return Affine(transform.a, transform.b, transform.c + east_m,
                  transform.d, transform.e, transform.f + north_m)
