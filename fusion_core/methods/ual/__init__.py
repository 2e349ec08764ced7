"""UAL (Zhang et al., CVPR 2020): unsupervised adaptation learning on a pretrained fusion module."""

from .method import UAL
from .networks import MutualGuidingFusion, SelfGuidingAdaptation, degeneration_network
from .pretrained import WEIGHTS, load_pretrained_fusion
from .schedule import PRESET_SCHEDULES, UALSchedule

__all__ = [
    "UAL",
    "PRESET_SCHEDULES",
    "UALSchedule",
    "MutualGuidingFusion",
    "SelfGuidingAdaptation",
    "degeneration_network",
    "WEIGHTS",
    "load_pretrained_fusion",
]
