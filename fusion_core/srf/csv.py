"""Reading spectral response tables from CSV files.

Format (the one of ``shared/data/srf/*.csv``): a header row whose first column is
``wavelength_nm``, then one column per HR-MSI band in the raster's band order; one row per
wavelength. Values may be on any scale (peak 1, percent, counts); they are normalised later.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from .table import SrfTable

__all__ = ["read_srf_csv"]


def read_srf_csv(path: str | os.PathLike) -> SrfTable:
    """Read an SRF table from ``path``; raises :class:`InputError` naming what is wrong."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except OSError as exc:
        raise InputError(f"Cannot read the SRF file {path}: {exc.strerror}.") from None
    if len(rows) < 3:
        raise InputError(f"The SRF file {path} needs a header row and at least two wavelength rows.")
    header = [cell.strip() for cell in rows[0]]
    if header[0].lower() != "wavelength_nm" or len(header) < 2:
        raise InputError(
            f"The SRF file {path} must start with a 'wavelength_nm' column followed by one column "
            f"per HR-MSI band; its header is {', '.join(header)}."
        )
    try:
        values = np.array([[float(cell) for cell in row[: len(header)]] for row in rows[1:]])
    except ValueError as exc:
        raise InputError(f"The SRF file {path} has a non-numeric value ({exc}).") from None
    if values.shape[1] != len(header):
        raise InputError(f"Some rows of {path} have fewer columns than the header ({len(header)}).")
    order = np.argsort(values[:, 0], kind="stable")
    return SrfTable(path.stem, values[order, 0], values[order, 1:], tuple(header[1:]))
