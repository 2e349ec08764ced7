"""Spectral tools shared by the methods: noise levels of the two inputs, the LR-HSI's signal
subspace, and linear maps from MSI bands to HSI bands fitted at low resolution.

SSCF (the default method) is built from them, the pretrained methods' subspace adapter uses
them, and the ridge baseline is :func:`ridge_fusion`.
"""

from .linalg import orthonormalise, principal_axes
from .mapping import LocalMap, RidgeMap, apply_local_map, fit_local_map, fit_ridge_map, ridge_fusion
from .noise import MAX_SAMPLES, SampleMoments, hsi_noise_std, msi_noise_std, pixel_samples, sample_moments
from .subspace import signal_subspace, subspace_dimension

__all__ = [
    "principal_axes",
    "orthonormalise",
    "RidgeMap",
    "fit_ridge_map",
    "ridge_fusion",
    "LocalMap",
    "fit_local_map",
    "apply_local_map",
    "hsi_noise_std",
    "msi_noise_std",
    "pixel_samples",
    "SampleMoments",
    "sample_moments",
    "MAX_SAMPLES",
    "signal_subspace",
    "subspace_dimension",
]
