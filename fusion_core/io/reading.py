"""Opening rasters read-only and reading physical values with NaN where pixels are invalid.

GDAL's failures on open or on read (a missing file, a truncated or corrupt GeoTIFF) become an
:class:`~fusion_core.errors.InputError` naming the file, the band and block, and a fix. Nothing is
written beside the inputs: datasets are opened read-only, with GDAL's ``.aux.xml`` sidecars off
unless one exists (other tools write nodata or scale there: ``gdal_edit.py``, QGIS), and nothing
GDAL would persist in one (statistics, metadata) is ever set.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import rasterio
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window

from ..errors import InputError
from .masks import invalid_pixels
from .names import vrt_label
from .radiometry import BandRadiometry, to_physical

try:  # GDAL's own errors, raised by rasterio for some failed reads
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover - rasterio always has it; keep reading if it moves
    CPLE_BaseError = RasterioError

__all__ = ["open_raster", "kept_open", "read_pixels", "GDAL_ERRORS"]

#: What rasterio raises when GDAL fails to open, read or write a file.
GDAL_ERRORS = (RasterioIOError, RasterioError, CPLE_BaseError)


class _KeptOpen:
    """The datasets :func:`kept_open` keeps, one per file, until the last block ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.datasets: dict[tuple, tuple[Any, bool, threading.RLock]] = {}  # (dataset, PAM on, its lock)


_KEPT = _KeptOpen()


@contextmanager
def kept_open() -> Iterator[None]:
    """Inside this block, :func:`open_raster` keeps each file it opens open and hands the same
    dataset to later reads, one thread at a time (a GDAL dataset is not thread-safe); all are
    closed when the block (the outermost, when runs nest or overlap) ends.

    Reopening an input for every read drops GDAL's block cache with the dataset, so the tiles
    a scan's strip shares with the next one were decoded again: on the 3000² benchmark scene
    the scene scan's reads took 10.8 CPU-s reopened and 5.0 kept open. (The windows read the
    scan's decoded copy instead, :mod:`fusion_core.windows.decoded`: kept open for them, the
    output's tiles passing through the same cache between two windows left nothing to gain.)
    One dataset per file, shared by the threads that read it, not one per thread: readers of
    neighbouring rectangles on two threads then share its cache.
    """
    with _KEPT.lock:
        _KEPT.depth += 1
    try:
        yield
    finally:
        with _KEPT.lock:
            _KEPT.depth -= 1
            leftover = list(_KEPT.datasets.values()) if _KEPT.depth == 0 else []
            if _KEPT.depth == 0:
                _KEPT.datasets.clear()
        for ds, pam, _ in leftover:
            with rasterio.Env(GDAL_PAM_ENABLED="YES" if pam else "NO"):
                ds.close()


def _identity(path: str | os.PathLike) -> tuple:
    """``path`` as it is now (a file replaced since it was opened is another)."""
    try:
        stat = os.stat(path)
        version: tuple = (stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):  # a GDAL path (/vsizip/…, HDF5:…:…): the name alone
        version = ()
    return (os.fspath(path), *version)


@contextmanager
def open_raster(path: str | os.PathLike, role: str) -> Iterator:
    """Open ``path`` read-only; an unreadable file is an InputError naming ``role`` and path.
    Inside :func:`kept_open` the dataset stays open for later reads.

    GDAL's ``.aux.xml`` sidecars (PAM) are off unless the file already has one to read, so GDAL
    cannot create one beside the input.
    """
    kept = None
    if _KEPT.depth:
        key = _identity(path)
        with _KEPT.lock:  # one opening per file, whichever thread comes first
            kept = _KEPT.datasets.get(key)
            if kept is None and _KEPT.depth:  # (the block may have ended meanwhile)
                kept = _KEPT.datasets[key] = (*_opened(path, role), threading.RLock())
    if kept is not None:
        with kept[2]:
            yield kept[0]
        return
    ds, pam = _opened(path, role)
    with rasterio.Env(GDAL_PAM_ENABLED="YES" if pam else "NO"), ds:
        yield ds


def _opened(path: str | os.PathLike, role: str) -> tuple[Any, bool]:
    """``path`` open read-only, and whether GDAL's PAM is on for it (an ``.aux.xml`` exists)."""
    pam = os.path.exists(f"{path}.aux.xml")
    with rasterio.Env(GDAL_PAM_ENABLED="YES" if pam else "NO"):
        try:
            return rasterio.open(path, "r"), pam
        except GDAL_ERRORS as exc:
            raise InputError(
                f"Cannot open the {role} raster {vrt_label(str(path))}: {exc}. Check the path, and that the "
                "file is a raster GDAL reads (it opens in QGIS)."
            ) from None


def _where(exc: Exception, window: Optional[Window]) -> str:
    """Which band and block GDAL failed on, as far as its message says."""
    m = re.search(r"band (\d+): IReadBlock failed at X offset (\d+), Y offset (\d+)", str(exc))
    if m:
        return f"band {m.group(1)}, block {m.group(2)} across and {m.group(3)} down"
    if window is not None:
        return (f"rows {int(window.row_off)}\u2013{int(window.row_off + window.height) - 1}, "
                f"columns {int(window.col_off)}\u2013{int(window.col_off + window.width) - 1}")
    return "its pixels"


def read_pixels(ds, indexes: Sequence[int], bands: Sequence[BandRadiometry], role: str,
                window: Optional[Window] = None, out_shape: Optional[tuple[int, int]] = None
                ) -> np.ndarray:
    """Physical float32 ``(C, H, W)`` values of bands ``indexes`` (1-based), NaN where invalid.

    Args:
        ds: an open rasterio dataset (a file or a ``WarpedVRT``).
        indexes: the data bands to read.
        bands: their radiometry (:func:`~fusion_core.io.radiometry.band_radiometry`).
        role: how the raster is named in error messages.
        window: pixels to read (all when None).
        out_shape: ``(rows, cols)`` to decimate the window to (GDAL nearest neighbour), masks
            included; None reads at full resolution.
    """
    shape = None if out_shape is None else (len(indexes), *out_shape)
    try:
        raw = ds.read(list(indexes), window=window, out_shape=shape)
        bad = invalid_pixels(ds, indexes, raw, window, out_shape)
    except GDAL_ERRORS as exc:
        raise InputError(
            f"The {role} raster {vrt_label(ds.name)} cannot be read at {_where(exc, window)}: GDAL says "
            f"'{exc}'. The file is truncated or corrupt: download or export it again, then check "
            "it with 'gdalinfo -checksum'."
        ) from None
    data = to_physical(raw, bands)
    data[bad] = np.nan
    return data
