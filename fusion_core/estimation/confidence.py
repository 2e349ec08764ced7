"""What the pair pins down of an estimated SRF, band by band (for the model file and report).

The pair sees an SRF column ``s_m`` only through ``Yᵀs_m``, the LR-HSI integrated by it; the
part of ``s_m`` outside the LR-HSI's signal subspace changes that integral by less than the
noise, so it comes from the prior (when one is given) or from the smoothness penalty, not from
the data. A blind estimate can be far from the true matrix (80 % on AVIRIS with Landsat 8 bands)
while its effect on the fused pixels is under 1 %: this says which of the two a user reads.
"""

from __future__ import annotations

import numpy as np
import torch

from ..spectral import subspace_dimension
from .windows import Patches

__all__ = ["srf_confidence"]


def srf_confidence(patches: Patches, srf: np.ndarray, noise_std: np.ndarray, with_prior: bool) -> dict:
    """Per-band confidence of ``srf (C, M)`` estimated from ``patches``.

    Returns:
        ``determined_share`` ``(M,)``: ``‖Uᵀs_m‖ / ‖s_m‖`` with ``U`` the LR-HSI's signal
        subspace, the share of each column the data determine (1: all of it); ``rest_from``:
        what fixed the remainder (``"prior"`` or ``"smoothness"``); ``hsi_subspace_dim``.
    """
    dimension = subspace_dimension(torch.from_numpy(patches.y), torch.from_numpy(noise_std))
    basis = np.linalg.svd(patches.y, full_matrices=False)[0][:, :dimension]
    norms = np.linalg.norm(srf, axis=0)
    share = np.linalg.norm(basis.T @ srf, axis=0) / np.where(norms > 0, norms, 1.0)
    return {"determined_share": share, "rest_from": "prior" if with_prior else "smoothness",
            "hsi_subspace_dim": int(dimension)}
