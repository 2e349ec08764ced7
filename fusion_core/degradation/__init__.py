"""The observation model: PSF kernels, SRF matrices, the operators that apply them, simulation."""

from .compare import psf_error, srf_effect_error
from .model import DegradationModel, normalize_srf
from .operators import alias_mean, blur_spectrum, spatial_degrade, spectral_degrade
from .psf import block_centre, gaussian_psf, motion_psf, normalize_psf, psf_centroid, psf_fwhm, sensor_psf
from .simulate import add_noise, simulate_pair

__all__ = [
    "psf_error",
    "srf_effect_error",
    "DegradationModel",
    "normalize_srf",
    "spatial_degrade",
    "blur_spectrum",
    "alias_mean",
    "spectral_degrade",
    "block_centre",
    "gaussian_psf",
    "sensor_psf",
    "motion_psf",
    "normalize_psf",
    "psf_centroid",
    "psf_fwhm",
    "add_noise",
    "simulate_pair",
]
