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
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

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

__all__ = ["open_raster", "read_pixels", "GDAL_ERRORS"]

#: What rasterio raises when GDAL fails to open, read or write a file.
GDAL_ERRORS = (RasterioIOError, RasterioError, CPLE_BaseError)


@contextmanager
def open_raster(path: str | os.PathLike, role: str) -> Iterator:
    """Open ``path`` read-only; an unreadable file is an InputError naming ``role`` and path.

    GDAL's ``.aux.xml`` sidecars (PAM) are off unless the file already has one to read, so GDAL
    cannot create one beside the input.
    """
    pam = os.path.exists(f"{path}.aux.xml")
    with rasterio.Env(GDAL_PAM_ENABLED="YES" if pam else "NO"):
        try:
            ds = rasterio.open(path, "r")
        except GDAL_ERRORS as exc:
            raise InputError(
                f"Cannot open the {role} raster {vrt_label(str(path))}: {exc}. Check the path, and that the file "
                "is a raster GDAL reads (it opens in QGIS)."
            ) from None
        with ds:
            yield ds


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
