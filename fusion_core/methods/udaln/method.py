"""UDALN: unsupervised degradation-adaptive learning network (Li et al., IEEE GRSL 2022)."""

from __future__ import annotations

import numpy as np
import torch

from ...degradation import DegradationModel
from ...losses import cross_degradation_loss, l1_loss, reconstruction_loss
from ...progress import Progress
from ...training import AdamSettings, Stage, decay_after, run_stages
from ..common import TrainedMethod, TrainingOutcome
from ..layers import SpaDnet, SpeDnet, degradation_modules
from .networks import SpeUnet, gaussian_srf
from .settings import PRESETS, UDALNSchedule

__all__ = ["UDALN"]


class UDALN(TrainedMethod):
    """UDALN (J. Li, K. Zheng, J. Yao, L. Gao, D. Hong, "Deep Unsupervised Blind Hyperspectral
    and Multispectral Data Fusion", IEEE GRSL 19, 2022, doi:10.1109/LGRS.2022.3151779).

    Three modules trained in three stages on the input pair only:

    1. SpaDnet (PSF) and SpeDnet (SRF) so that the LR-HSI degraded spectrally equals the HR-MSI
       degraded spatially (L1, eq. 8);
    2. SpeUnet, a per-pixel spectral map, from that low-resolution MSI to the LR-HSI (eq. 11);
    3. all three on the sum of eq. 17 (stage-1 and stage-2 losses plus the fused image's
       consistency with both inputs, eqs. 15-16).

    The output is ``SpeUnet(HR-MSI)``. Each stage runs Adam with a constant rate followed by a
    linear decay to zero, as in the authors' code (a fresh optimiser per stage, where the
    authors' code carries the Adam state of stages 1-2 into stage 3).

    Use of the given degradation model:

    * ``"paper"`` preset: stage 1 learns PSF and SRF as in the paper, from the paper's own
      initialisation: an ``r × r`` box PSF (stride r) and, per MSI band, a Gaussian (σ = 3.5
      bands) over the support of that band in the given SRF. The model contributes only r and
      the SRF's supports. Schedule: the authors' 20k + 30k + 15k iterations (hours on a CPU).
    * ``"fast"`` preset: SpaDnet and SpeDnet start from the given PSF (its own size K >= r) and
      SRF, which another part of the engine estimated or the user supplied, so stage 1 only
      refines them (200 iterations at a low rate) and the short stages 2-3 start from a good
      model. About a minute for a 100×100×200-band scene at r = 4 on a laptop CPU.

    Options (``config.options``) override the preset: ``stage{1,2,3}_iters``,
    ``lr_stage{1,2,3}``, ``decay_stage{1,2,3}`` (fraction of the stage before the rate decays)
    and ``init_from_model``.

    After :meth:`fuse`, :attr:`last_degradation` holds the learned PSF and SRF.
    """

    name = "udaln"
    presets = PRESETS
    #: Measured by ``benchmarks/memory.py``: the fast preset's PSF (K >= r) spreads every HR band
    #: over K² taps in the degradation losses.
    memory_factor = 25.0

    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: UDALNSchedule, progress: Progress) -> TrainingOutcome:
        spa, spe = degradation_modules(model, schedule.init_from_model, _paper_start, y.device)
        up = SpeUnet(z.shape[1], y.shape[1]).to(y.device)
        results = run_stages(_stages(spa, spe, up, y, z, schedule), progress, label="UDALN")
        with torch.no_grad():
            return TrainingOutcome(up(z)[0], spa.psf, spe.srf, results)


def _paper_start(scale: int, support: np.ndarray) -> tuple[SpaDnet, SpeDnet]:
    """The paper's SpaDnet and SpeDnet: a box PSF, and a Gaussian over each band's support."""
    return SpaDnet.uniform(scale), SpeDnet(gaussian_srf(support), support)


def _stages(
    spa: SpaDnet, spe: SpeDnet, up: SpeUnet, y: torch.Tensor, z: torch.Tensor, s: UDALNSchedule
) -> list[Stage]:
    """The three stages of Algorithm 1 on LR-HSI ``y`` and HR-MSI ``z`` (both ``(1, ·, ·, ·)``)."""
    r = spa.scale

    def project() -> None:
        spa.project()
        spe.project()

    def loss1() -> torch.Tensor:
        return cross_degradation_loss(y, z, spa.psf, spe.srf, r)

    def loss2() -> torch.Tensor:
        with torch.no_grad():
            z_low = spa(z)  # Z_l2 from the stage-1 PSF, held fixed in stage 2
        return l1_loss(up(z_low), y)

    def loss_all() -> torch.Tensor:
        psf, srf = spa.psf, spe.srf
        return (
            cross_degradation_loss(y, z, psf, srf, r)
            + l1_loss(up(spa(z)), y)
            + reconstruction_loss(up(z), y, z, psf, srf, r)
        )

    # Progress weights: per-iteration cost relative to one SpeUnet pass over the LR-HSI pixels.
    return [
        Stage("degradation", [spa.weight, spe.weight], loss1, s.stage1_iters,
              AdamSettings(lr=s.lr_stage1), decay_after(s.stage1_iters, s.decay_stage1), project,
              weight=0.2 * s.stage1_iters),
        Stage("spectral map", list(up.parameters()), loss2, s.stage2_iters,
              AdamSettings(lr=s.lr_stage2), decay_after(s.stage2_iters, s.decay_stage2),
              weight=1.0 * s.stage2_iters),
        Stage("refinement", [spa.weight, spe.weight, *up.parameters()], loss_all, s.stage3_iters,
              AdamSettings(lr=s.lr_stage3), decay_after(s.stage3_iters, s.decay_stage3), project,
              weight=(2 * r * r + 1) * s.stage3_iters),
    ]
