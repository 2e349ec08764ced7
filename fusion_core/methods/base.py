"""The contract every fusion method follows.

A method fuses one window: an LR-HSI tensor and the HR-MSI tensor over the same ground, given a
degradation model estimated once for the whole scene. It never reads files, never estimates the
degradation of the whole scene itself, and never sees a reference image, so the same method runs
on a whole image, window by window, or on a Dask worker.

Inputs arrive normalised by :mod:`fusion_core.pipeline` (both images divided by one common
factor so the LR-HSI's high percentile is about 1) and on the chosen device.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional

import torch

from ..degradation import DegradationModel
from ..progress import Progress
from .settings import DEFAULT_PRESET, NO_OPTIONS, PRESETS, resolve_settings

if TYPE_CHECKING:
    from .catalog import MethodEntry

__all__ = ["FusionConfig", "FusionMethod", "PRESETS"]


@dataclass
class FusionConfig:
    """Run settings common to all methods.

    Attributes:
        preset: ``"fast"`` (default; minutes on a laptop CPU) or ``"paper"`` (the paper's schedule).
        device: torch device to compute on.
        seed: seed for every random choice (weights initialisation, sampling).
        options: method-specific overrides, e.g. ``{"stage1_iters": 500}``; unknown keys are an error.
    """

    preset: str = DEFAULT_PRESET
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)


class FusionMethod(ABC):
    """A fusion method: LR-HSI ``(C, h, w)`` + HR-MSI ``(M, H, W)`` → HR-HSI ``(C, H, W)``.

    Subclasses set :attr:`name` (the id of their :data:`~fusion_core.methods.CATALOG` entry,
    which holds how the method is shown), :attr:`presets` when they take options, and implement
    :meth:`fuse`; they may set :attr:`halo_lr_pixels` and :attr:`memory_factor` (or
    :meth:`window_memory_factor`) for the windowed runner.
    """

    name: ClassVar[str]
    #: The method's settings by preset name: frozen dataclasses whose fields, declared with
    #: :func:`~fusion_core.methods.settings.option`, are the options a run may override.
    presets: ClassVar[Mapping[str, Any]] = NO_OPTIONS
    #: How far (in LR pixels) a window's border can change the method's result inside it: its
    #: receptive field. The windowed runner reads this much more around each window, on top of
    #: the PSF's reach, and gives those pixels no weight. Set it in a subclass when it differs.
    halo_lr_pixels: ClassVar[int] = 2
    #: Peak working memory of :meth:`fuse` in copies of its output (C × H × W float32) beyond the
    #: output itself, used to size windows within the user's memory bound. Set it in a subclass
    #: a little above what ``benchmarks/memory.py`` measures (runs differ by up to 10 %).
    memory_factor: ClassVar[float] = 8.0
    #: True when windows may be fused at once on threads of one process: the method uses no
    #: global random state (each window is reseeded, so a method with random initialisation
    #: would depend on what runs beside it) and no state shared between calls.
    concurrent_windows: ClassVar[bool] = False
    #: True when :meth:`fuse` takes a window with gaps (NaN) itself and leaves them out of what
    #: it fits; the others see each gap bridged (:func:`~fusion_core.methods.gaps.fuse_with_gaps`).
    handles_gaps: ClassVar[bool] = False

    def window_memory_factor(self, config: FusionConfig, hsi_bands: int) -> float:
        """:attr:`memory_factor` of a run with ``config`` on ``hsi_bands`` bands.

        Methods whose working memory grows with one of their settings (a network's width)
        override it.
        """
        return self.memory_factor

    @property
    def label(self) -> str:
        """How the catalog shows the method (its id when it is not in the catalog)."""
        entry = _catalog_entry(self.name)
        return entry.label if entry else self.name

    @property
    def short_name(self) -> str:
        """The catalog's short name of the method, for messages (its id when not in the catalog)."""
        entry = _catalog_entry(self.name)
        return entry.short_name if entry else self.name

    def settings(self, config: FusionConfig) -> Any:
        """The preset's settings with the run's options applied.

        Raises:
            InputError: unknown preset or option, or a value out of its range.
        """
        return resolve_settings(self.presets, config.preset, config.options, self.short_name)

    def check_config(self, config: FusionConfig) -> None:
        """Raise :class:`InputError` for a preset or an option this method does not take.

        Called before any work starts, so a typo fails at once rather than after the estimation.
        """
        self.settings(config)

    @abstractmethod
    def fuse(
        self,
        lr_hsi: torch.Tensor,
        hr_msi: torch.Tensor,
        model: DegradationModel,
        config: FusionConfig,
        progress: Progress,
    ) -> torch.Tensor:
        """Return the fused HR-HSI ``(C, H, W)`` on the inputs' device.

        Args:
            lr_hsi: ``(C, h, w)`` low-resolution hyperspectral window.
            hr_msi: ``(M, H, W)`` high-resolution multispectral window, ``H = r h``, ``W = r w``.
            model: degradation model of the scene (scale, PSF, SRF), estimated or given.
            config: preset, device, seed and method options.
            progress: reports progress per stage and raises ``Cancelled`` when asked to stop.
        """


def _catalog_entry(method_id: str) -> Optional[MethodEntry]:
    from .catalog import CATALOG
    return next((e for e in CATALOG if e.id == method_id), None)
