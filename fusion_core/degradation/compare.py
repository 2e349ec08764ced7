"""How far an estimated degradation model is from the truth (for tests, benchmarks, the demo)."""

from __future__ import annotations

import numpy as np

__all__ = ["psf_error", "srf_effect_error"]


def psf_error(estimate: np.ndarray, truth: np.ndarray, scale: int) -> float:
    """Relative L2 error ``‖est − true‖ / ‖true‖`` of two PSFs in one block-centred frame.

    Kernels of different sizes are zero-padded into a common frame where both sit as
    :func:`~fusion_core.degradation.spatial_degrade` applies them, so a wrong grid offset counts
    as error.
    """
    size = max(estimate.shape[0], truth.shape[0], estimate.shape[1], truth.shape[1]) + 2

    def frame(kernel: np.ndarray) -> np.ndarray:
        out = np.zeros((size, size))
        oy = (size - scale) // 2 - (kernel.shape[0] - scale) // 2
        ox = (size - scale) // 2 - (kernel.shape[1] - scale) // 2
        out[oy:oy + kernel.shape[0], ox:ox + kernel.shape[1]] = kernel
        return out

    return float(np.linalg.norm(frame(estimate) - frame(truth)) / np.linalg.norm(truth))


def srf_effect_error(cube: np.ndarray, estimate: np.ndarray, truth: np.ndarray) -> float:
    """``‖X·S_est − X·S_true‖ / ‖X·S_true‖`` on a cube ``(C, H, W)``: the SRF error fusion sees.

    Components of an SRF outside the data's spectral subspace change nothing here, as they
    cannot be identified blindly.
    """
    est = np.einsum("chw,cm->mhw", cube, estimate)
    ref = np.einsum("chw,cm->mhw", cube, truth)
    return float(np.linalg.norm(est - ref) / np.linalg.norm(ref))
