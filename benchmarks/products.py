"""Product-like LR-HSI / HR-MSI pairs, made from one truth the way the archives deliver them.

The truth is a reflectance cube ``(C, H, W)`` with its wavelengths on a 10 m UTM grid. The
LR-HSI (EnMAP/PRISMA-like, ``scale`` × 10 m) is the truth seen through a Gaussian PSF of FWHM
``scale`` HR pixels centred where each LR pixel really lies (:mod:`.product_geometry`), with
40 dB noise; the HR-MSI (Sentinel-2-like, 10 m) is the truth integrated by the real Sentinel-2A
SRF (:func:`fusion_core.srf.load_preset`) with 45 dB noise. Every variant of :data:`VARIANTS`
is a function of the same truth, and ``stack_10m_only`` is the tidy pair the seeds fuse (nested
grids, float32, no nodata, the four 10 m bands): the control the others differ from by one
trait, except ``all_at_once``.

:func:`make_product` writes a variant's GeoTIFFs and returns, beside the paths, what a scorer
needs: the truth on the HR-MSI's pixel grid (with the HR-MSI's georeferencing), the true PSF and
where the LR blocks start on that grid, and the area to score. :func:`tiny_products` makes the
same variants with an LR-HSI of about 12×12 pixels from the synthetic sample scene, for tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import rasterio
from affine import Affine
from scipy import ndimage

from benchmarks.product_geometry import (
    corner_mask,
    degrade_blocks,
    neighbour_zone_grid,
    shifted,
    swath_mask,
    true_psf,
    utm_site,
    warp,
)
from fusion_core.degradation import add_noise
from fusion_core.io import RasterGrid
from fusion_core.io.raster import write_spectral_metadata
from fusion_core.srf import load_preset
from fusion_core.srf.resample import resample_srf

__all__ = ["Truth", "ProductOptions", "Product", "VARIANTS", "SITES", "S2_10M", "S2_20M", "S2_ORDER",
           "truth_at", "make_product", "write_geotiff", "tiny_truth", "tiny_products"]

S2_10M = ("B2", "B3", "B4", "B8")
S2_20M = ("B5", "B6", "B7", "B8A", "B11", "B12")
S2_ORDER = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
#: Where the real scenes were taken (lon, lat): their UTM zone, and the neighbouring one.
SITES = {"jasper_ridge": (-122.24, 37.40), "aviris_santa_barbara": (-119.73, 34.43),
         "enmap_potsdam": (13.06, 52.40)}
_HR_M = 10.0
_INT16_NODATA, _DN_NODATA, _FLOAT_NODATA = -32768, 0, -9999.0
_SWATH_NODATA, _CORNER_NODATA = 0.25, 0.12


@dataclass(frozen=True)
class Truth:
    """A reflectance cube ``(C, H, W)`` on a 10 m UTM grid, and the neighbouring UTM zone's CRS."""

    name: str
    cube: np.ndarray
    wavelengths: np.ndarray
    fwhm: Optional[np.ndarray]
    grid: RasterGrid
    neighbour_crs: rasterio.crs.CRS


def truth_at(name: str, cube: np.ndarray, wavelengths: np.ndarray, fwhm: Optional[np.ndarray],
             lon: float, lat: float) -> Truth:
    """Place a reflectance cube on a 10 m grid in the UTM zone of ``(lon, lat)``; ``fwhm`` (nm)
    when the scene has band widths (they go into the LR-HSI's metadata)."""
    crs, (x, y), other = utm_site(lon, lat)
    grid = RasterGrid(crs, Affine(_HR_M, 0.0, x, 0.0, -_HR_M, y), cube.shape[2], cube.shape[1])
    return Truth(name, np.asarray(cube, dtype=np.float64), np.asarray(wavelengths, dtype=np.float64),
                 None if fwhm is None else np.asarray(fwhm, dtype=np.float64), grid, other)


@dataclass(frozen=True)
class ProductOptions:
    """How a product pair differs from the tidy nested pair (all defaults: the tidy pair).

    Attributes:
        scale: LR pixel / HR pixel (3: EnMAP 30 m over Sentinel-2 10 m).
        lr_offset_m: the LR grid's origin this far east and south of an HR grid line.
        int16_swath: LR as int16 reflectance × 10⁴ (scale 1e-4, nodata −32768), a tilted swath.
        s2_dn_offset: HR-MSI as uint16 DN = reflectance × 10⁴ + 1000 (scale 1e-4, offset −0.1,
            nodata 0), with a nodata corner.
        larger_extent: the HR-MSI covers more ground than the LR-HSI on three sides, and the
            LR-HSI covers ground the HR-MSI lacks on the fourth.
        neighbour_zone: the LR-HSI warped by GDAL (bilinear) into the neighbouring UTM zone.
        stack_20m: the 20 m bands (B5–B7, B8A, B11, B12) stacked at 10 m beside B2–B4, B8 by this
            GDAL resampling (``"nearest"``: each 20 m pixel repeated 2×2, what ``gdal_translate -tr
            10 10`` and ``gdalbuildvrt`` give by default; ``"bilinear"``, ``"cubic"``); "" for none.
        wavelengths: whether the LR-HSI carries wavelength metadata.
        misregistration_m: (east, north) error of the HR-MSI's georeferencing.
    """

    scale: int = 3
    lr_offset_m: float = 0.0
    int16_swath: bool = False
    s2_dn_offset: bool = False
    larger_extent: bool = False
    neighbour_zone: bool = False
    stack_20m: str = ""
    wavelengths: bool = True
    misregistration_m: tuple[float, float] = (0.0, 0.0)
    lr_snr_db: float = 40.0
    msi_snr_db: float = 45.0
    seed: int = 0


VARIANTS: dict[str, ProductOptions] = {
    "stack_10m_only": ProductOptions(),
    "enmap_int16_swath": ProductOptions(int16_swath=True),
    "s2_dn_offset": ProductOptions(s2_dn_offset=True),
    "larger_extent": ProductOptions(larger_extent=True),
    "half_pixel_offset": ProductOptions(lr_offset_m=5.0),
    "utm_neighbour": ProductOptions(neighbour_zone=True),
    "stack_20m": ProductOptions(stack_20m="bilinear"),
    "stack_20m_nearest": ProductOptions(stack_20m="nearest"),
    "stack_20m_cubic": ProductOptions(stack_20m="cubic"),
    "no_wavelengths": ProductOptions(wavelengths=False),
    "misregistered": ProductOptions(misregistration_m=(36.0, -15.0)),
    "all_at_once": ProductOptions(lr_offset_m=5.0, int16_swath=True, s2_dn_offset=True,
                                  larger_extent=True),
}


@dataclass
class Product:
    """A written pair and the truth behind it.

    Attributes:
        lr_grid: the LR-HSI's grid as simulated, true georeferencing in the truth's CRS (the
            delivered file differs in ``utm_neighbour``).
        psf: the true PSF ``(K, K)`` on the LR blocks, the grid's sub-pixel offset included.
        lr_block_origin: HR-MSI pixel (row, col) where LR pixel (0, 0)'s block starts.
        score_mask: ``(H, W)`` on the HR-MSI's grid: pixels under an LR pixel whose 3×3
            neighbourhood is valid and whose HR-MSI is valid within ``scale`` pixels.
        lr_nodata_share: share of the delivered LR-HSI's pixels that are nodata.
    """

    variant: str
    lr_path: Path
    hr_path: Path
    truth_path: Path
    scale: int
    lr_grid: RasterGrid
    psf: np.ndarray
    lr_block_origin: tuple[int, int]
    score_mask: np.ndarray
    lr_nodata_share: float
    options: Optional[ProductOptions] = None


@dataclass(frozen=True)
class _Layout:
    lr_origin: tuple[float, float]          # LR grid's top-left corner, truth pixels (row, col)
    lr_shape: tuple[int, int]
    msi_window: tuple[int, int, int, int]   # row0, col0, rows, cols in truth pixels


def _layout(shape: tuple[int, int], opts: ProductOptions, margin: int) -> _Layout:
    """The LR grid as large as the truth allows, ``margin`` HR pixels kept for the PSF's tails."""
    r, frac = opts.scale, opts.lr_offset_m / _HR_M
    height, width = shape
    if not opts.larger_extent:                # the HR-MSI: the HR pixels the LR-HSI touches
        o = margin + frac
        h, w = ((n - margin - math.floor(o)) // r for n in shape)
        start = math.floor(o)
        return _Layout((o, o), (h, w), (start, start, math.ceil(o + r * h) - start,
                                        math.ceil(o + r * w) - start))
    o = margin + 2 * r + frac                # the HR-MSI reaches 2+ LR pixels beyond the LR-HSI
    h = (height - margin - 2 * r - math.floor(o)) // r
    w = (width - margin - math.floor(o)) // r
    msi_cols = math.floor(o + r * (w - 3))   # and lacks the LR-HSI's last three columns
    return _Layout((o, o), (h, w), (0, 0, height, msi_cols))


def make_product(truth: Truth, variant: str, folder: Path,
                 options: Optional[ProductOptions] = None) -> Product:
    """Write the LR-HSI, HR-MSI and truth GeoTIFFs of ``variant`` (a key of :data:`VARIANTS`,
    or any name with ``options``) into ``folder`` as ``<variant>_{lr_hsi,hr_msi,truth}.tif``."""
    opts = options or VARIANTS[variant]
    r, frac = opts.scale, opts.lr_offset_m / _HR_M
    psf = true_psf(r, float(r), (frac, frac))
    lay = _layout(truth.cube.shape[1:], opts, r * math.ceil((psf.shape[0] - r) // 2 / r))
    block = (math.floor(lay.lr_origin[0]), math.floor(lay.lr_origin[1]))
    rng = np.random.default_rng(opts.seed)
    lr = add_noise(degrade_blocks(truth.cube, block, lay.lr_shape, psf, r), opts.lr_snr_db, rng)
    msi, names, centres = _msi(truth, lay.msi_window, opts, rng)
    if not (np.isfinite(lr).all() and np.isfinite(msi).all()):
        raise ValueError(f"The truth {truth.name} is too small for variant {variant}.")
    r0, c0, rows, cols = lay.msi_window
    lr_valid = (swath_mask(lay.lr_shape, _SWATH_NODATA) if opts.int16_swath
                else np.ones(lay.lr_shape, dtype=bool))
    msi_valid = (corner_mask((rows, cols), _CORNER_NODATA) if opts.s2_dn_offset
                 else np.ones((rows, cols), dtype=bool))
    t = truth.grid.transform
    lr_grid = RasterGrid(truth.grid.crs, t * Affine.translation(lay.lr_origin[1], lay.lr_origin[0])
                         * Affine.scale(r), lay.lr_shape[1], lay.lr_shape[0])
    msi_grid = RasterGrid(truth.grid.crs, shifted(t * Affine.translation(c0, r0), *opts.misregistration_m),
                          cols, rows)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{variant}_{role}.tif" for role in ("lr_hsi", "hr_msi", "truth")]
    share = _write_lr(paths[0], np.where(lr_valid, lr, np.nan), lr_grid, truth, opts)
    _write_msi(paths[1], np.where(msi_valid, msi, np.nan), msi_grid, names, centres, opts)
    write_geotiff(paths[2], truth.cube[:, r0:r0 + rows, c0:c0 + cols], msi_grid, "float32", None,
           truth.wavelengths, truth.fwhm)
    mask = _score_mask(truth.cube.shape[1:], lay, lr_valid, msi_valid, r)
    return Product(variant, *paths, r, lr_grid, psf, (block[0] - r0, block[1] - c0), mask, share, opts)


def _msi(truth: Truth, window: tuple[int, int, int, int], opts: ProductOptions,
         rng: np.random.Generator) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The HR-MSI's bands on ``window``, their names and centre wavelengths (nm)."""
    table = load_preset("sentinel-2a")
    r0, c0, rows, cols = window

    def integrate(bands: Sequence[str]) -> np.ndarray:
        srf = resample_srf(table.select(bands), truth.wavelengths, truth.fwhm)
        return np.einsum("cm,chw->mhw", srf, truth.cube)

    ten = integrate(S2_10M)[:, r0:r0 + rows, c0:c0 + cols]
    bands = dict(zip(S2_10M, add_noise(ten, opts.msi_snr_db, rng)))
    if opts.stack_20m:  # on the tile's 20 m grid (same origin), then to 10 m as users stack them
        coarse = degrade_blocks(integrate(S2_20M), (r0, c0), (-(-rows // 2), -(-cols // 2)),
                                true_psf(2, 2.0, (0.0, 0.0)), 2)
        fine = RasterGrid(truth.grid.crs, truth.grid.transform * Affine.translation(c0, r0), cols, rows)
        coarse_grid = RasterGrid(fine.crs, fine.transform * Affine.scale(2), coarse.shape[2], coarse.shape[1])
        noisy = add_noise(coarse, opts.msi_snr_db, rng)
        bands.update(zip(S2_20M, warp(noisy, coarse_grid, fine, opts.stack_20m)))
    names = [b for b in S2_ORDER if b in bands]
    return np.stack([bands[n] for n in names]), names, table.select(names).centres()


def _write_lr(path: Path, lr: np.ndarray, grid: RasterGrid, truth: Truth, opts: ProductOptions) -> float:
    """Write the LR-HSI (NaN = nodata) as the variant delivers it; return its nodata share."""
    if opts.neighbour_zone:
        dst = neighbour_zone_grid(grid, truth.neighbour_crs)
        lr, grid = warp(lr, grid, dst, "bilinear"), dst
    valid = np.isfinite(lr).all(axis=0)
    meta = (truth.wavelengths, truth.fwhm) if opts.wavelengths else (None, None)
    if opts.int16_swath:
        raw = np.where(valid, np.clip(np.round(np.nan_to_num(lr) * 1e4), -32767, 32767), _INT16_NODATA)
        write_geotiff(path, raw, grid, "int16", _INT16_NODATA, *meta, scale=1e-4)
    else:
        nodata = None if valid.all() else _FLOAT_NODATA
        write_geotiff(path, np.where(valid, lr, _FLOAT_NODATA), grid, "float32", nodata, *meta)
    return float(1.0 - valid.mean())


def _write_msi(path: Path, msi: np.ndarray, grid: RasterGrid, names: list[str], centres: np.ndarray,
               opts: ProductOptions) -> None:
    """Write the HR-MSI (NaN = nodata): float32 reflectance, or Sentinel-2 L2A DN with offset."""
    if not opts.s2_dn_offset:
        write_geotiff(path, msi, grid, "float32", None, centres, None, names)
        return
    valid = np.isfinite(msi).all(axis=0)
    dn = np.where(valid, np.clip(np.round(np.nan_to_num(msi) * 1e4 + 1000), 1, 65535), _DN_NODATA)
    write_geotiff(path, dn, grid, "uint16", _DN_NODATA, centres, None, names, scale=1e-4, offset=-0.1)


def write_geotiff(path: Path, data: np.ndarray, grid: RasterGrid, dtype: str, nodata: Optional[float],
           wavelengths: Optional[np.ndarray], fwhm: Optional[np.ndarray],
           names: Optional[Sequence[str]] = None, scale: float = 1.0, offset: float = 0.0) -> None:
    """A GeoTIFF with GDAL scale/offset (when not 1/0), nodata and spectral metadata."""
    count = data.shape[0]
    with rasterio.open(path, "w", driver="GTiff", width=grid.width, height=grid.height, count=count,
                       dtype=dtype, crs=grid.crs, transform=grid.transform, nodata=nodata,
                       compress="deflate") as dst:
        dst.write(data.astype(dtype))
        if (scale, offset) != (1.0, 0.0):
            dst.scales, dst.offsets = (scale,) * count, (offset,) * count
        write_spectral_metadata(dst, names, wavelengths, fwhm)


def _score_mask(shape: tuple[int, int], lay: _Layout, lr_valid: np.ndarray, msi_valid: np.ndarray,
                r: int) -> np.ndarray:
    """HR-MSI pixels whose LR pixel has a valid 3×3 neighbourhood and whose HR-MSI is valid
    within ``r`` pixels (computed on the truth's grid, cut to the HR-MSI's window)."""
    lr_ok = ndimage.binary_erosion(lr_valid, np.ones((3, 3)), border_value=0)
    index = []
    for n, o, size in zip(shape, lay.lr_origin, lay.lr_shape):
        k = np.floor((np.arange(n) + 0.5 - o) / r).astype(int)
        index.append((np.clip(k, 0, size - 1), (k >= 0) & (k < size)))
    (kr, ir), (kc, ic) = index
    under = lr_ok[np.ix_(kr, kc)] & ir[:, None] & ic[None, :]
    r0, c0, rows, cols = lay.msi_window
    msi = np.zeros(shape, dtype=bool)
    msi[r0:r0 + rows, c0:c0 + cols] = msi_valid
    msi_ok = ndimage.binary_erosion(msi, np.ones((2 * r + 1, 2 * r + 1)), border_value=0)
    return (under & msi_ok)[r0:r0 + rows, c0:c0 + cols]


def tiny_truth(size: int = 48, bands: int = 40) -> Truth:
    """The synthetic sample scene (``size``² pixels, ``bands`` bands from 420 to 2450 nm) as a
    truth near Potsdam: with 48 pixels its product pairs have an LR-HSI of about 12×12 at r = 3."""
    from fusion_core.sample import make_sample_scene

    scene = make_sample_scene(size, size, bands, seed=0)
    return truth_at("sample", scene.cube, scene.wavelengths_nm, scene.fwhm_nm, *SITES["enmap_potsdam"])


def tiny_products(folder: Path, variants: Optional[Sequence[str]] = None) -> dict[str, Product]:
    """Small versions of :data:`VARIANTS` (LR-HSI about 12×12, r = 3) for unit tests."""
    truth = tiny_truth()
    return {v: make_product(truth, v, folder) for v in (variants or VARIANTS)}
