"""The fused raster, written region by region into a tiled, compressed BigTIFF.

The file is written under a partial name next to the final one, unique to the run
(``<output>.<token>.part``), and renamed onto the final name only when every region is in, so
the final name never holds half a result. A resumed run continues the partial file its resume
state names. Regions are whole tiles (the window layout puts every core edge on the tile grid),
so each tile is compressed once. The partial file is closed and reopened after each batch of
regions, which flushes it to disk before the resume state says those regions are written; GDAL
reports a failed write (a full disk) only on its console, so each flushed tile is then checked
to be in the file, and a missing one raises an ``OSError``.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import uuid
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


def partial_path(final: str | os.PathLike, token: str) -> Path:
    """Where run ``token`` writes the output until it is complete."""
    p = Path(final)
    return p.with_name(f"{p.name}.{token}.part")


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
        self.path = partial_path(final, uuid.uuid4().hex[:8])
        self.grid = grid
        self.count = count
        self.tile = tile
        self._meta = (band_names, wavelengths, fwhm)
        self._ds: Any = None  # the open rasterio dataset, between open() and close()
        self._unflushed: list[tuple[int, int, int]] = []  # (band, tile column, tile row)

    def open(self, resume_from: Optional[Path] = None) -> None:
        """Open the partial file: ``resume_from`` (an earlier run's) when it exists, else a new
        one; then delete partial files of this output that earlier runs left (the caller holds
        the output's lock, so no other run is writing them)."""
        if resume_from is not None and Path(resume_from).exists():
            self.path = Path(resume_from)
        else:
            self._create()
        self._ds = rasterio.open(self.path, "r+")
        for leftover in self.final.parent.glob(glob.escape(self.final.name) + ".*.part"):
            if leftover != self.path:
                _unlink_with_sidecar(leftover)

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
        t = self.tile
        for ty in range(rect[0] // t, -(-(rect[0] + rect[2]) // t)):
            for tx in range(rect[1] // t, -(-(rect[1] + rect[3]) // t)):
                block = data[:, max(0, ty * t - rect[0]):(ty + 1) * t - rect[0],
                             max(0, tx * t - rect[1]):(tx + 1) * t - rect[1]]
                # GDAL skips all-zero tiles of a sparse file: only the others must be found
                self._unflushed += [(b + 1, tx, ty) for b in np.flatnonzero(block.any(axis=(1, 2)))]

    def flush(self) -> None:
        """Put everything written so far on disk, and check that it is there."""
        self._ds.close()
        self._ds = rasterio.open(self.path, "r+")
        size = self.path.stat().st_size
        missing = 0
        for band, tx, ty in self._unflushed:
            offset = self._ds.get_tag_item(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF", bidx=band)
            length = self._ds.get_tag_item(f"BLOCK_SIZE_{tx}_{ty}", "TIFF", bidx=band)
            if not offset or not length or int(offset) + int(length) > size:
                missing += 1
        self._unflushed = []
        if missing:
            full = shutil.disk_usage(self.path.parent).free < self.tile ** 2 * 4 * missing
            code = errno.ENOSPC if full else errno.EIO
            raise OSError(code, f"{os.strerror(code)}: {missing} tile(s) of {self.path} were not "
                                "written")

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None

    def finish(self) -> None:
        """Close the partial file, checked complete, and give it the final name."""
        if self._unflushed:
            self.flush()
        self.close()
        os.replace(self.path, self.final)

    def discard(self) -> None:
        """Close and delete the partial file."""
        self.close()
        _unlink_with_sidecar(self.path)


def _unlink_with_sidecar(path: Path) -> None:
    for leftover in (path, Path(str(path) + ".aux.xml")):
        leftover.unlink(missing_ok=True)
