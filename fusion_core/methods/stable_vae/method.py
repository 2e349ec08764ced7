"""Stable lightweight VAE fusion (Guo et al., CVPR 2023, "DAEM" in the authors' code)."""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

from ...degradation import DegradationModel, spatial_degrade, spectral_degrade
from ...losses import cross_degradation_loss, l1_loss
from ...progress import Progress
from ...training import AdamSettings, Stage, run_stages, step_decay
from ..common import TrainedMethod, TrainingOutcome
from ..layers import SpaDnet, SpeDnet, degradation_modules
from .explicit_degradation import GaussianMixtureSRF, GaussianPSF
from .networks import VAEFusion
from .settings import PRESETS, StableVAESchedule

__all__ = ["StableVAE"]


class StableVAE(TrainedMethod):
    """Stable, interpretable and lightweight HSI super-resolution (W.-j. Guo, W. Xie, K. Jiang,
    Y. Li, J. Lei, L. Fang, CVPR 2023, pp. 22272-22281).

    A tiny VAE (:class:`~.networks.VAEFusion`) maps each HR-MSI pixel to abundances and decodes
    them into a spectrum; an explicit degradation model (PSF and SRF) is estimated together with
    it in an EM-style coordination loop, each guiding the other. Training uses the input pair
    only:

    1. Coordination loop. Each iteration draws the HR-HSI from the fusion module (E-step) and
       takes one Adam step on the sum of
       ``α1 |PSF(Z) - LR-HSI| + α2 |SRF(Z) - HR-MSI| + α3 |SRF(LR-HSI) - PSF(HR-MSI)|`` with
       respect to the degradation (Z held fixed) and of ``β |VAE(PSF(HR-MSI)) - LR-HSI|`` with
       respect to the fusion module (the PSF held fixed): the module learns at low resolution
       from the MSI degraded with the estimated PSF, which is how the degradation guides the
       fusion. L1 errors, weights α1, α2, α3, β = 0.5, 0.2, 0.2, 0.5 (supplement, section C).
    2. Partial fine-tuning: the abundances of the degraded MSI are held fixed and only the
       decoders (the spectral part, the endmembers of the mixing prior) are trained on the
       β term.

    The output is the decoded mean at every HR-MSI pixel (the authors' code returns a random
    draw; the mean is the posterior estimate and makes the output deterministic).

    Gaps filled (see also the module docstrings of ``networks`` and ``explicit_degradation``):

    * α3 term: the paper's spatial-spectral consistency posterior, i.e. the LR-HSI spectrally
      degraded against the HR-MSI spatially degraded
      (:func:`~fusion_core.losses.cross_degradation_loss`); the authors' code compares
      SRF(PSF(Z)) with PSF(SRF(Z)), which is identically zero for linear operators.
    * E-step: the degradation update uses the decoded mean at high resolution, where the
      authors' code uses one draw. The L1 training drives the standard deviation to zero, so
      the two agree once training has started, and on a CPU drawing the C × H × W normal
      numbers cost more than the rest of an iteration. The fusion module's own loss keeps the
      draw (it is over the LR pixels only).
    * No KL term: neither the supplement's losses nor the authors' code have one.
    * One scene, no training set: the authors pretrain on 16 CAVE images and fine-tune on each
      test image. Here both stages run on the input pair, which is all an unsupervised method
      has; each iteration sees the whole window (the authors' batches of 32 blocks of 4×4 LR
      pixels hold about as many LR pixels as a 25×25 window).

    Use of the given degradation model:

    * ``"paper"`` preset: the degradation is the paper's explicit model, estimated in the loop
      from the paper's initialisation: a broad isotropic Gaussian PSF of size r (Λ = 0.1 I), and
      a 4-component Gaussian-mixture SRF per MSI band spread over that band's support in the
      given SRF. The model contributes only r and the SRF's supports. The authors' 7300 + 500
      iterations (minutes on a CPU for a 100×100 window).
    * ``"fast"`` preset: the degradation starts from the given PSF and SRF (estimated elsewhere in
      the engine or supplied by the user) as UDALN's free-form SpaDnet and SpeDnet, and the loop
      only refines them at a tenth of the fusion rate; 800 + 200 iterations.

    Options (``config.options``) override the preset: see
    :class:`~.settings.StableVAESchedule` for the keys.

    After :meth:`fuse`, :attr:`last_degradation` holds the PSF and SRF the loop ended with.
    """

    name = "stable_vae"
    presets = PRESETS
    #: Measured by ``benchmarks/memory.py``: per-pixel networks hold little.
    memory_factor = 5.0

    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: StableVAESchedule, progress: Progress) -> TrainingOutcome:
        spa, spe = degradation_modules(model, schedule.init_from_model, _paper_start, y.device)
        vae = VAEFusion(z.shape[1], y.shape[1]).to(y.device)
        results = run_stages(_stages(vae, spa, spe, y, z, schedule), progress, label="Stable VAE")
        with torch.no_grad():
            mean, _ = vae(z)
            return TrainingOutcome(mean[0], spa.psf, spe.srf, results)


#: The two ways the degradation is held: free-form (UDALN's layers) or the paper's explicit forms.
PsfModule = Union[SpaDnet, GaussianPSF]
SrfModule = Union[SpeDnet, GaussianMixtureSRF]


def _paper_start(scale: int, support: np.ndarray) -> tuple[GaussianPSF, GaussianMixtureSRF]:
    """The paper's explicit forms: an isotropic Gaussian PSF of size r, a Gaussian mixture per
    band over its support."""
    return GaussianPSF(scale, scale), GaussianMixtureSRF.from_support(support)


def _stages(vae: VAEFusion, spa: PsfModule, spe: SrfModule, y: torch.Tensor, z: torch.Tensor,
            s: StableVAESchedule) -> list[Stage]:
    """The coordination loop and the partial fine-tuning on LR-HSI ``y`` and HR-MSI ``z``."""
    r = spa.scale
    degradation = list(spa.parameters()) + list(spe.parameters())

    def project() -> None:
        spa.project()
        spe.project()

    def fusion_loss(abundances: torch.Tensor) -> torch.Tensor:
        return s.beta * l1_loss(vae.sample(*vae.decode(abundances)), y)

    def em_loss() -> torch.Tensor:
        psf, srf = spa.psf, spe.srf
        with torch.no_grad():  # E-step: the HR-HSI's posterior mean, fixed for the M-step
            fused = vae.decoder_mean(vae.encoder(z))
            low_msi = spatial_degrade(z, psf, r)  # the estimated PSF guides the fusion module
        theta = (
            s.alpha1 * l1_loss(spatial_degrade(fused, psf, r), y)
            + s.alpha2 * l1_loss(spectral_degrade(fused, srf), z)
            + s.alpha3 * cross_degradation_loss(y, z, psf, srf, r)
        )
        return theta + fusion_loss(vae.encoder(low_msi))

    fixed: dict[str, torch.Tensor] = {}

    def finetune_loss() -> torch.Tensor:
        if "abundances" not in fixed:  # the encoder and the PSF no longer change
            with torch.no_grad():
                fixed["abundances"] = vae.encoder(spatial_degrade(z, spa.psf, r))
        return fusion_loss(fixed["abundances"])

    # Progress weights: cost per iteration relative to one pass over the LR pixels.
    return [
        Stage("coordination", [{"params": list(vae.parameters()), "lr": s.lr_fusion},
                               {"params": degradation, "lr": s.lr_degradation}],
              em_loss, s.em_iters, AdamSettings(lr=s.lr_fusion),
              step_decay(s.em_milestones, s.gamma), project, weight=(r * r + 2) * s.em_iters),
        Stage("decoder fine-tuning", vae.decoder_parameters(), finetune_loss, s.finetune_iters,
              AdamSettings(lr=s.lr_finetune), step_decay(s.finetune_milestones, s.gamma),
              weight=1.0 * s.finetune_iters),
    ]
