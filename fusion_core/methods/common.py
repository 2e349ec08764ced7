"""Pieces every trained method shares: the window check, the batching, the learned model."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Optional

import torch

from ..degradation import DegradationModel
from ..device import seed_everything
from ..errors import InputError
from ..progress import Progress
from ..training import StageResult
from .base import FusionConfig, FusionMethod

__all__ = ["window_scale", "training_tensors", "learned_model", "TrainingOutcome", "TrainedMethod"]


def window_scale(lr_hsi: torch.Tensor, hr_msi: torch.Tensor) -> int:
    """The integer ratio between an LR-HSI ``(C, h, w)`` and an HR-MSI ``(M, H, W)`` window.

    Raises:
        InputError: the windows do not nest with one ratio along both axes.
    """
    (_, h, w), (_, big_h, big_w) = lr_hsi.shape, hr_msi.shape
    scale = big_h // h if h else 0
    if scale < 1 or big_h != scale * h or big_w != scale * w:
        raise InputError(
            f"The HR-MSI window ({big_h}×{big_w}) is not an integer multiple of the LR-HSI window "
            f"({h}×{w}) with the same ratio along both axes: pass windows that nest exactly."
        )
    return scale


def training_tensors(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel,
                     seed: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Check a window against the model, seed the run, and batch both images as float32.

    Returns:
        ``(y, z, r)``: LR-HSI ``(1, C, h, w)``, HR-MSI ``(1, M, H, W)`` on the LR-HSI's device
        divided by the model's radiometric gains (the networks' SRFs sum to one), and the ratio.
    """
    scale = window_scale(lr_hsi, hr_msi)
    model.check_compatible(lr_hsi.shape[0], hr_msi.shape[0], scale)
    seed_everything(seed)
    y = lr_hsi[None].to(torch.float32)
    z = model.calibrated_msi(hr_msi[None].to(device=lr_hsi.device, dtype=torch.float32))
    return y, z, scale


def learned_model(psf: torch.Tensor, srf: torch.Tensor, scale: int, given: DegradationModel,
                  estimator: str, preset: str, results: list[StageResult]) -> DegradationModel:
    """The PSF and SRF a method ended with, as the degradation model of the window."""
    with torch.no_grad():
        psf_np = psf.detach().cpu().double().numpy()
        srf_np = srf.detach().cpu().double().numpy()
    return DegradationModel(
        scale=scale, psf=psf_np, srf=srf_np,
        hsi_wavelengths=given.hsi_wavelengths, msi_band_names=given.msi_band_names,
        msi_gain=given.msi_gain, diagnostics={
            "estimator": estimator,
            "preset": preset,
            "final_losses": {res.name: float(res.final_loss) for res in results},
        },
    )


@dataclass
class TrainingOutcome:
    """What a trained method's :meth:`TrainedMethod.train` returns.

    Attributes:
        fused: the fused HR-HSI ``(C, H, W)``.
        psf: the PSF the method ended with ``(K, K)``.
        srf: the SRF it ended with ``(C, M)``.
        results: one :class:`StageResult` per training stage.
    """

    fused: torch.Tensor
    psf: torch.Tensor
    srf: torch.Tensor
    results: list[StageResult]


class TrainedMethod(FusionMethod):
    """Template of the methods trained on the window itself (UDALN, M2U-Net, stable VAE, UAL, UAO).

    :meth:`fuse` resolves the settings (the preset's schedule with the run's options), checks
    and batches the window, seeds the run, calls :meth:`train`, and keeps the PSF and SRF the
    method ended with in :attr:`last_degradation`. Subclasses set :attr:`presets` and implement
    :meth:`train`.
    """

    def __init__(self) -> None:
        self.last_degradation: Optional[DegradationModel] = None

    def fuse(self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel,
             config: FusionConfig, progress: Progress) -> torch.Tensor:
        schedule = self.settings(config)
        y, z, scale = training_tensors(lr_hsi, hr_msi, model, config.seed)
        outcome = self.train(y, z, scale, model, schedule, progress)
        self.last_degradation = learned_model(outcome.psf, outcome.srf, scale, model, self.name,
                                              config.preset, outcome.results)
        return outcome.fused

    @abstractmethod
    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: Any, progress: Progress) -> TrainingOutcome:
        """Train on LR-HSI ``y`` ``(1, C, h, w)`` and HR-MSI ``z`` ``(1, M, H, W)`` (float32, on
        the inputs' device) and return the fused image with the PSF/SRF reached."""
