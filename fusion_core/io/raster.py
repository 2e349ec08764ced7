"""Georeferenced raster reading and writing (rasterio/GDAL) that keeps wavelengths and band names.

Reading returns physical float32 values with NaN wherever a pixel is invalid (nodata, mask, alpha,
NaN; see :mod:`.masks`), after GDAL scale/offset (:mod:`.radiometry`), with wavelengths from GDAL
metadata or the product's own files (:mod:`.wavelengths`, :mod:`.sidecars`). Wavelengths are
written where GDAL, QGIS and EnMAP-Box look: band-level ``wavelength`` / ``wavelength_units``
metadata (default domain) and the dataset-level ENVI domain (``wavelength = {…}``). Outputs are
tiled, compressed GeoTIFFs encoded as an :class:`~fusion_core.io.output_format.OutputOptions`
says, written under a temporary name and renamed on success, so a failed or cancelled run leaves
no half file.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from ..errors import InputError
from .dates import acquisition_time_of
from .display import band_label
from .masks import data_band_indexes, empty_band_positions, mask_kinds
from .output_format import OutputOptions, finish_layout
from .radiometry import BandRadiometry, band_radiometry, describe_radiometry
from .reading import open_raster, read_pixels
from .sidecars import product_bands
from .wavelengths import wavelengths_from_gdal

__all__ = ["RasterGrid", "Raster", "read_raster", "read_raster_info", "empty_bands", "write_raster",
           "atomic_path", "write_spectral_metadata"]

# Rows read at a time when scanning a whole raster for bands without any valid pixel.
_SCAN_ROWS = 256


@dataclass(frozen=True)
class RasterGrid:
    """Where a raster's pixels are: CRS, affine geotransform and size."""

    crs: Optional[CRS]
    transform: Affine
    width: int
    height: int

    @property
    def pixel_size(self) -> tuple[float, float]:
        """(x, y) pixel size in CRS units (both positive)."""
        return abs(self.transform.a), abs(self.transform.e)

    def scaled(self, factor: int) -> "RasterGrid":
        """The grid with pixels ``factor`` times larger and the same origin."""
        return RasterGrid(self.crs, self.transform * Affine.scale(factor),
                          self.width // factor, self.height // factor)


@dataclass
class Raster:
    """A band-first ``(C, H, W)`` float32 array with its grid and spectral metadata.

    ``data`` holds physical values (GDAL scale/offset applied) and NaN where a pixel is invalid.
    The bands are the data bands: an alpha band is left out of ``data``, names and wavelengths.

    Attributes:
        band_indexes: the GDAL (1-based) index of each band in the file.
        radiometry: per band, how stored numbers became ``data`` and what marks them invalid.
        wavelength_source: where ``wavelengths`` came from, or why there are none (for the log).
        native_resolution: per band, the pixel size (CRS units) it was acquired at when the file
            says so (band metadata item ``native_resolution``, which the product readers write
            for bands resampled onto a finer grid), else None; empty when no band says.
        acquired: the acquisition time in the raster's metadata (ISO 8601, UTC), when it has one
            (:func:`.dates.acquisition_time_of`).
    """

    data: np.ndarray
    grid: RasterGrid
    band_names: list[str] = field(default_factory=list)
    wavelengths: Optional[np.ndarray] = None
    fwhm: Optional[np.ndarray] = None
    path: Optional[str] = None
    band_indexes: list[int] = field(default_factory=list)
    radiometry: list[BandRadiometry] = field(default_factory=list)
    wavelength_source: str = ""
    native_resolution: list[Optional[float]] = field(default_factory=list)
    acquired: Optional[str] = None

    @property
    def count(self) -> int:
        return int(self.data.shape[0])

    def select(self, bands: Optional[Sequence[int]]) -> "Raster":
        """The raster restricted to the bands at positions ``bands`` (metadata and data); None
        keeps every band (a run's bands used: ``Source.lr_bands``)."""
        if bands is None:
            return self
        keep = list(bands)

        def pick(values):
            return None if values is None else (
                values[keep] if isinstance(values, np.ndarray) else [values[i] for i in keep])

        return replace(self, data=self.data[keep], band_names=pick(self.band_names),
                       wavelengths=pick(self.wavelengths), fwhm=pick(self.fwhm),
                       band_indexes=pick(self.band_indexes) if self.band_indexes else [],
                       radiometry=pick(self.radiometry) if self.radiometry else [],
                       native_resolution=pick(self.native_resolution) if self.native_resolution else [])

    def describe_radiometry(self) -> str:
        """One line for the log: data types, scale/offset and nodata of the bands."""
        return describe_radiometry(self.radiometry)


def read_raster_info(path: str | os.PathLike, role: str = "input") -> Raster:
    """Grid, band and spectral metadata of a raster, with an empty ``(C, 0, 0)`` data array."""
    with open_raster(path, role) as ds:
        return _info(ds, path)


def _info(ds, path) -> Raster:
    indexes = data_band_indexes(ds)
    product, note = product_bands(path, len(indexes))
    spectral = wavelengths_from_gdal(ds, indexes)
    if not spectral.known and product is not None:
        spectral = product.spectral
    source = spectral.source if spectral.known or not note else f"none ({note})"
    gains = (product.gains, product.offsets, product.spectral.source) if product else (None, None, "")
    radiometry = band_radiometry(ds, indexes, mask_kinds(ds, indexes), *gains)
    descriptions = ds.descriptions
    names = [descriptions[i - 1] or f"Band {i}" for i in indexes]
    grid = RasterGrid(ds.crs, ds.transform, ds.width, ds.height)
    return Raster(np.empty((len(indexes), 0, 0), np.float32), grid, names, spectral.wavelengths,
                  spectral.fwhm, str(path), indexes, radiometry, source, _native_resolution(ds, indexes),
                  acquisition_time_of(ds))


def _native_resolution(ds, indexes: Sequence[int]) -> list[Optional[float]]:
    """Each band's ``native_resolution`` metadata item as a number (None where absent or not a
    positive number); empty when no band has one."""
    values: list[Optional[float]] = []
    for i in indexes:
        try:
            value: Optional[float] = float(ds.tags(i).get("native_resolution", ""))
        except ValueError:
            value = None
        values.append(value if value is not None and np.isfinite(value) and value > 0 else None)
    return values if any(v is not None for v in values) else []


def read_raster(path: str | os.PathLike, role: str = "input", window: Optional[Window] = None,
                out_shape: Optional[tuple[int, int]] = None, bands: Optional[Sequence[int]] = None) -> Raster:
    """Read a raster as physical float32 ``(C, H, W)`` values, NaN wherever a pixel is invalid.

    Args:
        path: any GDAL-readable raster.
        role: how the raster is named in error messages (e.g. ``"LR-HSI"``).
        window: optional pixel window to read.
        out_shape: optional ``(rows, cols)`` to decimate the window to (nearest neighbour, masks
            and scaling as at full resolution); the grid returned has the coarser pixels.
        bands: positions (0-based) of the data bands to read (all when None); the rest of the
            description is the whole raster's.
    """
    with open_raster(path, role) as ds:
        info = _info(ds, path)
        wanted = range(len(info.band_indexes)) if bands is None else bands
        data = read_pixels(ds, [info.band_indexes[b] for b in wanted], [info.radiometry[b] for b in wanted],
                           role, window, out_shape)
        if window is not None or out_shape is not None:
            win = window if window is not None else Window(0, 0, ds.width, ds.height)
            rows, cols = data.shape[1:]
            t = ds.window_transform(win) * Affine.scale(win.width / cols, win.height / rows)
            info.grid = RasterGrid(ds.crs, t, cols, rows)
        info.data = data
        return info


def empty_bands(path: str | os.PathLike, role: str = "input") -> list[int]:
    """0-based positions of the data bands that have no valid pixel at all (e.g. EnMAP's
    water-vapour bands filled with nodata), so a caller can drop or refuse them by name.

    Reads strips of rows, and only the bands still without a valid pixel: about one strip of all
    bands, then the empty ones, whatever the raster's size.
    """
    with open_raster(path, role) as ds:
        info = _info(ds, path)
        left = list(range(info.count))
        for row in range(0, ds.height, _SCAN_ROWS):
            window = Window(0, row, ds.width, min(_SCAN_ROWS, ds.height - row))
            data = read_pixels(ds, [info.band_indexes[k] for k in left],
                               [info.radiometry[k] for k in left], role, window)
            left = [left[k] for k in empty_band_positions(data)]
            if not left:
                break
        return left


def atomic_path(path: str | os.PathLike) -> Path:
    """A temporary sibling path for ``path`` (same folder, so the final rename is atomic)."""
    p = Path(path)
    return p.with_name(f".{p.stem}.{uuid.uuid4().hex[:8]}.part{p.suffix}")


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path; rename it onto ``path`` on success, delete it on any error."""
    tmp = atomic_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".aux.xml")):
            if leftover.exists():
                leftover.unlink()


def write_raster(
    path: str | os.PathLike,
    data: np.ndarray,
    grid: RasterGrid,
    band_names: Optional[Sequence[str]] = None,
    wavelengths: Optional[np.ndarray] = None,
    fwhm: Optional[np.ndarray] = None,
    options: Optional[OutputOptions] = None,
) -> None:
    """Write ``(C, H, W)`` data as a tiled, compressed GeoTIFF, atomically.

    Band descriptions, ``wavelength``/``wavelength_units`` (nm) and ``fwhm`` are written per band
    and in the ENVI domain so QGIS, GDAL and EnMAP-Box all see them. ``options`` chooses the
    codec, the data type (float32 with NaN as nodata, or scaled int16) and the layout (GTiff,
    with overviews or not, or COG); default :class:`OutputOptions`.
    """
    c, h, w = data.shape
    if (w, h) != (grid.width, grid.height):
        raise InputError(f"Data is {w}×{h} pixels but the grid is {grid.width}×{grid.height}.")
    options = (options or OutputOptions()).with_data_scale(_typical(data))
    profile = dict(
        driver="GTiff", width=w, height=h, count=c, crs=grid.crs, transform=grid.transform,
        tiled=True, blockxsize=256, blockysize=256, interleave="band", bigtiff="if_safer",
        **options.profile(),
    )
    if w < 256 or h < 256:
        profile.update(blockxsize=_block(w), blockysize=_block(h))
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(options.encode(data))
            write_spectral_metadata(dst, band_names, wavelengths, fwhm)
            options.write_scaling(dst)
        finish_layout(tmp, options, profile["blockxsize"])


def write_spectral_metadata(dst, band_names: Optional[Sequence[str]] = None,
                            wavelengths: Optional[np.ndarray] = None,
                            fwhm: Optional[np.ndarray] = None, bad_bands: Sequence[int] = ()) -> None:
    """Write band descriptions, wavelengths/FWHM and the bad-band list in every convention that
    GDAL, QGIS and EnMAP-Box read.

    Per band: ``wavelength``/``wavelength_units`` (nm), ``fwhm`` and ``bbl`` (1 good, 0 bad) in
    the default domain (QGIS, EnMAP-Box) and ``CENTRAL_WAVELENGTH_UM``/``FWHM_UM`` (µm) in the
    IMAGERY domain, which GDAL ≥ 3.10 reads as the band's spectral characteristics and older
    GDALs keep as plain metadata; for the dataset the ENVI domain (``wavelength = {…}``, ``fwhm``,
    ``bbl``), which EnMAP-Box and GDAL's ENVI driver read. ``bad_bands`` are 0-based positions of
    bands written as nodata (e.g. water-vapour bands without a valid input pixel). A description
    gets its band's wavelength appended when it names none (``band_label``).

    ``dst`` is a rasterio dataset open for writing.
    """
    bbl = [0 if i in set(bad_bands) else 1 for i in range(dst.count)]
    for i in range(dst.count):
        if band_names is not None:
            wavelength = None if wavelengths is None else float(wavelengths[i])
            dst.set_band_description(i + 1, band_label(str(band_names[i]), wavelength))
        tags = {"bbl": str(bbl[i])} if bad_bands else {}
        if wavelengths is not None:
            tags |= {"wavelength": f"{wavelengths[i]:.4f}", "wavelength_units": "Nanometers"}
            imagery = {"CENTRAL_WAVELENGTH_UM": f"{wavelengths[i] / 1000:.7f}"}
            if fwhm is not None:
                tags["fwhm"] = f"{fwhm[i]:.4f}"
                imagery["FWHM_UM"] = f"{fwhm[i] / 1000:.7f}"
            dst.update_tags(i + 1, ns="IMAGERY", **imagery)
        if tags:
            dst.update_tags(i + 1, **tags)
    envi = {"bbl": "{" + ", ".join(map(str, bbl)) + "}"} if bad_bands else {}
    if wavelengths is not None:
        envi |= {"wavelength": "{" + ", ".join(f"{v:.4f}" for v in wavelengths) + "}",
                 "wavelength_units": "Nanometers"}
        if fwhm is not None:
            envi["fwhm"] = "{" + ", ".join(f"{v:.4f}" for v in fwhm) + "}"
    if envi:
        dst.update_tags(ns="ENVI", **envi)


def _typical(data: np.ndarray) -> float:
    """The 99.9th percentile of ``|data|`` (finite values): what an int16 scale is chosen from."""
    finite = np.abs(data[np.isfinite(data)])
    return float(np.percentile(finite, 99.9)) if finite.size else 0.0


def _block(n: int) -> int:
    """Largest tile edge (multiple of 16, as GeoTIFF requires) not above 256 that suits ``n``."""
    return max(16, min(256, (n + 15) // 16 * 16))
