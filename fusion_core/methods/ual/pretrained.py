"""The pretrained mutual-guiding fusion module shipped with the plugin, loaded offline.

The weights in ``weights/`` were trained by ``scripts/pretrain_ual.py`` on real scenes that are
not benchmark scenes, with synthetic degradations; ``weights/mutual_guiding_fusion.json`` records
the data and settings. UAO uses the same module as its backbone.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ...pretrained import LAYOUT, SubspaceAdapter, load_weights
from .networks import MutualGuidingFusion

__all__ = ["WEIGHTS", "NETWORK", "load_pretrained_fusion", "RoughEstimate", "rough_estimate"]

#: The fusion module's weights (the JSON record sits next to them).
WEIGHTS = Path(__file__).resolve().parent / "weights" / "mutual_guiding_fusion.pt"
#: The network name the record must carry.
NETWORK = "MutualGuidingFusion"
_REMEDY = "Retrain them with 'python scripts/pretrain_ual.py' (about 25 minutes on a CPU)."


def load_pretrained_fusion(device: torch.device, path: Path = WEIGHTS) -> MutualGuidingFusion:
    """The pretrained fusion module on ``device``, frozen and in eval mode.

    Its size (``k``, ``width``, ``depth``) comes from the record, available as ``.record``
    (a dict; ``record["k"]`` is the number of subspace coefficients it expects).

    Raises:
        InputError: the weights or their record are missing, unreadable or for another network
            or spectral layout.
    """
    state, record = load_weights(path, {"network": NETWORK, "layout": LAYOUT}, device, _REMEDY)
    fusion = MutualGuidingFusion(record["k"], record["width"], record["depth"]).to(device)
    fusion.load_state_dict(state)
    fusion.eval().requires_grad_(False)
    fusion.record = record
    return fusion


class RoughEstimate(NamedTuple):
    """The pretrained module's fusion of a scene, where UAL and UAO start.

    Attributes:
        fusion: the pretrained module (frozen).
        adapter: the scene's own spectral subspace.
        rough: its fusion, as subspace coefficients ``(1, K, H, W)``.
        outside: what of the LR-HSI lies outside the subspace, upsampled, added back on decoding.
    """

    fusion: MutualGuidingFusion
    adapter: SubspaceAdapter
    rough: torch.Tensor
    outside: torch.Tensor


def rough_estimate(y: torch.Tensor, z: torch.Tensor, psf: np.ndarray, scale: int) -> RoughEstimate:
    """The pretrained module's fusion of LR-HSI ``y`` and HR-MSI ``z`` (batches of one) in the
    scene's subspace, fitted with the PSF ``psf`` at ratio ``scale``."""
    fusion = load_pretrained_fusion(y.device)
    adapter = SubspaceAdapter.fit(y[0], z[0], psf, scale, fusion.k)
    with torch.no_grad():
        rough = fusion(*adapter.network_inputs(y[0], z[0]))
        outside = adapter.outside(y[0], scale)
    return RoughEstimate(fusion, adapter, rough, outside)
