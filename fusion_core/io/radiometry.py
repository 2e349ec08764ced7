"""From stored numbers to physical values: GDAL scale/offset, or a product's own gains.

Products store reflectance as scaled integers: EnMAP/PRISMA int16 × 1e-4, Sentinel-2 L2A uint16
× 1e-4 − 0.1 (the −1000 DN BOA offset, written as GDAL offset), Landsat Collection 2 surface
reflectance × 2.75e-5 − 0.2. Fusing the stored numbers would make the two sensors' radiometric
gains look like 10⁴ or 2 and bias the estimated PSF, so values are made physical on read. Nodata
is decided on the stored number, before scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

__all__ = ["BandRadiometry", "band_radiometry", "describe_radiometry", "to_physical"]


_MINUS = "\u2212"


def _num(value: float) -> str:
    """A number as the log shows it, with a true minus sign."""
    return f"{value:g}".replace("-", _MINUS)


@dataclass(frozen=True)
class BandRadiometry:
    """How one band's stored numbers become physical values, and what marks them invalid.

    Attributes:
        dtype: stored data type (``"int16"``…).
        nodata: the stored value that means "no data", or None.
        scale, offset: physical = stored × scale + offset.
        source: where scale/offset come from (``"GDAL"`` or a product metadata file).
        mask: other validity information GDAL has for the band (``"internal mask"``…), or "".
    """

    dtype: str
    nodata: Optional[float] = None
    scale: float = 1.0
    offset: float = 0.0
    source: str = "GDAL"
    mask: str = ""

    @property
    def scaled(self) -> bool:
        return self.scale != 1.0 or self.offset != 0.0

    def describe(self) -> str:
        """A short account for the log, e.g. ``"int16 × 0.0001, nodata −32768"``."""
        text = self.dtype
        if self.scale != 1.0:
            text += f" \u00d7 {_num(self.scale)}"
        if self.offset != 0.0:
            text += f" {'+' if self.offset > 0 else _MINUS} {_num(abs(self.offset))}"
        if self.scaled and self.source != "GDAL":
            text += f" ({self.source})"
        parts = [text]
        if self.nodata is not None:
            parts.append(f"nodata {_num(self.nodata)}")
        if self.mask:
            parts.append(self.mask)
        return ", ".join(parts)


def band_radiometry(ds, indexes: Sequence[int], masks: Sequence[str],
                    gains: Optional[np.ndarray] = None, offsets: Optional[np.ndarray] = None,
                    gain_source: str = "") -> list[BandRadiometry]:
    """The radiometry of bands ``indexes`` (1-based) of an open rasterio dataset.

    GDAL's scale/offset are used when any band has one; otherwise ``gains``/``offsets`` from the
    product's metadata (``gain_source`` names the file), when given.
    """
    all_scales, all_offsets, dtypes, nodata = ds.scales, ds.offsets, ds.dtypes, ds.nodatavals
    scales = [1.0 if all_scales[i - 1] is None else float(all_scales[i - 1]) for i in indexes]
    shifts = [0.0 if all_offsets[i - 1] is None else float(all_offsets[i - 1]) for i in indexes]
    source = "GDAL"
    gdal_scaled = any(s != 1.0 or o != 0.0 for s, o in zip(scales, shifts))
    if not gdal_scaled and gains is not None:
        scales = [float(g) for g in gains]
        shifts = [float(o) for o in offsets] if offsets is not None else [0.0] * len(scales)
        source = gain_source
    return [BandRadiometry(dtypes[i - 1], nodata[i - 1], s, o, source, m)
            for i, s, o, m in zip(indexes, scales, shifts, masks)]


def describe_radiometry(bands: Sequence[BandRadiometry]) -> str:
    """One line for all bands, grouping runs that read alike: ``"bands 1–3: …; band 4: …"``."""
    if not bands:
        return "no bands"
    runs: list[tuple[int, int, str]] = []
    for i, text in enumerate(b.describe() for b in bands):
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], i, text)
        else:
            runs.append((i, i, text))
    if len(runs) == 1:
        return f"{runs[0][2]} (all {len(bands)} bands)" if len(bands) > 1 else runs[0][2]
    return "; ".join(f"band {a + 1}: {t}" if a == b else f"bands {a + 1}\u2013{b + 1}: {t}"
                     for a, b, t in runs)


def to_physical(raw: np.ndarray, bands: Sequence[BandRadiometry]) -> np.ndarray:
    """Stored ``(C, H, W)`` numbers as float32 physical values (a new array)."""
    out = raw.astype(np.float32)
    for k, band in enumerate(bands):
        if band.scale != 1.0:
            out[k] *= np.float32(band.scale)
        if band.offset != 0.0:
            out[k] += np.float32(band.offset)
    return out
