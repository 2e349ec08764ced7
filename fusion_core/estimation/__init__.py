"""Blind estimation of the degradation model (PSF, SRF, grid offset) from the image pair."""

from .blind import estimate_degradation

__all__ = ["estimate_degradation"]
