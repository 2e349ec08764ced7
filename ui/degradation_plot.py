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
from matplotlib.patches import Rectangle

from ..fusion_core.degradation import DegradationModel, block_centre, psf_fwhm

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
    _psf_panel(fig, axes[0, 0], model)
    _srf_panel(axes[0, 1], model, srf_prior)
    _map_panel(fig, axes[1, 0], model.diagnostics.get("consistency_map"),
               model.diagnostics.get("consistency_residual_total"))
    _band_panel(axes[1, 1], model)
    fig.savefig(os.fspath(path), format="png")


def _psf_panel(fig, ax, model: DegradationModel) -> None:
    psf, r = model.psf, model.scale
    k = psf.shape[0]
    image = ax.imshow(psf, cmap="magma", interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    start = (k - r) // 2
    ax.add_patch(Rectangle((start - 0.5, start - 0.5), r, r, fill=False, ec="cyan", lw=1.5, ls="--",
                           label=f"LR pixel ({r}×{r} HR px)"))
    centre = block_centre(k, r)
    dy, dx = model.psf_offset
    ax.plot(centre + dx, centre + dy, "c+", ms=12, mew=2, label="centre of mass")
    fy, fx = psf_fwhm(psf)
    ax.set_title(f"PSF {k}×{k} HR px, FWHM {fy:.1f} × {fx:.1f} px (row × col)\n"
                 f"grid offset {dy:+.2f}, {dx:+.2f} HR px (row, col)")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.7)


def _srf_panel(ax, model: DegradationModel, prior) -> None:
    c, m = model.srf.shape
    known = model.hsi_wavelengths is not None
    x = model.hsi_wavelengths if known else np.arange(1, c + 1)
    order = np.argsort(x)
    names = model.msi_band_names or [f"band {i + 1}" for i in range(m)]
    prior_matrix = None if prior is None else np.asarray(getattr(prior, "matrix", prior), dtype=float)
    colours = [f"C{i % 10}" for i in range(m)]
    for i in range(m):
        ax.plot(x[order], model.srf[order, i], color=colours[i], lw=1.8, label=names[i])
        if prior_matrix is not None and prior_matrix.shape == model.srf.shape:
            column = prior_matrix[:, i] / max(prior_matrix[:, i].sum(), 1e-300)
            ax.plot(x[order], column[order], color=colours[i], lw=1.0, ls="--")
    ax.set_xlabel("wavelength (nm)" if known else "LR-HSI band")
    ax.set_ylabel("weight (each curve sums to 1)")
    title = "SRF: estimate (solid)"
    if prior_matrix is not None:
        title += ", prior (dashed)"
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2 if m > 6 else 1, loc="upper right")


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
