"""A table of spectral response curves: one curve per multispectral band on a wavelength grid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["SrfTable", "band_key"]

#: A sensor band's name in a band description: ``B2``, ``B02``, ``B8A``, ``SR_B4``,
#: ``Band 2: B2 (490 nm)`` (not ``Band 2``, which GDAL and QGIS give any raster's second band).
_BAND_NAME = re.compile(r"(?<![A-Za-z0-9])B0*(\d{1,2}A?)(?![A-Za-z0-9])", re.IGNORECASE)


def band_key(text: str) -> Optional[str]:
    """The sensor band a name or band description names, as ``"2"``, ``"8A"`` (None: none)."""
    found = _BAND_NAME.search(str(text))
    return found.group(1).upper() if found else None


@dataclass(frozen=True)
class SrfTable:
    """Relative spectral responses of a multispectral sensor, as tabulated by its maker.

    Attributes:
        name: sensor or file name, shown in messages and plots.
        wavelengths: ``(L,)`` strictly increasing wavelengths in nm.
        responses: ``(L, M)`` non-negative responses, one column per band (any scale).
        band_names: the ``M`` band names, in column order.
    """

    name: str
    wavelengths: np.ndarray
    responses: np.ndarray
    band_names: tuple[str, ...]

    def __post_init__(self) -> None:
        wl = np.asarray(self.wavelengths, dtype=np.float64).ravel()
        resp = np.asarray(self.responses, dtype=np.float64)
        if resp.ndim != 2 or resp.shape[0] != wl.size:
            raise InputError(
                f"SRF table {self.name!r}: {wl.size} wavelengths but responses of shape {resp.shape}."
            )
        if len(self.band_names) != resp.shape[1]:
            raise InputError(
                f"SRF table {self.name!r}: {len(self.band_names)} band names for {resp.shape[1]} curves."
            )
        if wl.size < 2 or np.any(np.diff(wl) <= 0):
            raise InputError(f"SRF table {self.name!r}: wavelengths must increase strictly.")
        if not np.all(np.isfinite(resp)):
            raise InputError(f"SRF table {self.name!r} has missing or non-numeric responses.")
        empty = [n for n, col in zip(self.band_names, resp.T) if col.max() <= 0]
        if empty:
            raise InputError(f"SRF table {self.name!r}: band(s) {', '.join(empty)} have no positive response.")
        object.__setattr__(self, "wavelengths", wl)
        object.__setattr__(self, "responses", np.clip(resp, 0.0, None))
        object.__setattr__(self, "band_names", tuple(str(n) for n in self.band_names))

    @property
    def n_bands(self) -> int:
        return len(self.band_names)

    def select(self, bands: Sequence[str]) -> "SrfTable":
        """The table restricted to ``bands`` (names, case-insensitive), in the order given.

        Raises:
            InputError: a name is not in the table (the message lists the names that are).
        """
        index = {n.lower(): i for i, n in enumerate(self.band_names)}
        missing = [b for b in bands if str(b).strip().lower() not in index]
        if missing:
            raise InputError(
                f"Band(s) {', '.join(map(str, missing))} not in the SRF of {self.name}; its bands are "
                f"{', '.join(self.band_names)}. Name the HR-MSI's bands in raster order."
            )
        cols = [index[str(b).strip().lower()] for b in bands]
        return SrfTable(self.name, self.wavelengths, self.responses[:, cols],
                        tuple(self.band_names[c] for c in cols))

    def named(self, descriptions: Sequence[str]) -> Optional[tuple[str, ...]]:
        """The table's bands that ``descriptions`` (an HR-MSI's, in raster order) name, e.g.
        ``B2``, ``B02``, ``B8A`` or ``Band 2: B2 (490 nm)`` for ``B2``; None unless every
        description names a different band of the table."""
        table = {band_key(n): n for n in self.band_names}
        keys = [band_key(d) for d in descriptions]
        if not keys or None in keys or len(set(keys)) < len(keys) or not all(k in table for k in keys):
            return None
        return tuple(table[k] for k in keys)

    def centres(self) -> np.ndarray:
        """Response-weighted mean wavelength of each band, in nm."""
        weights = self.responses / self.responses.sum(axis=0)
        return weights.T @ self.wavelengths
