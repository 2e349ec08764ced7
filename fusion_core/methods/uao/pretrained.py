"""The meta-learned initialisation of UAO's reconstruction network, loaded offline.

``weights/reconstruction_net.pt`` was trained by ``scripts/pretrain_uao.py`` (MAML on synthetic
degradations of real scenes that are not benchmark scenes); ``weights/reconstruction_net.json``
records the data and settings.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...pretrained import LAYOUT, load_weights
from .networks import ReconstructionNet

__all__ = ["WEIGHTS", "NETWORK", "load_pretrained_reconstruction"]

#: The reconstruction network's initial weights (the JSON record sits next to them).
WEIGHTS = Path(__file__).resolve().parent / "weights" / "reconstruction_net.pt"
#: The network name the record must carry.
NETWORK = "ReconstructionNet"
_REMEDY = "Retrain them with 'python scripts/pretrain_uao.py' (about 15 minutes on a CPU)."


def load_pretrained_reconstruction(k: int, device: torch.device, path: Path = WEIGHTS) -> ReconstructionNet:
    """The meta-learned reconstruction network for ``k`` subspace coefficients, on ``device``.

    Raises:
        InputError: the weights or their record are missing, unreadable, or for another
            network, spectral layout or number of coefficients.
    """
    state, record = load_weights(path, {"network": NETWORK, "layout": LAYOUT, "k": k}, device, _REMEDY)
    net = ReconstructionNet(record["k"], record["width"]).to(device)
    net.load_state_dict(state)
    return net
