"""M2U-Net (Li et al., IEEE TGRS 2024): model-informed multistage unsupervised fusion."""

from .dil_net import DILNet
from .dual_unet import CAGModule, DualUNet
from .method import M2UNet
from .schedule import PRESET_SCHEDULES, M2UNetSchedule
from .sml_net import CIEModule, SMLNet, SMLStream

__all__ = [
    "M2UNet",
    "DILNet",
    "SMLNet",
    "SMLStream",
    "CIEModule",
    "DualUNet",
    "CAGModule",
    "PRESET_SCHEDULES",
    "M2UNetSchedule",
]
