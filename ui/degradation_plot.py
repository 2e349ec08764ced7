"""A one-page picture of an estimated degradation model, to judge it at a glance.

Four panels: the PSF as an image (size, FWHM and grid offset in the title; the LR block drawn
over it), the SRF curves against wavelength (the prior dashed in the same colour, when one was
given), the map of the consistency residual between the two low-resolution MSIs, and that
residual per band. Uses matplotlib's Agg canvas directly (no pyplot state, no display, no QGIS).
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..fusion_core.degradation import DegradationModel
from ..fusion_core.report.figures import psf_panel, srf_panel

__all__ = ["plot_degradation"]


def plot_degradation(model: DegradationModel, path: str | os.PathLike,
                     srf_prior: Optional[np.ndarray] = None) -> None:
    """Write the PNG picture of ``model`` to ``path``.

    Args:
        model: the estimated model; its diagnostics supply the residuals when present.
        path: output PNG file.
        srf_prior: the ``(C, M)`` prior the estimate started from (matrix or ``SrfPrior``), if any.
    """
    fig = Figure(figsize=(13, 9.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    psf_panel(fig, axes[0, 0], model)
    srf_panel(axes[0, 1], model, srf_prior)
    _map_panel(fig, axes[1, 0], model.diagnostics.get("consistency_map"),
               model.diagnostics.get("consistency_residual_total"))
    _band_panel(axes[1, 1], model)
    fig.savefig(os.fspath(path), format="png")


def _map_panel(fig, ax, values, total) -> None:
    if values is None:
        ax.text(0.5, 0.5, "no residual map in the model", ha="center", va="center")
        ax.set_axis_off()
        return
    grid = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)
    finite = grid[np.isfinite(grid)]
    top = float(np.percentile(finite, 99)) if finite.size else 1.0
    image = ax.imshow(100.0 * grid, cmap="viridis", vmin=0.0, vmax=100.0 * max(top, 1e-12),
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8, label="% of band RMS")
    title = "Consistency residual between the LR-MSIs (blank: borders, not used)"
    if total is not None:
        title += f"\nRMS over bands {100 * float(total):.2f} %; small and structure-free when the model fits"
    ax.set_title(title, fontsize=10)


def _band_panel(ax, model: DegradationModel) -> None:
    residual = model.diagnostics.get("consistency_residual")
    if residual is None:
        ax.set_axis_off()
        return
    residual = 100.0 * np.asarray(residual, dtype=float)
    names = model.msi_band_names or [f"{i + 1}" for i in range(residual.size)]
    bars = ax.bar(range(residual.size), residual, color="C0")
    gain = model.diagnostics.get("msi_band_gain")
    if gain is not None:
        for bar, g in zip(bars, np.asarray(gain, dtype=float)):
            ax.annotate(f"×{g:.3f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(residual.size), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("residual (% of band RMS)")
    ax.set_title("Residual per HR-MSI band (labels: gain HR-MSI / LR-HSI·SRF)", fontsize=10)
