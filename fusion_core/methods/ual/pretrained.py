"""The pretrained mutual-guiding fusion module shipped with the plugin, loaded offline.

The weights in ``weights/`` were trained by ``scripts/pretrain_ual.py`` on real scenes that are
not benchmark scenes, with synthetic degradations; ``weights/mutual_guiding_fusion.json`` records
the data and settings. UAO uses the same module as its backbone.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...pretrained import LAYOUT, load_weights
from .networks import MutualGuidingFusion

__all__ = ["WEIGHTS", "NETWORK", "load_pretrained_fusion"]

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
