"""Pieces every trained method shares: the window check, preset options, the learned model."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, Mapping, Optional, Sequence, TypeVar

import torch

from ..degradation import DegradationModel
from ..device import seed_everything
from ..errors import InputError
from ..progress import Progress
from ..training import StageResult
from .base import FusionConfig, FusionMethod

__all__ = ["window_scale", "training_tensors", "ThreeStageSchedule", "resolve_preset", "learned_model",
           "TrainingOutcome", "TrainedMethod"]

T = TypeVar("T")


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


@dataclass(frozen=True)
class ThreeStageSchedule:
    """Iterations, learning rates and decay starts of a three-stage training (UDALN, M2U-Net).

    Attributes:
        stage1_iters, stage2_iters, stage3_iters: iterations of each stage.
        lr_stage1, lr_stage2, lr_stage3: Adam's initial learning rate in each stage.
        decay_stage1, decay_stage2, decay_stage3: fraction of each stage after which its rate
            decays linearly to zero.
        init_from_model: start the PSF/SRF modules from the given degradation model (True) or
            from the paper's own initialisation (False).
    """

    stage1_iters: int
    stage2_iters: int
    stage3_iters: int
    lr_stage1: float
    lr_stage2: float
    lr_stage3: float
    decay_stage1: float
    decay_stage2: float
    decay_stage3: float
    init_from_model: bool


def resolve_preset(presets: Mapping[str, T], preset: str, options: Mapping[str, Any], label: str) -> T:
    """The schedule dataclass ``presets[preset]`` with the fields named in ``options`` replaced.

    Each option is checked against the type of the preset's value: bool; whole number >= 0
    (``width`` >= 1); a list of whole numbers (milestones); or a number (``lr*`` > 0, ``decay*``
    a fraction 0–1, others >= 0).

    Raises:
        InputError: unknown preset, unknown option (the message lists the valid ones) or a value
            of the wrong type or range; messages name the method by ``label``.
    """
    if preset not in presets:
        raise InputError(f"Unknown preset {preset!r} for {label}: choose one of {', '.join(presets)}.")
    base = presets[preset]
    defaults = asdict(base)
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise InputError(
            f"Unknown {label} option(s) {', '.join(unknown)}; valid options are {', '.join(defaults)}."
        )
    return replace(base, **{k: _checked(f"{label} option {k}", k, v, defaults[k]) for k, v in options.items()})


def _checked(what: str, key: str, value: Any, default: Any) -> Any:
    """``value`` in the type of ``default``, or InputError saying what was expected."""
    def whole(v: Any, lowest: int) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= lowest

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError(f"{what} must be true or false, got {value!r}.")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, Sequence) or not all(whole(v, 0) for v in value):
            raise InputError(f"{what} must be a list of iteration numbers >= 0, got {value!r}.")
        return tuple(sorted(value))
    if isinstance(default, int):
        lowest = 1 if key == "width" else 0
        if not whole(value, lowest):
            raise InputError(f"{what} must be a whole number >= {lowest}, got {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{what} must be a number, got {value!r}.")
    value = float(value)
    if key.startswith("decay") and not 0.0 <= value <= 1.0:
        raise InputError(f"{what} is a fraction of the stage: give 0 to 1, got {value}.")
    if key.startswith("lr") and value <= 0.0:
        raise InputError(f"{what} must be a positive learning rate, got {value}.")
    if value < 0.0:
        raise InputError(f"{what} must not be negative, got {value}.")
    return value


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

    :meth:`fuse` resolves the preset, checks and batches the window, seeds the run, calls
    :meth:`train`, and keeps the PSF and SRF the method ended with in :attr:`last_degradation`.
    Subclasses set :attr:`presets` and implement :meth:`train`.
    """

    #: The method's schedules by preset name: frozen dataclasses whose fields are the options
    #: a run may override (``config.options``).
    presets: ClassVar[Mapping[str, Any]]

    def __init__(self) -> None:
        self.last_degradation: Optional[DegradationModel] = None

    def schedule(self, config: FusionConfig) -> Any:
        """The preset's schedule with the run's options applied (InputError on a bad option)."""
        return resolve_preset(self.presets, config.preset, config.options, self.label)

    def check_config(self, config: FusionConfig) -> None:
        self.schedule(config)

    def fuse(self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel,
             config: FusionConfig, progress: Progress) -> torch.Tensor:
        schedule = self.schedule(config)
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
