"""Spectral responses of common HR-MSI sensors, by preset id (see :mod:`.catalog`).

Sentinel-2A/B MSI and Landsat-8/9 OLI come from the tables shipped with the PyPI package
``pyrsr`` (ESA S2-SRF v3.0, NASA/USGS OLI RSR), read with its ``RSR_reader``. WorldView-2 and
WorldView-3 are in no package that works offline (pyrsr 0.8, Py6S 1.9 and rsrf 0.3 lack them;
pyspectral downloads its tables at run time), so their presets are flat-topped curves built from
the band edges Maxar publishes (half maximum at each edge). They are approximations: the
estimator corrects a shifted or widened preset from the data, and the exact table can be given
as an SRF CSV instead.
"""

from __future__ import annotations

import numpy as np

from ..errors import DependencyError, InputError
from .catalog import SENSOR_PRESETS
from .table import SrfTable

__all__ = ["load_preset", "preset_ids"]

# preset id -> (pyrsr satellite, pyrsr sensor, bands kept; None keeps all)
_PYRSR = {
    "sentinel-2a": ("Sentinel-2A", "MSI", None),
    "sentinel-2b": ("Sentinel-2B", "MSI", None),
    "landsat-8": ("Landsat-8", "OLI_TIRS", ["1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    "landsat-9": ("Landsat-9", "OLI_TIRS", ["1", "2", "3", "4", "5", "6", "7", "8", "9"]),
}

# Maxar band edges in nm (WorldView-2 and -3 multispectral VNIR bands share them).
_WORLDVIEW_VNIR = (
    ("Coastal", 400, 450), ("Blue", 450, 510), ("Green", 510, 580), ("Yellow", 585, 625),
    ("Red", 630, 690), ("RedEdge", 705, 745), ("NIR1", 770, 895), ("NIR2", 860, 1040),
)
_EDGES = {"worldview-2": _WORLDVIEW_VNIR, "worldview-3": _WORLDVIEW_VNIR}


def preset_ids() -> list[str]:
    """The ids :func:`load_preset` accepts, in the QGIS enum order."""
    return [pid for pid, _ in SENSOR_PRESETS]


def load_preset(preset: str) -> SrfTable:
    """The SRF table of a sensor preset (e.g. ``"sentinel-2a"``), bands named as on the sensor.

    Sentinel-2 bands are ``B1`` … ``B12`` with ``B8A`` after ``B8``; Landsat OLI bands are
    ``B1`` … ``B9`` (``B8`` panchromatic, ``B9`` cirrus). Pick the HR-MSI's bands with
    :meth:`SrfTable.select`.
    """
    labels = dict(SENSOR_PRESETS)
    key = str(preset).strip().lower()
    if key not in labels:
        raise InputError(f"Unknown SRF preset {preset!r}; choose one of {', '.join(preset_ids())}.")
    if key in _PYRSR:
        return _from_pyrsr(labels[key], *_PYRSR[key])
    return _from_edges(labels[key], _EDGES[key])


def _from_pyrsr(label: str, satellite: str, sensor: str, keep: list[str] | None) -> SrfTable:
    try:
        from pyrsr.rsr import RSR_reader
    except ImportError:
        raise DependencyError(
            "Sensor SRF presets need the Python package pyrsr: run 'python -m pip install pyrsr', "
            "or give the SRF as a CSV file."
        ) from None
    curves = RSR_reader(satellite, sensor, LayerBandsAssignment=keep)
    lo = min(_nm(c[:, 0]).min() for c in curves.values())
    hi = max(_nm(c[:, 0]).max() for c in curves.values())
    grid = np.arange(np.floor(lo), np.ceil(hi) + 1.0)
    responses = np.column_stack(
        [np.interp(grid, _nm(c[:, 0]), c[:, 1], left=0.0, right=0.0) for c in curves.values()]
    )
    return SrfTable(label, grid, responses, tuple(f"B{band}" for band in curves))


def _nm(wavelengths: np.ndarray) -> np.ndarray:
    """pyrsr tabulates some sensors in micrometres, others in nanometres."""
    return wavelengths * 1000.0 if wavelengths.max() < 30 else wavelengths


def _from_edges(label: str, edges) -> SrfTable:
    grid = np.arange(350.0, 1101.0)
    curves = []
    for _, lo, hi in edges:
        centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
        curves.append(np.exp(-np.log(2.0) * ((grid - centre) / half) ** 8))
    return SrfTable(f"{label} (band-edge approximation)", grid, np.column_stack(curves),
                    tuple(name for name, _, _ in edges))
