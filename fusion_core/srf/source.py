"""Where the SRF prior of a run comes from: a sensor preset or a CSV table, optional band subset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["SrfSource"]


@dataclass(frozen=True)
class SrfSource:
    """A sensor preset id or an SRF CSV path (not both), and the HR-MSI's bands in raster order.

    ``names`` are how the caller calls the three settings and the HSI's wavelengths (QGIS keys,
    CLI flags or Python arguments), for messages.
    """

    sensor: Optional[str] = None
    csv_path: Optional[str] = None
    bands: Optional[Sequence[str]] = None
    names: tuple[str, str, str, str] = ("sensor", "srf_file", "msi_bands", "wavelengths")

    @property
    def given(self) -> bool:
        return bool(self.sensor or self.csv_path)

    def table(self, msi_names: Optional[Sequence[str]] = None):
        """The :class:`fusion_core.srf.SrfTable` (wavelengths + one curve per band): the chosen
        bands, else those the HR-MSI's band descriptions ``msi_names`` name (``B2``, ``B8A``…,
        see :meth:`~fusion_core.srf.SrfTable.named`), else all of them."""
        from . import load_preset, read_srf_csv

        if self.sensor and self.csv_path:
            raise InputError(f"Give either {self.names[0]} or {self.names[1]}, not both.")
        if self.sensor:
            table = load_preset(self.sensor)
        elif self.csv_path:
            table = read_srf_csv(self.csv_path)
        else:
            raise InputError(f"Give {self.names[0]} or {self.names[1]} for the HR-MSI's SRF.")
        if self.bands:
            return table.select(list(self.bands))
        named = table.named(msi_names) if msi_names else None
        return table.select(named) if named else table

    def prior(self, hsi_wavelengths: Optional[np.ndarray], hsi_fwhm: Optional[np.ndarray],
              n_msi: Optional[int] = None, role: str = "LR-HSI",
              msi_names: Optional[Sequence[str]] = None):
        """The SRF on the HSI bands as a :class:`fusion_core.srf.SrfPrior` (``.matrix`` is ``(C, M)``);
        ``msi_names``: the HR-MSI's band descriptions, matched to the table's bands by name.

        Raises:
            InputError: no wavelengths on the HSI, or a band count that differs from the HR-MSI's.
        """
        from .prior import SrfPrior

        table = self.table(msi_names)
        if hsi_wavelengths is None:
            raise InputError(
                f"The {role} has no wavelength metadata, which an SRF prior ({self.names[0]} or "
                f"{self.names[1]}) needs: give the band wavelengths ({self.names[3]}, or ENVI "
                "'wavelength' metadata in nm), or run without an SRF prior — blind fusion does "
                "not need one."
            )
        if n_msi is not None and table.n_bands != n_msi:
            raise InputError(
                f"The SRF ({table.name}) has {table.n_bands} bands ({', '.join(table.band_names)}) "
                f"but the HR-MSI has {n_msi}: choose the HR-MSI's bands by name, in raster order "
                f"({self.names[2]})."
            )
        return SrfPrior.from_table(table, hsi_wavelengths, hsi_fwhm)
