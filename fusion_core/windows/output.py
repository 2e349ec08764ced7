"""The fused raster, written region by region into a tiled, compressed BigTIFF.

The file is written under a partial name next to the final one, unique to the run
(``<output>.<token>.part``), and renamed onto the final name only when every region is in, so
the final name never holds half a result. A resumed run continues the partial file its resume
state names. Regions are whole tiles (the window layout puts every core edge on the tile grid),
so each tile is compressed once, by GDAL on every core. For a run that can be resumed the
partial file is closed and reopened after each batch of regions, which flushes it to disk before
the resume state says those regions are written. GDAL reports a failed write (a full disk) only
on its console, so each flushed tile is then checked to be in the file, and a missing one raises
an ``OSError``. How values are encoded (codec, float32 or scaled int16, COG, overviews) is an
:class:`~fusion_core.io.output_format.OutputOptions`.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np
import rasterio
from rasterio.windows import Window

from ..io import RasterGrid
from ..io.output_format import OutputOptions, finish_layout
from ..io.raster import write_spectral_metadata
from ..io.reading import GDAL_ERRORS
from .layout import WindowGrid

__all__ = ["TiledOutput", "choose_tile", "tile_edge", "partial_path"]

_MAX_TILE = 512


def partial_path(final: str | os.PathLike, token: str) -> Path:
    """Where run ``token`` writes the output until it is complete."""
    p = Path(final)
    return p.with_name(f"{p.name}.{token}.part")


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


#: The pixel step of :meth:`TiledOutput._stored_tiles`'s probe, in rows and columns.
_PROBE = 8
#: Bytes of the bands :meth:`TiledOutput.write` passes to GDAL at a time when a region is not
#: contiguous (about an L3 cache's worth: the copy into its buffer stays in the cache).
_GROUP_BYTES = 8 * 2**20


class TiledOutput:
    """A BigTIFF on ``grid``, band-interleaved, tiled ``tile``, encoded as ``options`` say
    (default: float32, ZSTD, nodata NaN: pixels no input covers validly, regions never written).

    Band descriptions and wavelengths (per band and in the ENVI domain) are written as
    :func:`fusion_core.io.write_raster` writes them, so QGIS and EnMAP-Box read the same metadata.
    ``options`` must have its int16 scale set (:meth:`OutputOptions.with_data_scale`);
    ``threads`` is how many threads GDAL compresses with (``"ALL_CPUS"``: every core);
    ``tags`` are dataset metadata items (the run's provenance); ``bad_bands`` (0-based) are the
    bands written as nodata, the output's bad-band list (ENVI ``bbl``).
    """

    def __init__(self, final: str | os.PathLike, grid: RasterGrid, count: int, tile: int,
                 band_names: Optional[Sequence[str]] = None,
                 wavelengths: Optional[np.ndarray] = None, fwhm: Optional[np.ndarray] = None,
                 options: Optional[OutputOptions] = None, threads: str | int = "ALL_CPUS",
                 tags: Optional[Mapping[str, str]] = None, bad_bands: Sequence[int] = ()):
        self.final = Path(final)
        self.path = partial_path(final, uuid.uuid4().hex[:8])
        self.grid = grid
        self.count = count
        self.tile = tile
        self.options = options or OutputOptions()
        self.threads = threads
        self._meta = (band_names, wavelengths, fwhm, tuple(bad_bands))
        self.tags = dict(tags or {})
        self._ds: Any = None  # the open rasterio dataset, between open() and close()
        self._unflushed: list[tuple[int, int, int]] = []  # (band, tile column, tile row)
        self._durable = True
        self._buffer: Optional[np.ndarray] = None  # :meth:`_write_in_band_groups`'s

    @property
    def raw_bytes(self) -> int:
        """The output's size uncompressed."""
        return self.count * self.grid.width * self.grid.height * np.dtype(self.options.dtype).itemsize

    def open(self, resume_from: Optional[Path] = None, durable: bool = True) -> None:
        """Open the partial file: ``resume_from`` (an earlier run's) when it exists, else a new
        one; then delete partial files of this output that earlier runs left (the caller holds
        the output's lock, so no other run is writing them).

        ``durable``: :meth:`flush` puts what is written on disk (for a run that can be
        resumed). Otherwise the file stays open from its creation to :meth:`finish`, which
        also keeps the codec's level: GDAL 3.6 forgets it when a file is reopened.
        """
        self._durable = durable
        if resume_from is not None and Path(resume_from).exists():
            self.path = Path(resume_from)
            self._ds = _update(self.path, self.threads)
        else:
            self._create()
        for leftover in self.final.parent.glob(glob.escape(self.final.name) + ".*.part"):
            if leftover != self.path:
                _unlink_with_sidecar(leftover)

    def _create(self) -> None:
        g = self.grid
        profile = dict(
            driver="GTiff", width=g.width, height=g.height, count=self.count, crs=g.crs,
            transform=g.transform, tiled=True, blockxsize=self.tile, blockysize=self.tile,
            interleave="band", bigtiff="yes", sparse_ok=True, **self.options.profile(self.threads),
        )
        self._ds = rasterio.open(self.path, "w", **profile)
        write_spectral_metadata(self._ds, *self._meta)
        self._ds.update_tags(**self.tags)
        self.options.write_scaling(self._ds)

    def write(self, rect: tuple[int, int, int, int], data: np.ndarray) -> None:
        """Write ``data`` ``(C, rows, cols)`` (physical values, NaN for nodata) at HR rectangle
        ``rect`` ``(row0, col0, rows, cols)``."""
        counts = self.options.encode(data)
        window = Window(rect[1], rect[0], rect[3], rect[2])
        if counts.flags.c_contiguous:
            self._ds.write(counts, window=window)
        else:  # a region cut from a window's result: passed on a few bands at a time
            self._write_in_band_groups(counts, window)
        self._unflushed += self._stored_tiles(rect, counts)

    def _write_in_band_groups(self, counts: np.ndarray, window: Window) -> None:
        """Write ``counts`` ``(C, rows, cols)``, not contiguous, a few bands at a time through one
        buffer the output keeps: rasterio would copy it whole into a fresh array first, whose
        pages the kernel clears and maps for each region (3.5 CPU-s of the 6.6 GB written on the
        3000² scene) where a buffer in use stays mapped and in the cache."""
        band_bytes = counts[0].size * counts.itemsize
        step = max(1, min(len(counts), _GROUP_BYTES // band_bytes))
        size = step * counts[0].size
        if self._buffer is None or self._buffer.dtype != counts.dtype or self._buffer.size < size:
            self._buffer = np.empty(size, counts.dtype)
        for b in range(0, len(counts), step):
            n = min(step, len(counts) - b)
            group = self._buffer[:n * counts[0].size].reshape(n, *counts.shape[1:])
            group[...] = counts[b:b + n]
            self._ds.write(group, indexes=list(range(b + 1, b + n + 1)), window=window)

    def _stored_tiles(self, rect: tuple[int, int, int, int], counts: np.ndarray) -> list[tuple[int, int, int]]:
        """``(band, tile column, tile row)`` of tiles under ``rect`` that GDAL must have stored:
        those where every ``_PROBE``-th pixel of every ``_PROBE``-th row holds a value other than 0
        or nodata (a sparse file skips a tile only when all of it is 0 or nodata). What
        :meth:`flush` checks; probing, not scanning, keeps it to a small share of a pass over the
        data (a full scan cost 4.5 s of a 6 GB output's 30)."""
        t, nodata = self.tile, self.options.nodata
        stored = []
        for ty in range(rect[0] // t, -(-(rect[0] + rect[2]) // t)):
            for tx in range(rect[1] // t, -(-(rect[1] + rect[3]) // t)):
                block = counts[:, max(0, ty * t - rect[0]):(ty + 1) * t - rect[0]:_PROBE,
                               max(0, tx * t - rect[1]):(tx + 1) * t - rect[1]:_PROBE]
                # a sparse file skips tiles of zeros or nodata only: the others must be found
                kept = (block != 0) & ~(np.isnan(block) if np.isnan(nodata) else block == nodata)
                stored += [(b + 1, tx, ty) for b in np.flatnonzero(kept.any(axis=(1, 2)))]
        return stored

    def flush(self) -> None:
        """Put everything written so far on disk and check that it is there, when the output
        was opened ``durable``."""
        if not self._durable:
            return
        self._ds.close()
        try:
            self._ds = _update(self.path, self.threads)
        except (*GDAL_ERRORS, TypeError):  # its directory was not written (rasterio 1.3 raises
            # TypeError for "not recognized as a supported file format" on update): nothing counts
            self._ds = None
            missing = len(self._unflushed)
        else:
            size = self.path.stat().st_size
            missing = 0
            for band, tx, ty in self._unflushed:
                offset = self._ds.get_tag_item(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF", bidx=band)
                length = self._ds.get_tag_item(f"BLOCK_SIZE_{tx}_{ty}", "TIFF", bidx=band)
                if not offset or not length or int(offset) + int(length) > size:
                    missing += 1
        self._unflushed = []
        if missing or self._ds is None:
            full = shutil.disk_usage(self.path.parent).free < self.tile ** 2 * 4 * max(1, missing)
            code = errno.ENOSPC if full else errno.EIO
            raise OSError(code, f"{os.strerror(code)}: {missing} tile(s) of {self.path} were not "
                                "written")

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None

    def finish(self) -> None:
        """Close the partial file, checked complete, add overviews or make it a COG when asked,
        and give it the final name."""
        self._durable = True
        if self._unflushed:
            self.flush()
        self.close()
        finish_layout(self.path, self.options, self.tile, self.threads)
        os.replace(self.path, self.final)

    def discard(self) -> None:
        """Close and delete the partial file."""
        self.close()
        _unlink_with_sidecar(self.path)


def _unlink_with_sidecar(path: Path) -> None:
    for leftover in (path, Path(str(path) + ".aux.xml")):
        leftover.unlink(missing_ok=True)


def _update(path: Path, threads: str | int):
    """``path`` open for writing, compressing with ``threads`` threads (a creation option that
    GDAL does not keep in the file, so it is given again on each opening)."""
    return rasterio.open(path, "r+", num_threads=str(threads))
