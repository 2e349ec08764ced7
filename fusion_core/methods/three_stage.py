"""The settings shared by the three-stage trainings of UDALN and M2U-Net (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import option

__all__ = ["ThreeStageSchedule"]


@dataclass(frozen=True)
class ThreeStageSchedule:
    """Iterations, learning rates and decay starts of a three-stage training (UDALN, M2U-Net)."""

    stage1_iters: int = option("iterations of stage 1 (PSF and SRF)")
    stage2_iters: int = option("iterations of stage 2 (spectral map)")
    stage3_iters: int = option("iterations of stage 3")
    lr_stage1: float = option("Adam's initial learning rate in stage 1", above=0)
    lr_stage2: float = option("Adam's initial learning rate in stage 2", above=0)
    lr_stage3: float = option("Adam's initial learning rate in stage 3", above=0)
    decay_stage1: float = option("fraction of stage 1 after which its rate decays linearly to zero",
                                 maximum=1)
    decay_stage2: float = option("fraction of stage 2 after which its rate decays linearly to zero",
                                 maximum=1)
    decay_stage3: float = option("fraction of stage 3 after which its rate decays linearly to zero",
                                 maximum=1)
    init_from_model: bool = option("start the PSF/SRF modules from the given degradation model "
                                   "(true) or from the paper's own initialisation (false)")
