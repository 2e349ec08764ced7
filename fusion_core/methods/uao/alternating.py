"""UAO's alternating optimisation of the degradation (k, P) and the image Z (Nie et al., eq. 7).

Each outer iteration i solves, a few Adam steps each (supplement §6.3, L1 losses):

1. ``k, P ← argmin ||X − Φ(Z_i; k)||₁ + η||k||² + ||Y − Ψ(Z_i; P)||₁ + ξ||P||²`` with the image
   Z_i fixed (the two terms share no parameter, so one stage solves both);
2. ``θ_g ← argmin ||X − Φ(Z; k)||₁ + ||Y − Ψ(Z; P)||₁`` with ``Z = G(Ẑ, k, P; θ_g)`` and k, P
   fixed, which gives Z_{i+1}. The guidance maps of G follow the new k and P.

Z_0 is the rough estimate Ẑ. Φ and Ψ are UDALN's constrained degradation layers (PSF on the
simplex, SRF columns on the simplex over their support), applied with the engine's operators;
every loss acts on full bands through the subspace's decoder. Each sub-problem runs through
:func:`fusion_core.training.run_stages`, so a fresh Adam starts every outer iteration (the paper
does not say whether its optimisers keep their moments across alternations).
"""

from __future__ import annotations

from typing import Callable

import torch

from ...degradation import spatial_degrade, spectral_degrade
from ...losses import l1_loss, reconstruction_loss
from ...progress import Progress
from ...training import AdamSettings, Stage, StageResult, run_stages
from ..layers import SpaDnet, SpeDnet
from .guidance import spatial_guidance, spectral_guidance
from .networks import ReconstructionNet
from .settings import UAOSchedule

__all__ = ["alternate", "degradation_loss", "DEGRADATION_SHARE"]

#: Share of an outer iteration's progress given to the degradation step (it is cheaper: the
#: image is fixed and no network runs).
DEGRADATION_SHARE = 0.25


def degradation_loss(image: torch.Tensor, y: torch.Tensor, z: torch.Tensor, spa: SpaDnet, spe: SpeDnet,
                     schedule: UAOSchedule) -> torch.Tensor:
    """The PSF and SRF sub-problems of eq. 7 for a fixed HR image ``(1, C, H, W)`` (L1 fits)."""
    psf, srf = spa.psf, spe.srf
    return (l1_loss(spatial_degrade(image, psf, spa.scale), y) + schedule.psf_l2 * psf.pow(2).sum()
            + l1_loss(spectral_degrade(image, srf), z) + schedule.srf_l2 * srf.pow(2).sum())


def alternate(net: ReconstructionNet, rough: torch.Tensor, decode: Callable[[torch.Tensor], torch.Tensor],
              decode_matrix: torch.Tensor, spa: SpaDnet, spe: SpeDnet, y: torch.Tensor, z: torch.Tensor,
              schedule: UAOSchedule, progress: Progress) -> tuple[torch.Tensor, list[StageResult]]:
    """Run the alternating optimisation and return the last image and the last two stages' results.

    Args:
        net: the reconstruction network G (trained in place).
        rough: Ẑ, the rough estimate's coefficient maps ``(1, K, H, W)``.
        decode: maps coefficient maps ``(B, K, H, W)`` to spectra ``(B, C, H, W)``.
        decode_matrix: its linear part ``(C, K)``, for the spectral guidance.
        spa, spe: PSF and SRF layers, started from k_0 and P_0 (trained in place).
        y: LR-HSI ``(1, C, h, w)``; z: HR-MSI ``(1, M, H, W)``.
        schedule: iterations, rates and penalties.
        progress: one sub-range per outer iteration, reported as "UAO outer i/n ...".

    Returns:
        ``(Z, results)``: the image ``(1, C, H, W)`` after the last alternation and the
        :class:`StageResult` of its degradation and reconstruction steps.
    """
    n = schedule.outer_iters
    image = decode(rough).detach()
    results: list[StageResult] = []
    for i in range(n):
        step = progress.child(i / n, (i + 1) / n)
        label = f"UAO outer {i + 1}/{n}"
        fixed = image

        def fit_degradation(fixed: torch.Tensor = fixed) -> torch.Tensor:
            return degradation_loss(fixed, y, z, spa, spe, schedule)

        def project() -> None:
            spa.project()
            spe.project()

        results = run_stages([Stage("degradation", [spa.weight, spe.weight], fit_degradation,
                                    schedule.inner_iters, AdamSettings(lr=schedule.lr_degradation),
                                    after_step=project)],
                             step.child(0.0, DEGRADATION_SHARE), label)
        with torch.no_grad():
            psf, srf = spa.psf.detach(), spe.srf.detach()
            detail = spatial_guidance(rough, psf)
            visible = spectral_guidance(rough, srf, decode_matrix)

        def fit_image(detail: torch.Tensor = detail, visible: torch.Tensor = visible,
                      psf: torch.Tensor = psf, srf: torch.Tensor = srf) -> torch.Tensor:
            return reconstruction_loss(decode(net(rough, detail, visible)), y, z, psf, srf, spa.scale)

        results += run_stages([Stage("reconstruction", list(net.parameters()), fit_image,
                                     schedule.inner_iters, AdamSettings(lr=schedule.lr_reconstruction))],
                              step.child(DEGRADATION_SHARE, 1.0), label)
        with torch.no_grad():
            image = decode(net(rough, detail, visible))
    return image, results
