"""Training schedules of the stable lightweight VAE method: presets and the options that override them.

Two stages (see :mod:`.method`): the coordination (EM) loop, where fusion module and degradation
are learned together, then the partial fine-tuning of the decoders. Learning rates follow the
authors' step decay: multiplied by ``gamma`` at each milestone (iteration numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import option

__all__ = ["StableVAESchedule", "PRESETS"]


@dataclass(frozen=True)
class StableVAESchedule:
    """Iterations, learning rates and loss weights of the two stages."""

    em_iters: int = option("iterations of the coordination loop (fusion module and degradation together)")
    finetune_iters: int = option("iterations of the partial fine-tuning (decoders only)")
    lr_fusion: float = option("Adam rate of the fusion module in the coordination loop", above=0)
    lr_degradation: float = option("Adam rate of the PSF and SRF parameters in the coordination loop",
                                   above=0)
    lr_finetune: float = option("Adam rate of the decoders in the fine-tuning", above=0)
    em_milestones: tuple[int, ...] = option(
        "iterations of the coordination loop at which its rates are multiplied by gamma")
    finetune_milestones: tuple[int, ...] = option("iterations of the fine-tuning at which its rate is "
                                                  "multiplied by gamma")
    gamma: float = option("factor applied to the rates at each milestone")
    alpha1: float = option("weight of the LR-HSI likelihood (fused image blurred vs LR-HSI)")
    alpha2: float = option("weight of the HR-MSI likelihood (fused image spectrally degraded vs HR-MSI)")
    alpha3: float = option("weight of the cross-degradation term (LR-HSI spectrally vs HR-MSI "
                           "spatially degraded)")
    beta: float = option("weight of the fusion module's loss")
    init_from_model: bool = option("start the degradation from the given PSF and SRF (free-form, "
                                   "refined) instead of the paper's parametric Gaussian PSF and "
                                   "Gaussian-mixture SRF")


#: The supplement's default loss weights α1, α2, α3, β.
PAPER_WEIGHTS = dict(alpha1=0.5, alpha2=0.2, alpha3=0.2, beta=0.5)

PRESETS: dict[str, StableVAESchedule] = {
    # The authors' settings: training 100 epochs at 1e-3 over the 16 × 145 overlapping patches
    # of 4×4 LR pixels of their CAVE training images in batches of 32, i.e. 73 steps an epoch
    # (its milestones, from epoch 250, are never reached), one Adam for fusion module and
    # degradation; fine-tuning 500 epochs at 5e-3 halved at epochs 25, 45, ..., 165, one step
    # per epoch on the whole image.
    "paper": StableVAESchedule(
        em_iters=7300, finetune_iters=500,
        lr_fusion=1e-3, lr_degradation=1e-3, lr_finetune=5e-3,
        em_milestones=(), finetune_milestones=(25, 45, 65, 85, 105, 125, 145, 165), gamma=0.5,
        init_from_model=False, **PAPER_WEIGHTS,
    ),
    # Starts from the given degradation model, refined at a tenth of the rate; same stages and
    # weights, fewer iterations. About a minute for a 100×100×198 scene on one CPU core.
    "fast": StableVAESchedule(
        em_iters=800, finetune_iters=200,
        lr_fusion=1e-3, lr_degradation=1e-4, lr_finetune=5e-3,
        em_milestones=(), finetune_milestones=(25, 45, 65, 85, 105, 125, 145, 165), gamma=0.5,
        init_from_model=True, **PAPER_WEIGHTS,
    ),
}
