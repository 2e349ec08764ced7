"""Shared pieces of the pretrained fusion methods (UAL, UAO).

* :mod:`.subspace` — the spectral layout: ``K`` normalised coefficients of the scene's own
  spectral subspace, MSI guidance, encode/decode;
* :mod:`.synthetic` — synthetic training pairs (random Gaussian PSF, perturbed real SRF, noise)
  and random patches;
* :mod:`.store` — weights files with their JSON records, loaded offline.
"""

from .store import load_weights, record_path, run_record, save_weights
from .subspace import DEFAULT_K, LAYOUT, SubspaceAdapter
from .synthetic import (
                        DegradationRanges,
                        TrainingExample,
                        covered_bands,
                        perturbed_srf,
                        random_patches,
                        random_psf,
                        synthetic_pair,
                        training_example,
)

__all__ = [
    "DEFAULT_K",
    "LAYOUT",
    "SubspaceAdapter",
    "DegradationRanges",
    "TrainingExample",
    "covered_bands",
    "perturbed_srf",
    "random_patches",
    "random_psf",
    "synthetic_pair",
    "training_example",
    "load_weights",
    "record_path",
    "run_record",
    "save_weights",
]
