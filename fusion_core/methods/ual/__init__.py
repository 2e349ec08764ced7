"""UAL (Zhang et al., CVPR 2020): unsupervised adaptation learning on a pretrained fusion module."""

from .networks import (MutualGuidingFusion, SelfGuidingAdaptation, degeneration_network)
from .pretrained import WEIGHTS, load_pretrained_fusion

__all__ = [
    "MutualGuidingFusion",
    "SelfGuidingAdaptation",
    "degeneration_network",
    "WEIGHTS",
    "load_pretrained_fusion",
]
