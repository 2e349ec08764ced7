"""How a fused raster is written: layout (GeoTIFF or Cloud-Optimized GeoTIFF), codec, data type.

A fused hyperspectral scene is large (3000 × 3000 pixels × 198 bands is 7 GB of float32), so
how it is encoded matters as much as how fast it is computed. :class:`OutputOptions` is one
typed value with every choice; :mod:`fusion_core.windows.output` and
:func:`fusion_core.io.write_raster` write with it. Figures behind the defaults:
``benchmarks/OUTPUT_FORMATS.md``.

* ``format``: ``"GTiff"`` (tiled BigTIFF, band-interleaved, written region by region) or
  ``"COG"`` (the same, rewritten at the end by GDAL's COG driver as a Cloud-Optimized GeoTIFF
  with internal overviews; GDAL 3.6 writes it pixel-interleaved).
* ``overviews``: GTiff only: add internal overviews (averaged, band-interleaved) at the end, so
  QGIS shows a zoomed-out view of a huge result at once.
* ``codec``: ``"ZSTD"`` (default, level 1), ``"DEFLATE"``, ``"LERC_ZSTD"`` (lossless unless
  ``max_error`` is set) or ``"NONE"``; compressed by GDAL on every core (``NUM_THREADS``).
* ``predictor``: the floating-point predictor (float32) or the horizontal one (int16) before
  the codec. By default only for int16: on fused float32 data the floating-point predictor
  shrinks the file by a tenth (ratio 1.26 instead of 1.12) for three times the compression
  time; on int16 counts the horizontal one is cheap and gains a fifth.
* ``dtype``: ``"float32"`` (nodata NaN) or ``"int16"`` (nodata −32768; values stored as
  ``round((value − offset) / scale)``, with scale and offset written to the file so GDAL and
  QGIS read physical values; the scale is chosen from the data unless given).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import InputError

__all__ = ["OutputOptions", "FORMATS", "CODECS", "DTYPES", "INT16_NODATA", "INT16_HEADROOM",
           "finish_layout", "overview_factors"]

FORMATS = ("GTiff", "COG")
CODECS = ("ZSTD", "DEFLATE", "LERC_ZSTD", "NONE")
DTYPES = ("float32", "int16")
INT16_NODATA = -32768
_INT16_MAX = 32767
#: With the scale chosen from the data, the largest count stands for this many times the
#: LR-HSI's 99.9th percentile: fused values rarely exceed the input's range by much, and the
#: step stays below 1e-4 of that percentile (quantisation noise about 100 dB below it).
INT16_HEADROOM = 2.0
#: Codec levels: fast ones, because GDAL compresses while the next windows are fused and a
#: higher level costs much more time than it saves space on noisy float data.
_LEVELS = {"ZSTD": ("ZSTD_LEVEL", 1), "DEFLATE": ("ZLEVEL", 1), "LERC_ZSTD": ("ZSTD_LEVEL", 1)}


@dataclass(frozen=True)
class OutputOptions:
    """Every choice of how the fused raster is encoded (see the module docstring).

    Attributes:
        format: ``"GTiff"`` or ``"COG"``.
        codec: ``"ZSTD"``, ``"DEFLATE"``, ``"LERC_ZSTD"`` or ``"NONE"``.
        dtype: ``"float32"`` or ``"int16"``.
        scale: int16 only: physical value of one count; 0 chooses it from the data.
        offset: int16 only: physical value of count zero.
        max_error: LERC_ZSTD only: largest absolute error allowed (0: lossless).
        level: codec level; 0 takes the fast default.
        predictor: use the codec's predictor (None: for int16 only).
        overviews: GTiff only: build internal overviews at the end (a COG always has them).
    """

    format: str = "GTiff"
    codec: str = "ZSTD"
    dtype: str = "float32"
    scale: float = 0.0
    offset: float = 0.0
    max_error: float = 0.0
    level: int = 0
    predictor: Optional[bool] = None
    overviews: bool = False

    def __post_init__(self) -> None:
        for name, value, allowed in (("format", self.format, FORMATS), ("codec", self.codec, CODECS),
                                     ("dtype", self.dtype, DTYPES)):
            if value not in allowed:
                raise InputError(f"Unknown output {name} {value!r}: choose one of {', '.join(allowed)}.")
        if not (math.isfinite(self.scale) and self.scale >= 0):
            raise InputError(f"The int16 scale must be a positive number (0: from the data), got {self.scale}.")
        if not math.isfinite(self.offset):
            raise InputError(f"The int16 offset must be a finite number, got {self.offset}.")
        if not (math.isfinite(self.max_error) and self.max_error >= 0):
            raise InputError(f"The LERC maximum error must be 0 (lossless) or positive, got {self.max_error}.")
        if self.max_error and self.codec != "LERC_ZSTD":
            raise InputError("A maximum error applies to the LERC_ZSTD codec only: choose that codec or "
                             "leave the maximum error at 0.")
        if self.predictor and self.codec in ("NONE", "LERC_ZSTD"):
            raise InputError(f"The {self.codec} codec takes no predictor: leave the predictor off.")
        if self.overviews and self.format == "COG":
            raise InputError("A COG always has overviews: leave overviews off with the COG format.")
        if self.level < 0:
            raise InputError(f"The codec level must not be negative, got {self.level}.")

    @property
    def _predicts(self) -> bool:
        if self.codec in ("NONE", "LERC_ZSTD"):
            return False
        return self.dtype == "int16" if self.predictor is None else self.predictor

    @property
    def bytes_per_value(self) -> int:
        """Uncompressed bytes of one value: 4 for float32, 2 for int16."""
        return 4 if self.dtype == "float32" else 2

    @property
    def nodata(self) -> float:
        """The nodata value written to the file: NaN for float32, −32768 for int16."""
        return float("nan") if self.dtype == "float32" else float(INT16_NODATA)

    def with_data_scale(self, typical: float) -> "OutputOptions":
        """These options with the int16 scale chosen from ``typical`` (the LR-HSI's 99.9th
        percentile) when it is not given; unchanged for float32 or a given scale."""
        if self.dtype != "int16" or self.scale > 0:
            return self
        if not (math.isfinite(typical) and typical > 0):
            raise InputError("Cannot choose an int16 scale from an empty LR-HSI: give the scale.")
        return replace(self, scale=INT16_HEADROOM * typical / _INT16_MAX)

    def profile(self, threads: str | int = "ALL_CPUS") -> dict[str, Any]:
        """rasterio creation options (dtype, nodata, codec, predictor, level, threads)."""
        out: dict[str, Any] = {"dtype": self.dtype, "nodata": self.nodata}
        if self.codec == "NONE":
            return out
        out.update(compress=self.codec.lower(), num_threads=str(threads))
        if self.codec == "LERC_ZSTD":
            out["max_z_error"] = self.max_error
        elif self._predicts:
            out["predictor"] = 3 if self.dtype == "float32" else 2
        key, default = _LEVELS[self.codec]
        out[key.lower()] = self.level or default
        return out

    def cog_options(self, block: int, threads: str | int = "ALL_CPUS") -> dict[str, Any]:
        """Creation options of GDAL's COG driver for these options and tiles of ``block`` pixels."""
        out: dict[str, Any] = {"blocksize": block, "bigtiff": "YES", "overviews": "AUTO",
                               "resampling": "AVERAGE", "num_threads": str(threads),
                               "compress": self.codec}
        if self.codec == "LERC_ZSTD":
            out["max_z_error"] = self.max_error
        elif self._predicts:
            out["predictor"] = "FLOATING_POINT" if self.dtype == "float32" else "STANDARD"
        if self.codec != "NONE":
            out["level"] = self.level or _LEVELS[self.codec][1]
        return out

    def encode(self, data: np.ndarray) -> np.ndarray:
        """``data`` (float, NaN for nodata) in the file's type: int16 counts, nodata where NaN."""
        if self.dtype == "float32":
            return data.astype(np.float32, copy=False)
        if not self.scale > 0:
            raise InputError("The int16 scale is not set: call with_data_scale first.")
        counts = np.rint((data - np.float32(self.offset)) / np.float32(self.scale))
        nodata = np.isnan(counts)
        counts[nodata] = 0.0
        np.clip(counts, -_INT16_MAX, _INT16_MAX, out=counts)
        out = counts.astype(np.int16)
        out[nodata] = INT16_NODATA
        return out

    def write_scaling(self, dst) -> None:
        """Write the int16 scale and offset to every band of ``dst`` (rasterio, open for writing)."""
        if self.dtype == "int16":
            dst.scales = (self.scale,) * dst.count
            dst.offsets = (self.offset,) * dst.count


def overview_factors(width: int, height: int, smallest: int = 256) -> list[int]:
    """Decimation factors 2, 4, 8, … until the overview's longer edge is at most ``smallest``."""
    factors, factor = [], 2
    while max(width, height) / (factor // 2) > smallest:
        factors.append(factor)
        factor *= 2
    return factors


def finish_layout(path: Path, options: OutputOptions, block: int, threads: str | int = "ALL_CPUS") -> None:
    """Give the complete, closed GeoTIFF at ``path`` the layout ``options`` ask for, in place:
    averaged internal overviews (compressed like its bands), or a rewrite as a Cloud-Optimized
    GeoTIFF by GDAL's COG driver (tiles of ``block`` pixels, overviews, band metadata, scale and
    offset copied)."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.shutil import copy

    path = Path(path)
    if options.overviews:
        with rasterio.Env(GDAL_NUM_THREADS=str(threads)), \
                rasterio.open(path, "r+", num_threads=str(threads)) as ds:
            factors = overview_factors(ds.width, ds.height)
            if factors:
                ds.build_overviews(factors, Resampling.average)
    if options.format == "COG":
        cog = path.with_name(path.name + ".cog")
        try:
            copy(str(path), str(cog), driver="COG", **options.cog_options(block, threads))
            os.replace(cog, path)
        finally:
            cog.unlink(missing_ok=True)
