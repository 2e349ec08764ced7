"""Georeferenced raster IO and the checks that an LR-HSI / HR-MSI pair lines up."""

from .pair import PairPlan, Warp
from .raster import Raster, RasterGrid, atomic_output, empty_bands, read_raster, read_raster_info, write_raster
from .wavelengths import Spectral, parse_wavelengths

__all__ = ["Raster", "RasterGrid", "atomic_output", "read_raster", "read_raster_info",
           "empty_bands", "parse_wavelengths", "Spectral", "write_raster", "PairPlan", "Warp"]
