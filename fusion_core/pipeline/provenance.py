"""PROVENANCE: where each pixel of a run's result comes from, as a raster on the output's grid.

The codes (:data:`CODES`) follow from the scene's masks (:mod:`.disagreement`) and the weights
the windows blend the LR-HSI alone with (:class:`~fusion_core.windows.fallback.HsiFallback`), so
the raster says what the windows did without reading the result back.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import rasterio

from ..io import RasterGrid
from ..io.raster import atomic_output
from ..windows.fallback import HsiFallback
from .disagreement import SceneMasks

__all__ = ["EMPTY", "FUSED", "HSI_ONLY", "BLENDED", "CODES", "provenance_codes", "write_provenance"]

EMPTY, FUSED, HSI_ONLY, BLENDED = 0, 1, 2, 3
#: What each code of the PROVENANCE raster means: a short name and a sentence.
CODES = {
    EMPTY: ("empty", "nodata: the LR-HSI has no value there"),
    FUSED: ("fused", "fused from both images"),
    HSI_ONLY: ("LR-HSI alone", "the LR-HSI alone brought to the HR grid: the HR-MSI is masked or "
                               "has no value there, or the two images disagree"),
    BLENDED: ("blend", "a blend of the two: the ramp from the LR-HSI alone to the fused result"),
}
_COLOURS = {EMPTY: (0, 0, 0, 0), FUSED: (44, 160, 44, 255), HSI_ONLY: (214, 39, 40, 255),
            BLENDED: (255, 127, 14, 255)}
_STRIP_LR_ROWS = 256


def provenance_codes(masks: SceneMasks, fallback: Optional[HsiFallback], scale: int) -> np.ndarray:
    """``(h r, w r)`` uint8 codes (:data:`CODES`) of a run's result on its HR pixels."""
    rows, cols = masks.lr_valid.shape
    codes = np.empty((rows * scale, cols * scale), np.uint8)
    block = np.ones((scale, scale), bool)
    for a in range(0, rows, _STRIP_LR_ROWS):
        b = min(rows, a + _STRIP_LR_ROWS)
        strip = np.full(((b - a) * scale, cols * scale), FUSED, np.uint8)
        if fallback is not None:
            weight = fallback.weights((a, 0, b - a, cols), scale)
            strip[weight > 0] = BLENDED
            strip[weight >= 1] = HSI_ONLY
        strip[~np.kron(masks.lr_valid[a:b], block)] = EMPTY
        codes[a * scale:b * scale] = strip
    return codes


def write_provenance(path: str, codes: np.ndarray, grid: RasterGrid) -> None:
    """Write ``codes`` ``(H, W)`` as a one-band uint8 GeoTIFF on ``grid``, atomically, with the
    codes' meaning in its band description, its metadata and a colour table."""
    height, width = codes.shape
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=grid.crs,
                   transform=grid.transform, compress="DEFLATE", tiled=width >= 256 and height >= 256)
    legend = ", ".join(f"{code} {name}" for code, (name, _) in CODES.items())
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(codes[None])
            dst.set_band_description(1, f"provenance: {legend}")
            dst.update_tags(1, **{f"CODE_{code}": f"{name}: {text}" for code, (name, text) in CODES.items()})
            dst.write_colormap(1, _COLOURS)
