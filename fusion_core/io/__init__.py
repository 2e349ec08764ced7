"""Georeferenced raster IO and the checks that an LR-HSI / HR-MSI pair lines up.

The names below load on first use, so that importing a light submodule (``io.output_format``,
which the request's declarations need) does not import rasterio, affine or pyproj: the QGIS
plugin must load, and list its algorithms, in a QGIS whose Python lacks them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pair import PairPlan, Warp
    from .raster import (
        Raster,
        RasterGrid,
        atomic_output,
        empty_bands,
        read_raster,
        read_raster_info,
        write_raster,
    )
    from .wavelengths import Spectral, parse_wavelengths

_HOMES = {"PairPlan": "pair", "Warp": "pair", "Spectral": "wavelengths", "parse_wavelengths": "wavelengths",
          **{name: "raster" for name in ("Raster", "RasterGrid", "atomic_output", "empty_bands", "read_raster",
                                         "read_raster_info", "write_raster")}}

__all__ = ["Raster", "RasterGrid", "atomic_output", "read_raster", "read_raster_info",
           "empty_bands", "parse_wavelengths", "Spectral", "write_raster", "PairPlan", "Warp"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
