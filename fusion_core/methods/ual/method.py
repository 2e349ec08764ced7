"""UAL: unsupervised adaptation learning (Zhang, Nie, Wei, Zhang, Liao, Shao, CVPR 2020)."""

from __future__ import annotations

import torch

from ...degradation import DegradationModel
from ...losses import reconstruction_loss
from ...progress import Progress
from ...training import AdamSettings, Stage, run_stages
from ..common import TrainedMethod, TrainingOutcome
from .networks import SelfGuidingAdaptation, degeneration_network
from .pretrained import rough_estimate
from .settings import PRESETS, UALSchedule

__all__ = ["UAL"]


class UAL(TrainedMethod):
    """UAL (L. Zhang, J. Nie, W. Wei, Y. Zhang, S. Liao, L. Shao, "Unsupervised Adaptation
    Learning for Hyperspectral Imagery Super-resolution", CVPR 2020, pp. 3073-3082).

    A two-stage network, coarse to fine:

    1. the mutual-guiding fusion module (:class:`~.networks.MutualGuidingFusion`), pretrained on
       synthetic pairs from real scenes (``scripts/pretrain_ual.py``; the weights ship with the
       plugin and their JSON record names the data and settings), gives a rough estimate and
       stays fixed;
    2. the light self-guiding adaptation module refines it as a residual (eq. 8), trained on the
       window alone together with the one-layer degeneration network ``H`` (eq. 4, L1): the
       result, spectrally degraded with the SRF, must give back the HR-MSI, and degraded by
       ``H``, the LR-HSI.

    Gaps filled:

    * spectral layout: the networks work on ``K`` normalised coefficients of the window's own
      spectral subspace (:mod:`fusion_core.pretrained.subspace`), so one set of weights serves
      any band count; the losses are on all bands, after decoding. What the subspace leaves out
      of the LR-HSI is added back upsampled when the subspace is full;
    * SRF: the paper assumes a known SRF; here it is the given degradation model's (estimated
      by the engine, or supplied by the user), held fixed as in the paper;
    * ``H`` starts from the model's PSF (the paper does not say how it starts) and stays a PSF
      (non-negative, summing to one).

    Presets: ``"paper"`` runs the paper's 1500 epochs (Adam 9e-5, weight decay 1e-3 for the
    adaptation module; 1e-4, 1e-5 for ``H``; 64 kernels; a 32×32 ``H``). ``"fast"``: 100 steps
    at a higher adaptation rate with 32 kernels and ``H`` of the model's PSF size, a few minutes
    on a CPU for a 100×100 window. Options (``config.options``) override them: see
    :class:`~.settings.UALSchedule`.

    After :meth:`fuse`, :attr:`last_degradation` holds the PSF ``H`` ended with and the SRF.
    """

    name = "ual"
    presets = PRESETS
    #: Receptive field: about 14 HR pixels of 3×3 convolutions plus bicubic interpolation.
    halo_lr_pixels = 8
    #: Activations of the adaptation module kept for the backward pass, plus the decoded image
    #: (measured by ``benchmarks/memory.py``).
    memory_factor = 26.0

    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: UALSchedule, progress: Progress) -> TrainingOutcome:
        device = y.device
        fusion, adapter, rough, outside = rough_estimate(y, z, model.psf, scale)
        progress.info(f"UAL: {adapter.rank} of {fusion.k} subspace coefficients carry signal")
        adaptation = SelfGuidingAdaptation(fusion.k, schedule.width, fusion.depth).to(device)
        degeneration = degeneration_network(model.psf, scale, schedule.degeneration_size).to(device)
        srf = torch.as_tensor(model.srf, dtype=torch.float32, device=device)

        def fused() -> torch.Tensor:
            return adapter.decode(adaptation(rough)) + outside

        def loss() -> torch.Tensor:
            return reconstruction_loss(fused(), y, z, degeneration.psf, srf, scale)

        stage = Stage(
            "adaptation",
            [{"params": list(adaptation.parameters()), "lr": schedule.lr_adaptation,
              "weight_decay": schedule.weight_decay_adaptation},
             {"params": [degeneration.weight], "lr": schedule.lr_degeneration,
              "weight_decay": schedule.weight_decay_degeneration}],
            loss, schedule.iterations, AdamSettings(lr=schedule.lr_adaptation),
            after_step=degeneration.project,
        )
        results = run_stages([stage], progress, label="UAL")
        with torch.no_grad():
            return TrainingOutcome(fused()[0], degeneration.psf, srf, results)
