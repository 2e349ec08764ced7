"""Stable lightweight VAE fusion (Guo et al., CVPR 2023): a tiny VAE under the spectral mixing
prior, coordinated with an explicit degradation estimate in an EM-style loop."""

from .explicit_degradation import GaussianMixtureSRF, GaussianPSF
from .method import StableVAE
from .networks import AbundanceEncoder, SpectralDecoder, VAEFusion, decoder_width
from .schedule import PRESET_SCHEDULES, StableVAESchedule

__all__ = [
    "StableVAE",
    "VAEFusion",
    "AbundanceEncoder",
    "SpectralDecoder",
    "decoder_width",
    "GaussianPSF",
    "GaussianMixtureSRF",
    "PRESET_SCHEDULES",
    "StableVAESchedule",
]
