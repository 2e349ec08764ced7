"""Georeferenced raster reading and writing (rasterio/GDAL) that keeps wavelengths and band names.

Wavelengths are read from, and written to, the places GDAL, QGIS and EnMAP-Box look:
band-level ``wavelength`` / ``wavelength_units`` metadata (default domain) and the dataset-level
ENVI domain (``wavelength = {…}``). Outputs are tiled, compressed GeoTIFFs encoded as an
:class:`~fusion_core.io.output_format.OutputOptions` says, written under a temporary name and
renamed on success, so a failed or cancelled run leaves no half file.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from ..errors import InputError
from .output_format import OutputOptions, finish_layout

__all__ = ["RasterGrid", "Raster", "read_raster", "read_raster_info", "write_raster", "atomic_path",
           "write_spectral_metadata"]

_UNIT_TO_NM = {
    "nanometers": 1.0, "nanometer": 1.0, "nm": 1.0,
    "micrometers": 1e3, "micrometer": 1e3, "microns": 1e3, "um": 1e3, "µm": 1e3,
    "millimeters": 1e6, "mm": 1e6,
}


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
    """A band-first ``(C, H, W)`` float32 array with its grid and spectral metadata."""

    data: np.ndarray
    grid: RasterGrid
    band_names: list[str] = field(default_factory=list)
    wavelengths: Optional[np.ndarray] = None
    fwhm: Optional[np.ndarray] = None
    path: Optional[str] = None

    @property
    def count(self) -> int:
        return int(self.data.shape[0])


def _open(path: str | os.PathLike, role: str):
    try:
        return rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"Cannot open the {role} raster {path}: {exc}.") from None


def _parse_list(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", text)]


def _read_spectral(ds) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """Wavelengths and FWHM in nm from band or ENVI metadata; None when absent."""
    envi = ds.tags(ns="ENVI")
    units = envi.get("wavelength_units", "")
    wl = _parse_list(envi["wavelength"]) if "wavelength" in envi else None
    fw = _parse_list(envi["fwhm"]) if "fwhm" in envi else None
    if wl is None or len(wl) != ds.count:
        band_tags = [ds.tags(i) for i in range(1, ds.count + 1)]
        if all("wavelength" in t for t in band_tags):
            wl = [float(t["wavelength"]) for t in band_tags]
            units = band_tags[0].get("wavelength_units", units)
            if all("fwhm" in t for t in band_tags):
                fw = [float(t["fwhm"]) for t in band_tags]
        else:
            wl = None
    if wl is None:
        return None, None
    factor = _UNIT_TO_NM.get(units.strip().lower())
    if factor is None:  # no unit given: guess from the magnitude, as ENVI readers do
        factor = 1e3 if max(wl) < 30 else 1.0
    wl_nm = np.asarray(wl, dtype=np.float64) * factor
    fw_nm = np.asarray(fw, dtype=np.float64) * factor if fw and len(fw) == ds.count else None
    return wl_nm, fw_nm


def read_raster_info(path: str | os.PathLike, role: str = "input") -> Raster:
    """Grid and spectral metadata of a raster, with an empty ``(C, 0, 0)`` data array."""
    with _open(path, role) as ds:
        return _info(ds, path)


def _info(ds, path) -> Raster:
    wl, fw = _read_spectral(ds)
    names = [d or f"Band {i + 1}" for i, d in enumerate(ds.descriptions)]
    grid = RasterGrid(ds.crs, ds.transform, ds.width, ds.height)
    return Raster(np.empty((ds.count, 0, 0), np.float32), grid, names, wl, fw, str(path))


def read_raster(path: str | os.PathLike, role: str = "input", window: Optional[Window] = None) -> Raster:
    """Read a raster as float32 ``(C, H, W)``; refuse NaN or nodata pixels with a clear message.

    Args:
        path: any GDAL-readable raster.
        role: how the raster is named in error messages (e.g. ``"LR-HSI"``).
        window: optional pixel window to read.
    """
    with _open(path, role) as ds:
        info = _info(ds, path)
        data = ds.read(window=window, out_dtype=np.float32, masked=False)
        bad = ~np.isfinite(data)
        if ds.nodata is not None and np.isfinite(ds.nodata):
            bad |= data == np.float32(ds.nodata)
        if bad.any():
            bands = np.flatnonzero(bad.any(axis=(1, 2))) + 1
            shown = ", ".join(map(str, bands[:10])) + (" …" if bands.size > 10 else "")
            raise InputError(
                f"The {role} raster {path} has {int(bad.sum())} NaN or nodata values in band(s) "
                f"{shown}: fill them or remove those bands (e.g. with 'Rearrange bands' or "
                "'Fill nodata') before fusion."
            )
        if window is not None:
            t = ds.window_transform(window)
            info.grid = RasterGrid(ds.crs, t, data.shape[2], data.shape[1])
        info.data = data
        return info


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
                            fwhm: Optional[np.ndarray] = None) -> None:
    """Write band descriptions and wavelengths/FWHM (nm) per band and in the ENVI domain.

    ``dst`` is a rasterio dataset open for writing; where QGIS, GDAL and EnMAP-Box look.
    """
    for i in range(dst.count):
        if band_names is not None:
            dst.set_band_description(i + 1, str(band_names[i]))
        if wavelengths is not None:
            tags = {"wavelength": f"{wavelengths[i]:.4f}", "wavelength_units": "Nanometers"}
            if fwhm is not None:
                tags["fwhm"] = f"{fwhm[i]:.4f}"
            dst.update_tags(i + 1, **tags)
    if wavelengths is not None:
        envi = {"wavelength": "{" + ", ".join(f"{v:.4f}" for v in wavelengths) + "}",
                "wavelength_units": "Nanometers"}
        if fwhm is not None:
            envi["fwhm"] = "{" + ", ".join(f"{v:.4f}" for v in fwhm) + "}"
        dst.update_tags(ns="ENVI", **envi)


def _typical(data: np.ndarray) -> float:
    """The 99.9th percentile of ``|data|`` (finite values): what an int16 scale is chosen from."""
    finite = np.abs(data[np.isfinite(data)])
    return float(np.percentile(finite, 99.9)) if finite.size else 0.0


def _block(n: int) -> int:
    """Largest tile edge (multiple of 16, as GeoTIFF requires) not above 256 that suits ``n``."""
    return max(16, min(256, (n + 15) // 16 * 16))
