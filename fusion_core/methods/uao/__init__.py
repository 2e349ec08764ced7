"""UAO (Nie et al.): unsupervised alternating optimisation for blind hyperspectral fusion."""

from .alternating import alternate, degradation_loss
from .guidance import spatial_guidance, spectral_guidance
from .method import UAO
from .networks import ReconstructionNet
from .pretrained import load_pretrained_reconstruction
from .schedule import PRESET_SCHEDULES, UAOSchedule

__all__ = [
    "UAO",
    "ReconstructionNet",
    "alternate",
    "degradation_loss",
    "spatial_guidance",
    "spectral_guidance",
    "load_pretrained_reconstruction",
    "PRESET_SCHEDULES",
    "UAOSchedule",
]
