"""Small GeoTIFFs written the way other software writes products: integer types, nodata values,
scale/offset, mask bands, alpha bands and band metadata, on a real CRS (UTM 33N)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.enums import ColorInterp

TRANSFORM = Affine(30.0, 0.0, 368_000.0, 0.0, -30.0, 5_808_000.0)


def write_product(path: Path, data: np.ndarray, *, nodata: Optional[float] = None,
                  scales: Optional[Sequence[float]] = None, offsets: Optional[Sequence[float]] = None,
                  mask: Optional[np.ndarray] = None, internal_mask: bool = True,
                  alpha: Optional[np.ndarray] = None, band_tags: Sequence[dict] = (),
                  tags: Optional[dict] = None, envi: Optional[dict] = None,
                  imagery: Sequence[dict] = ()) -> Path:
    """Write ``data`` ``(C, H, W)`` in its own dtype as a GeoTIFF with the given metadata.

    ``mask`` (``(H, W)``, 0 = invalid) becomes a GDAL mask band (internal, or a ``.msk`` file);
    ``alpha`` (``(H, W)``) becomes an extra last band with alpha colour interpretation.
    """
    count = data.shape[0] + (alpha is not None)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=internal_mask):
        with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                           count=count, dtype=data.dtype, crs="EPSG:32633", transform=TRANSFORM,
                           nodata=nodata) as dst:
            dst.write(data, indexes=list(range(1, data.shape[0] + 1)))
            if alpha is not None:
                dst.write(alpha.astype(data.dtype), count)
                dst.colorinterp = [ColorInterp.gray] * data.shape[0] + [ColorInterp.alpha]
            if scales is not None:
                dst.scales = scales
            if offsets is not None:
                dst.offsets = offsets
            if mask is not None:
                dst.write_mask(mask.astype(np.uint8) * 255)
            for i, band in enumerate(band_tags):
                dst.update_tags(i + 1, **band)
            for i, band in enumerate(imagery):
                dst.update_tags(i + 1, ns="IMAGERY", **band)
            if tags:
                dst.update_tags(**tags)
            if envi:
                dst.update_tags(ns="ENVI", **envi)
    return path


def dn_ramp(count: int, height: int = 12, width: int = 16, dtype=np.int16, start: int = 100
            ) -> np.ndarray:
    """``(count, H, W)`` stored numbers, different in every pixel and band."""
    n = count * height * width
    return (np.arange(n) % 30000 + start).reshape(count, height, width).astype(dtype)


@pytest.fixture
def product() -> Callable[..., Path]:
    """:func:`write_product`, for tests that build their own inputs."""
    return write_product


@pytest.fixture
def dn() -> Callable[..., np.ndarray]:
    """:func:`dn_ramp`."""
    return dn_ramp
