"""The fused raster, written region by region into a tiled, compressed BigTIFF.

The file is written under a partial name next to the final one (``<output>.part``) and renamed
onto the final name only when every region is in, so the final name never holds half a result.
Regions are whole tiles (the window layout puts every core edge on the tile grid), so each tile
is compressed once. The partial file is closed and reopened after each batch of regions, which
flushes it to disk before the resume state says those regions are written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import rasterio
from rasterio.windows import Window

from ..io import RasterGrid
from ..io.raster import write_spectral_metadata
from .layout import WindowGrid

__all__ = ["TiledOutput", "choose_tile", "partial_path"]

_MAX_TILE = 512


def partial_path(final: str | os.PathLike) -> Path:
    """Where the output is written until it is complete."""
    p = Path(final)
    return p.with_name(p.name + ".part")


def choose_tile(grid: WindowGrid) -> int:
    """Tile edge (HR pixels): a multiple of 16, at most 512, dividing every core's HR edge."""
    hr_core = grid.core * grid.scale
    if grid.shape == (1, 1):
        hr_core = 16 * max(1, min(256, hr_core) // 16)
    best = 16
    for size in range(16, min(_MAX_TILE, hr_core) + 1, 16):
        if hr_core % size == 0:
            best = size
    return best


class TiledOutput:
    """A float32 BigTIFF on ``grid``, band-interleaved, deflate-compressed, tiled ``tile``, with
    NaN as its nodata value (pixels no input covers validly, and regions never written).

    Band descriptions and wavelengths (per band and in the ENVI domain) are written as
    :func:`fusion_core.io.write_raster` writes them, so QGIS and EnMAP-Box read the same metadata.
    """

    def __init__(self, final: str | os.PathLike, grid: RasterGrid, count: int, tile: int,
                 band_names: Optional[Sequence[str]] = None,
                 wavelengths: Optional[np.ndarray] = None, fwhm: Optional[np.ndarray] = None):
        self.final = Path(final)
        self.path = partial_path(final)
        self.grid = grid
        self.count = count
        self.tile = tile
        self._meta = (band_names, wavelengths, fwhm)
        self._ds: Any = None  # the open rasterio dataset, between open() and close()

    def open(self, resume: bool) -> None:
        """Open the partial file: the existing one when resuming, else a new one."""
        if not (resume and self.path.exists()):
            self._create()
        self._ds = rasterio.open(self.path, "r+")

    def _create(self) -> None:
        g = self.grid
        profile = dict(
            driver="GTiff", width=g.width, height=g.height, count=self.count, dtype="float32",
            crs=g.crs, transform=g.transform, tiled=True, blockxsize=self.tile,
            blockysize=self.tile, compress="deflate", predictor=3, interleave="band",
            bigtiff="yes", sparse_ok=True, nodata=float("nan"),
        )
        with rasterio.open(self.path, "w", **profile) as dst:
            write_spectral_metadata(dst, *self._meta)

    def write(self, rect: tuple[int, int, int, int], data: np.ndarray) -> None:
        """Write ``data`` ``(C, rows, cols)`` at HR rectangle ``rect`` ``(row0, col0, rows, cols)``."""
        self._ds.write(data, window=Window(rect[1], rect[0], rect[3], rect[2]))

    def flush(self) -> None:
        """Put everything written so far on disk."""
        self._ds.close()
        self._ds = rasterio.open(self.path, "r+")

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None

    def finish(self) -> None:
        """Close the partial file and give it the final name."""
        self.close()
        os.replace(self.path, self.final)

    def discard(self) -> None:
        """Close and delete the partial file."""
        self.close()
        for leftover in (self.path, Path(str(self.path) + ".aux.xml")):
            if leftover.exists():
                leftover.unlink()
