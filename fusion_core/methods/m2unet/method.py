"""M2U-Net: model-informed multistage unsupervised network (Li et al., IEEE TGRS 2024)."""

from __future__ import annotations

from functools import cache
from typing import Callable

import torch

from ...degradation import DegradationModel
from ...losses import cross_degradation_loss, l1_loss, reconstruction_loss
from ...progress import Progress
from ...training import AdamSettings, Stage, decay_after, run_stages
from ..base import FusionConfig
from ..common import TrainedMethod, TrainingOutcome
from .dil_net import DILNet
from .dual_unet import DualUNet
from .settings import PRESETS, M2UNetSchedule
from .sml_net import SMLNet

__all__ = ["M2UNet"]

#: Floats per HR pixel that each feature map of the Dual U-Net adds to the working memory.
WIDTH_FLOATS = 17.0

#: The inputs are divided by this multiple of their largest value before training, so that the
#: fused image, brighter than both inputs in places, stays inside the range of the Dual U-Net's
#: sigmoid output; the result is scaled back.
SIGMOID_HEADROOM = 1.5


class M2UNet(TrainedMethod):
    """M2U-Net (J. Li, K. Zheng, L. Gao, L. Ni, M. Huang, J. Chanussot, "Model-Informed
    Multistage Unsupervised Network for Hyperspectral Image Super-Resolution", IEEE TGRS 62,
    2024, doi:10.1109/TGRS.2024.3391014).

    Three networks trained one after the other on the input pair only:

    1. DIL-Net (degradation information learning) learns the PSF and SRF so that the LR-HSI
       degraded spectrally equals the HR-MSI degraded spatially (L1, eq. 9);
    2. SML-Net, two streams of CIE modules, learns per-pixel spectral maps from those two
       LR-MSIs back to the LR-HSI (eq. 10); applied to the HR-MSI, the mean of both streams is
       the initial image (eq. 11);
    3. the Dual U-Net, a deep image prior fed with the initial image and the HR-MSI and coupled
       by cross-attention guidance, is fitted so that its output, degraded with the stage-1
       PSF and SRF, gives back both inputs (eq. 16). Its output is the result.

    Each stage runs Adam with a constant rate followed by a linear decay to zero, as in the
    authors' code. Where the authors' code keeps the iterate that scores best against the
    reference image, this method returns the last one (it never sees a reference). The
    batch-normalised Dual U-Net is evaluated in training mode, as during fitting.

    Use of the given degradation model:

    * ``"paper"`` preset: DIL-Net learns PSF and SRF as in the paper, from the authors' box
      ``r × r`` PSF and flat SRF (every MSI band may integrate every HSI band); the model
      contributes only r. Schedule of the authors' code: 6000 + 4000 + 14000 iterations,
      P = 260 (a day for a 100×100 scene on a 2-core CPU).
    * ``"fast"`` preset: DIL-Net starts from the given PSF (its own size K >= r) and SRF, which
      another part of the engine estimated or the user supplied, and only refines them
      (200 iterations at a low rate); SML-Net trains 500 iterations and a narrow Dual U-Net
      (P = 32) 600 iterations at 1e-2. A few minutes for a 100×100×198 scene at r = 4 on a
      2-core CPU.

    Options (``config.options``) override the preset: ``stage{1,2,3}_iters``,
    ``lr_stage{1,2,3}``, ``decay_stage{1,2,3}`` (fraction of the stage before the rate decays),
    ``width`` (P) and ``init_from_model``.

    After :meth:`fuse`, :attr:`last_degradation` holds the PSF and SRF learned by DIL-Net.
    """

    name = "m2unet"
    presets = PRESETS
    #: The Dual U-Net's 5×5 convolutions on three scales reach about 24 HR pixels.
    halo_lr_pixels = 6
    #: Working memory per HR pixel, measured by ``benchmarks/memory.py`` on 50 and 198 bands at
    #: P = 32 and 260 and bounded from above: 34 output copies plus :data:`WIDTH_FLOATS` per
    #: Dual U-Net feature map; see :meth:`window_memory_factor`.
    memory_factor = 34.0

    def window_memory_factor(self, config: FusionConfig, hsi_bands: int) -> float:
        """The band term plus the Dual U-Net's width P in copies of the output: a narrow scene
        with the paper's P = 260 needs several times the memory of the fast preset's P = 32."""
        return self.memory_factor + WIDTH_FLOATS * self.settings(config).width / hsi_bands

    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: M2UNetSchedule, progress: Progress) -> TrainingOutcome:
        device = y.device
        factor = SIGMOID_HEADROOM * float(torch.maximum(y.max(), z.max()).clamp_min(1e-12))
        y, z = y / factor, z / factor
        c, m = y.shape[1], z.shape[1]
        if schedule.init_from_model:
            dil = DILNet.from_model(model)
        else:
            dil = DILNet.paper_init(scale, c, m)
        dil, sml = dil.to(device), SMLNet(m, c).to(device)
        dual = DualUNet(c, m, schedule.width).to(device)

        stages, initial_image = _stages(dil, sml, dual, y, z, schedule)
        results = run_stages(stages, progress, label="M2U-Net")
        with torch.no_grad():
            return TrainingOutcome(dual(initial_image(), z)[0] * factor, dil.psf, dil.srf, results)


def _stages(
    dil: DILNet, sml: SMLNet, dual: DualUNet, y: torch.Tensor, z: torch.Tensor, s: M2UNetSchedule
) -> tuple[list[Stage], Callable[[], torch.Tensor]]:
    """The three stages of Algorithm 1 on LR-HSI ``y`` and HR-MSI ``z`` (both ``(1, ·, ·, ·)``),
    and the (cached) initial image of stage 3, built from SML-Net when first asked for."""
    r = dil.scale

    @cache
    def low_msis() -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():  # K1, K2 of the stage-1 DIL-Net, fixed from stage 2 on
            return dil(y, z)

    @cache
    def degradation() -> tuple[torch.Tensor, torch.Tensor]:
        return dil.psf.detach(), dil.srf.detach()

    @cache
    def initial_image() -> torch.Tensor:
        with torch.no_grad():
            return sml.initial_image(z)

    def loss1() -> torch.Tensor:
        return cross_degradation_loss(y, z, dil.psf, dil.srf, r)

    def loss2() -> torch.Tensor:
        y1, y2 = sml(*low_msis())
        return l1_loss(y1, y) + l1_loss(y2, y)

    def loss3() -> torch.Tensor:
        psf, srf = degradation()
        return reconstruction_loss(dual(initial_image(), z), y, z, psf, srf, r)

    # Progress weights: iterations × a rough cost of one (parameters × pixels they act on).
    low, high = y.shape[-2] * y.shape[-1], z.shape[-2] * z.shape[-1]
    cost1 = dil.psf.numel() * z.shape[1] * low + dil.srf.numel() * low
    cost2 = _size(sml) * low
    cost3 = _size(dual) * high
    stages = [
        Stage("degradation", list(dil.parameters()), loss1, s.stage1_iters,
              AdamSettings(lr=s.lr_stage1), decay_after(s.stage1_iters, s.decay_stage1),
              dil.project, weight=cost1 * s.stage1_iters),
        Stage("initial image", list(sml.parameters()), loss2, s.stage2_iters,
              AdamSettings(lr=s.lr_stage2), decay_after(s.stage2_iters, s.decay_stage2),
              weight=cost2 * s.stage2_iters),
        Stage("deep image prior", list(dual.parameters()), loss3, s.stage3_iters,
              AdamSettings(lr=s.lr_stage3), decay_after(s.stage3_iters, s.decay_stage3),
              weight=cost3 * s.stage3_iters),
    ]
    return stages, initial_image


def _size(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
