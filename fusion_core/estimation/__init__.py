"""Blind estimation of the degradation model (PSF, SRF, grid offset) from the image pair."""

from .blind import check_msi_bands, estimate_degradation, unexplained_band

__all__ = ["estimate_degradation", "check_msi_bands", "unexplained_band"]
