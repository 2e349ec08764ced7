"""SSCF's options and presets (torch-free: the QGIS layer renders them before torch is known)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import option

__all__ = ["SSCFSettings", "PRESETS"]


@dataclass(frozen=True)
class SSCFSettings:
    """Settings of one run; every field can be overridden through ``config.options``.

    The result lies on the HR-MSI's pixels (an off-centre PSF, which a blind estimate across
    misregistered sensors or offset grids gives, is used as it is); the pipeline's GEOMETRY
    setting moves it onto the LR-HSI's geometry when asked.
    """

    align: bool = option("estimate and apply the relative shift/blur of the HR-MSI (real sensor pairs)",
                         default=True)
    local: bool = option("add the local (guided) spectral map of the residual", default=True)
    local_radius: int = option("window radius of the local map, in LR pixels", default=2)
    local_eps: float = option("ridge of the local map relative to the guide's local variance", default=1e-4)
    smoothness: float = option("weight of the correction's gradient in the consistency solve, tau r^2",
                               default=0.16)
    fourier_solve: bool = option("solve the consistency step in closed form in the Fourier domain, with "
                                 "mirrored borders (fast); false runs conjugate gradients on the exact "
                                 "operator", default=True)
    cg_iters: int = option("most conjugate-gradient iterations of the consistency solve", default=100)
    cg_tol: float = option("relative residual at which the consistency solve stops", default=1e-6)


#: ``"paper"`` solves the consistency step by conjugate gradients on the exact operator to a
#: tight tolerance; the result differs from ``"fast"`` (closed form, mirrored borders) by far
#: less than a hundredth of a dB, so ``"fast"`` is the one to use.
PRESETS = {"fast": SSCFSettings(),
           "paper": SSCFSettings(fourier_solve=False, cg_iters=400, cg_tol=1e-9)}
