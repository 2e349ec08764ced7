"""An SRF prior that can be shifted and stretched along wavelength before it is used.

Presets are often slightly wrong for a given instrument (a curve a few nm off, wider or narrower
than tabulated). The estimator therefore asks the prior for variants of each band — the curve
shifted by ``shift`` nm and stretched by ``stretch`` around its centre — and keeps the one the
data support. With the tabulated curves at hand (:meth:`SrfPrior.from_table`) a variant is
exact: the modified curve is resampled onto the HSI bands again. From a bare matrix
(:meth:`SrfPrior.from_matrix`) the columns themselves are interpolated along wavelength, which
is only approximate for bands narrower than a few HSI bands.
"""

from __future__ import annotations

import copy
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError
from .resample import hsi_band_responses, resample_srf
from .table import SrfTable

__all__ = ["SrfPrior"]


class SrfPrior:
    """A ``(C, M)`` SRF prior on the HSI bands plus the means to make variants of its columns."""

    def __init__(self, matrix: np.ndarray, wavelengths: Optional[np.ndarray],
                 table: Optional[SrfTable] = None, hsi_fwhm: Optional[np.ndarray] = None,
                 name: str = "SRF prior") -> None:
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.wavelengths = None if wavelengths is None else np.asarray(wavelengths, dtype=np.float64).ravel()
        self.table = table
        self.name = table.name if table is not None else name
        self._bands: Optional[np.ndarray] = None
        if table is not None and self.wavelengths is not None:
            self._grid = np.arange(table.wavelengths[0] - 100.0, table.wavelengths[-1] + 100.5, 0.5)
            self._bands = hsi_band_responses(self._grid, self.wavelengths, hsi_fwhm)

    @classmethod
    def from_table(cls, table: SrfTable, hsi_wavelengths: np.ndarray,
                   hsi_fwhm: Optional[np.ndarray] = None) -> "SrfPrior":
        """Exact variants from tabulated curves (needs the HSI band wavelengths)."""
        if hsi_wavelengths is None:
            raise InputError(
                "The LR-HSI has no wavelength metadata, which is needed to use an SRF preset or CSV: "
                "set the band wavelengths (ENVI 'wavelength' metadata, in nm) or run without a prior.")
        return cls(resample_srf(table, hsi_wavelengths, hsi_fwhm), hsi_wavelengths, table, hsi_fwhm)

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, hsi_wavelengths: Optional[np.ndarray] = None,
                    band_names: Optional[Sequence[str]] = None) -> "SrfPrior":
        """Approximate variants by interpolating the columns (band index when no wavelengths)."""
        return cls(matrix, hsi_wavelengths)

    def with_matrix(self, matrix: np.ndarray) -> "SrfPrior":
        """A copy of this prior whose matrix on the HSI bands is ``matrix`` (same curves)."""
        other = copy.copy(self)
        other.matrix = np.asarray(matrix, dtype=np.float64)
        return other

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.matrix.shape
        return rows, cols

    def variants(self, band: int, shifts: np.ndarray, stretches: np.ndarray) -> np.ndarray:
        """Column ``band`` shifted by each of ``shifts`` (nm) and stretched by each of
        ``stretches``: ``(len(stretches) * len(shifts), C)``, stretch-major, rows summing to one
        (NaN rows where a variant leaves the HSI's range)."""
        if self.table is not None and self._bands is not None:
            return self._table_variants(self.table, self._bands, band, shifts, stretches)
        return self._column_variants(band, shifts, stretches)

    def _table_variants(self, table: SrfTable, bands: np.ndarray, band: int, shifts, stretches) -> np.ndarray:
        wl, curve = table.wavelengths, table.responses[:, band]
        centre = float(np.sum(wl * curve) / np.sum(curve))
        src = centre + (self._grid[None, None, :] - shifts[None, :, None] - centre) / stretches[:, None, None]
        curves = np.interp(src.ravel(), wl, curve, left=0.0, right=0.0).reshape(-1, self._grid.size)
        out = curves @ bands.T
        return _normalise_rows(out)

    def _column_variants(self, band: int, shifts, stretches) -> np.ndarray:
        c = self.matrix.shape[0]
        wl = np.arange(c, dtype=np.float64) if self.wavelengths is None else self.wavelengths
        order = np.argsort(wl, kind="stable")
        column = self.matrix[:, band]
        centre = float(np.sum(column * wl) / np.sum(column))
        src = centre + (wl[None, None, :] - shifts[None, :, None] - centre) / stretches[:, None, None]
        out = np.interp(src.ravel(), wl[order], column[order], left=0.0, right=0.0).reshape(-1, c)
        return _normalise_rows(out)


def _normalise_rows(values: np.ndarray) -> np.ndarray:
    total = values.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 1e-12 * max(total.max(), 1e-300), values / total, np.nan)
