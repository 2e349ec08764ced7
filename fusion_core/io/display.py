"""How a spectral image should look on screen, decided from its wavelengths alone (no Qt, no QGIS).

:func:`rgb_bands` picks the bands shown as red, green and blue, by this rule, in order:

1. **True colour** when a band lies within :data:`TOLERANCE_NM` of each of 640, 550 and 470 nm
   (the nearest band to each; three different bands).
2. **False colour** (NIR, red, green as red, green, blue) when the image has no blue band but
   covers 860, 650 and 550 nm the same way: vegetation shows red.
3. **Spread over the spectrum** otherwise (a SWIR-only sensor, or no wavelengths: band order is
   then taken as wavelength order): the bands at three quarters, half and a quarter of the
   sorted spectrum, longest wavelength as red.
4. **Grey** for an image of fewer than three bands: band 1.

:func:`band_label` gives a band's name with its wavelength, so that the band list a GIS shows
tells which part of the spectrum each band is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

TOLERANCE_NM = 40.0
TRUE_COLOUR_NM = (640.0, 550.0, 470.0)
FALSE_COLOUR_NM = (860.0, 650.0, 550.0)
_WAVELENGTH_IN_NAME = re.compile(r"\d\s*(nm|µm|um)\b", re.IGNORECASE)

__all__ = ["DisplayBands", "band_label", "rgb_bands", "TOLERANCE_NM"]


@dataclass(frozen=True)
class DisplayBands:
    """1-based band numbers shown as red, green and blue, and the rule that chose them."""

    red: int
    green: int
    blue: int
    rule: str

    @property
    def grey(self) -> bool:
        """True when one band is shown in grey."""
        return self.red == self.green == self.blue


def rgb_bands(wavelengths: Optional[Sequence[float]], band_count: int) -> DisplayBands:
    """Choose the red, green and blue bands of an image by the rule of this module.

    Args:
        wavelengths: band centres in nm, in band order, or None when the image has none.
        band_count: number of bands of the image (used when there are no wavelengths).
    """
    if band_count < 3:
        return DisplayBands(1, 1, 1, "grey (fewer than three bands)")
    if wavelengths is not None:
        wl = np.asarray(wavelengths, dtype=np.float64)
        for targets, rule in ((TRUE_COLOUR_NM, "true colour"),
                              (FALSE_COLOUR_NM, "false colour (NIR, red, green)")):
            chosen = _nearest_within(wl, targets)
            if chosen is not None:
                return DisplayBands(chosen[0], chosen[1], chosen[2], rule)
        order = np.argsort(wl, kind="stable")
        rule = "spread over the spectrum (no band near 640/550/470 nm)"
    else:
        order = np.arange(band_count)
        rule = "spread over the bands (no wavelengths)"
    red, green, blue = (int(order[round(q * (len(order) - 1))]) + 1 for q in (0.75, 0.5, 0.25))
    return DisplayBands(red, green, blue, rule)


def _nearest_within(wl: np.ndarray, targets: Sequence[float]) -> Optional[tuple[int, int, int]]:
    """1-based nearest bands to ``targets`` when all are within tolerance and distinct."""
    distance = np.abs(wl[None, :] - np.asarray(targets)[:, None])
    nearest = np.argmin(distance, axis=1)
    if np.all(distance[np.arange(len(targets)), nearest] <= TOLERANCE_NM) and len(set(nearest)) == 3:
        return int(nearest[0]) + 1, int(nearest[1]) + 1, int(nearest[2]) + 1
    return None


def band_label(name: str, wavelength: Optional[float]) -> str:
    """``name`` with `` (wavelength nm)`` appended, unless it has no wavelength or names one."""
    if wavelength is None or not np.isfinite(wavelength) or _WAVELENGTH_IN_NAME.search(name):
        return name
    return f"{name} ({wavelength:.1f} nm)"
