"""The fused raster, written region by region into a tiled, compressed BigTIFF.

The file is written under a partial name next to the final one (``<output>.part``) and renamed
onto the final name only when every region is in, so the final name never holds half a result.
Regions are whole tiles (the window layout puts every core edge on the tile grid), so each tile
is compressed once, by GDAL on every core. The partial file is closed and reopened after each
batch of regions, which flushes it to disk before the resume state says those regions are
written. How values are encoded (codec, float32 or scaled int16, COG, overviews) is an
:class:`~fusion_core.io.output_format.OutputOptions`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import rasterio
from rasterio.windows import Window

from ..io import RasterGrid
from ..io.output_format import OutputOptions, finish_layout
from ..io.raster import write_spectral_metadata
from .layout import WindowGrid

__all__ = ["TiledOutput", "choose_tile", "tile_edge", "partial_path"]

_MAX_TILE = 512


def partial_path(final: str | os.PathLike) -> Path:
    """Where the output is written until it is complete."""
    p = Path(final)
    return p.with_name(p.name + ".part")


def tile_edge(hr_core: int) -> int:
    """The largest multiple of 16 (TIFF's rule), at most 512, that divides ``hr_core`` (16 at least)."""
    best = 16
    for size in range(16, min(_MAX_TILE, hr_core) + 1, 16):
        if hr_core % size == 0:
            best = size
    return best


def choose_tile(grid: WindowGrid) -> int:
    """Tile edge (HR pixels): a multiple of 16, at most 512, dividing every core's HR edge."""
    hr_core = grid.core * grid.scale
    if grid.shape == (1, 1):
        hr_core = 16 * max(1, min(256, hr_core) // 16)
    return tile_edge(hr_core)


class TiledOutput:
    """A BigTIFF on ``grid``, band-interleaved, tiled ``tile``, encoded as ``options`` say
    (default: float32, ZSTD with the floating-point predictor, nodata NaN).

    Band descriptions and wavelengths (per band and in the ENVI domain) are written as
    :func:`fusion_core.io.write_raster` writes them, so QGIS and EnMAP-Box read the same metadata.
    ``options`` must have its int16 scale set (:meth:`OutputOptions.with_data_scale`);
    ``threads`` is how many threads GDAL compresses with (``"ALL_CPUS"``: every core).
    """

    def __init__(self, final: str | os.PathLike, grid: RasterGrid, count: int, tile: int,
                 band_names: Optional[Sequence[str]] = None,
                 wavelengths: Optional[np.ndarray] = None, fwhm: Optional[np.ndarray] = None,
                 options: OutputOptions = OutputOptions(), threads: str | int = "ALL_CPUS"):
        self.final = Path(final)
        self.path = partial_path(final)
        self.grid = grid
        self.count = count
        self.tile = tile
        self.options = options
        self.threads = threads
        self._meta = (band_names, wavelengths, fwhm)
        self._ds = None
        self._durable = True

    def open(self, resume: bool, durable: bool = True) -> None:
        """Open the partial file: the existing one when resuming, else a new one.

        ``durable``: :meth:`flush` puts what is written on disk (for a run that can be
        resumed). Otherwise the file stays open from its creation to :meth:`finish`, which
        also keeps the codec's level: GDAL 3.6 forgets it when a file is reopened.
        """
        self._durable = durable
        if resume and self.path.exists():
            self._ds = _update(self.path, self.threads)
            return
        g = self.grid
        profile = dict(
            driver="GTiff", width=g.width, height=g.height, count=self.count, crs=g.crs,
            transform=g.transform, tiled=True, blockxsize=self.tile, blockysize=self.tile,
            interleave="band", bigtiff="yes", sparse_ok=True, **self.options.profile(self.threads),
        )
        self._ds = rasterio.open(self.path, "w", **profile)
        write_spectral_metadata(self._ds, *self._meta)
        self.options.write_scaling(self._ds)

    def write(self, rect: tuple[int, int, int, int], data: np.ndarray) -> None:
        """Write ``data`` ``(C, rows, cols)`` (physical values, NaN for nodata) at HR rectangle
        ``rect`` ``(row0, col0, rows, cols)``."""
        self._ds.write(self.options.encode(data), window=Window(rect[1], rect[0], rect[3], rect[2]))

    def flush(self) -> None:
        """Put everything written so far on disk, when the output was opened ``durable``."""
        if self._durable:
            self._ds.close()
            self._ds = _update(self.path, self.threads)

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None

    def finish(self) -> None:
        """Close the partial file, add overviews or make it a COG when asked, and give it the
        final name."""
        self.close()
        finish_layout(self.path, self.options, self.tile, self.threads)
        os.replace(self.path, self.final)

    def discard(self) -> None:
        """Close and delete the partial file."""
        self.close()
        for leftover in (self.path, Path(str(self.path) + ".aux.xml")):
            if leftover.exists():
                leftover.unlink()


def _update(path: Path, threads: str | int):
    """``path`` open for writing, compressing with ``threads`` threads (a creation option that
    GDAL does not keep in the file, so it is given again on each opening)."""
    return rasterio.open(path, "r+", num_threads=str(threads))
