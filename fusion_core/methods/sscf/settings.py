"""SSCF's options and presets (torch-free: the QGIS layer renders them before torch is known)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import option

__all__ = ["SSCFSettings", "PRESETS"]


@dataclass(frozen=True)
class SSCFSettings:
    """Settings of one run; every field can be overridden through ``config.options``.

    ``hsi_geometry`` (default true) puts the result on the HSI's geometry: an off-centre PSF (a
    blind estimate across misregistered sensors absorbs their shift) is re-centred and the
    HR-MSI moved by its offset instead, because a sensor's PSF is centred on its pixel and the
    fused image must degrade to the LR-HSI it refines.
    """

    align: bool = option("estimate and apply the relative shift/blur of the HR-MSI (real sensor pairs)",
                         default=True)
    hsi_geometry: bool = option("put the result on the HSI's geometry (false: keep the HR-MSI's, for an "
                                "HSI whose georeferencing is the less trusted of the two)", default=True)
    local: bool = option("add the local (guided) spectral map of the residual", default=True)
    local_radius: int = option("window radius of the local map, in LR pixels", default=2)
    local_eps: float = option("ridge of the local map relative to the guide's local variance", default=1e-4)
    smoothness: float = option("weight of the correction's gradient in the consistency solve, tau r^2",
                               default=0.16)
    cg_iters: int = option("most conjugate-gradient iterations of the consistency solve", default=100)
    cg_tol: float = option("relative residual at which the consistency solve stops", default=1e-6)


#: ``"paper"`` solves the consistency step to a tighter tolerance; the result differs from
#: ``"fast"`` by far less than a hundredth of a dB, so ``"fast"`` is the one to use.
PRESETS = {"fast": SSCFSettings(), "paper": SSCFSettings(cg_iters=400, cg_tol=1e-9)}
