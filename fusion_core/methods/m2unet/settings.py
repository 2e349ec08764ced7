"""M2U-Net's training schedules: the presets and the options that override them.

A schedule fixes, per stage, the number of iterations, the initial Adam learning rate and the
point where the rate starts its linear decay to zero (as a fraction of the stage), plus the
width P of the Dual U-Net and whether DIL-Net starts from the given degradation model.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import option
from ..three_stage import ThreeStageSchedule

__all__ = ["M2UNetSchedule", "PRESETS"]


@dataclass(frozen=True)
class M2UNetSchedule(ThreeStageSchedule):
    """M2U-Net's three stages: 1 DIL-Net (PSF and SRF from eq. 9), 2 SML-Net from the two
    LR-MSIs (eq. 10), 3 the Dual U-Net on the model-constrained loss (eq. 16). With
    ``init_from_model=False``, DIL-Net starts from the authors' box PSF and flat SRF."""

    width: int = option("P, the feature maps of every Dual U-Net layer", minimum=1)


PRESETS: dict[str, M2UNetSchedule] = {
    # The authors' code: 3000 + 3000, 2000 + 2000 and 7000 + 7000 iterations (constant rate,
    # then linear decay) at 1e-3, 4e-3 and 4e-3; P = 260. About a day for a 100×100 scene on a
    # 2-core CPU (a Dual U-Net iteration takes 3-7 s there); meant for a GPU.
    "paper": M2UNetSchedule(
        stage1_iters=6000, stage2_iters=4000, stage3_iters=14000,
        lr_stage1=1e-3, lr_stage2=4e-3, lr_stage3=4e-3,
        decay_stage1=0.5, decay_stage2=0.5, decay_stage3=0.5,
        width=260, init_from_model=False,
    ),
    # A few minutes on a 2-core CPU for a 100×100×198 scene at r = 4: DIL-Net only refines the
    # given model, SML-Net trains briefly, and a narrow Dual U-Net (P = 32) runs 600 iterations
    # at 2.5 times the paper's rate (on Jasper Ridge: 34.1 dB after 600 iterations at 1e-2,
    # 32.8 dB at 4e-3).
    "fast": M2UNetSchedule(
        stage1_iters=200, stage2_iters=500, stage3_iters=600,
        lr_stage1=1e-4, lr_stage2=4e-3, lr_stage3=1e-2,
        decay_stage1=0.5, decay_stage2=0.5, decay_stage3=0.5,
        width=32, init_from_model=True,
    ),
}
