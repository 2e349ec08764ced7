"""Spectral response functions of HR-MSI sensors: presets, CSV tables, resampling to HSI bands."""

from .catalog import SENSOR_PRESETS
from .csv import read_srf_csv
from .normalise import normalize_srf
from .presets import load_preset, preset_ids
from .prior import SrfPrior
from .resample import hsi_band_responses, resample_srf
from .table import SrfTable

__all__ = [
    "SENSOR_PRESETS",
    "SrfTable",
    "SrfPrior",
    "load_preset",
    "preset_ids",
    "read_srf_csv",
    "normalize_srf",
    "resample_srf",
    "hsi_band_responses",
]
