"""UDALN (Li et al., IEEE GRSL 2022): unsupervised blind fusion with degradation-adaptive learning."""

from .method import UDALN
from .networks import SpaDnet, SpeDnet, SpeUnet, gaussian_srf, srf_support
from .schedule import PRESET_SCHEDULES, UDALNSchedule

__all__ = [
    "UDALN",
    "SpaDnet",
    "SpeDnet",
    "SpeUnet",
    "gaussian_srf",
    "srf_support",
    "PRESET_SCHEDULES",
    "UDALNSchedule",
]
