"""The report's pictures, drawn with matplotlib's Agg canvas (no pyplot state, no display, no QGIS).

Each ``*_figure``/``*_image`` function returns PNG bytes. Images (quick-looks, maps) are encoded
straight from their pixels, plots are drawn on a fixed layout: a report's figures cost well under
a second. The PSF and SRF panels are shared with the degradation plot of
``hsifusion:estimatedegradation`` (``ui/degradation_plot.py``).
"""

from __future__ import annotations

import io
from typing import Callable, Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..degradation import DegradationModel, block_centre, psf_fwhm

__all__ = ["png", "image_png", "map_png", "psf_panel", "srf_panel", "degradation_figure",
           "consistency_figure", "spectra_figure"]

_DPI = 72
#: zlib level of the PNGs: the fastest; the files are about 1.5 times the default's size.
_PNG = {"compress_level": 1}
#: Colour of disagreeing areas drawn over a map (RGBA).
_OUTLINE = (255, 0, 0, 255)


def png(draw: Callable[[Figure], None], size: tuple[float, float]) -> bytes:
    """PNG bytes of a figure of ``size`` inches drawn by ``draw(figure)``."""
    fig = Figure(figsize=size, dpi=_DPI)
    FigureCanvasAgg(fig)
    draw(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs=_PNG)
    return buffer.getvalue()


def image_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an image ``(H, W, 3|4)`` (uint8 or floats in [0, 1])."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, rgb, format="png", pil_kwargs=_PNG)
    return buffer.getvalue()


def map_png(values: np.ndarray, top: float, outline: Optional[np.ndarray] = None,
            longest: int = 480) -> bytes:
    """PNG bytes of a map ``(H, W)`` in viridis from 0 to ``top`` (NaN white), enlarged by whole
    pixels to about ``longest`` pixels a side, with the ``outline`` mask's border in red."""
    from matplotlib import colormaps

    zoom = max(1, longest // max(values.shape))
    rgba = colormaps["viridis"](np.clip(np.nan_to_num(values, nan=0.0) / max(top, 1e-12), 0.0, 1.0),
                                bytes=True)
    rgba[~np.isfinite(values)] = 255
    if outline is not None and outline.any():
        from scipy import ndimage

        rgba[outline & ~ndimage.binary_erosion(outline)] = _OUTLINE
    return image_png(rgba.repeat(zoom, axis=0).repeat(zoom, axis=1))


def psf_panel(fig, ax, model: DegradationModel) -> None:
    """The PSF as an image, its LR block, centre of mass, FWHM and grid offset."""
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
                 f"grid offset {dy:+.2f}, {dx:+.2f} HR px (row, col)", y=1.0)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.7)


def srf_panel(ax, model: DegradationModel, prior=None) -> None:
    """The SRF curves against wavelength (the prior dashed in the same colour, when given)."""
    c, m = model.srf.shape
    known = model.hsi_wavelengths is not None
    x = np.asarray(model.hsi_wavelengths) if known else np.arange(1, c + 1)
    gains = np.asarray(model.msi_gain)
    order = np.argsort(x)
    names = model.msi_band_names or [f"band {i + 1}" for i in range(m)]
    prior_matrix = None if prior is None else np.asarray(getattr(prior, "matrix", prior), dtype=float)
    colours = [f"C{i % 10}" for i in range(m)]
    for i in range(m):
        label = names[i] if np.all(gains == 1.0) else f"{names[i]} (gain ×{gains[i]:.3f})"
        ax.plot(x[order], model.srf[order, i], color=colours[i], lw=1.8, label=label)
        if prior_matrix is not None and prior_matrix.shape == model.srf.shape:
            column = prior_matrix[:, i] / max(prior_matrix[:, i].sum(), 1e-300)
            ax.plot(x[order], column[order], color=colours[i], lw=1.0, ls="--")
    ax.set_xlabel("wavelength (nm)" if known else "LR-HSI band")
    ax.set_ylabel("weight (each curve sums to 1)")
    ax.set_title("SRF: estimate (solid)" + (", prior (dashed)" if prior_matrix is not None else ""), y=1.0)
    ax.legend(fontsize=7, ncol=2 if m > 6 else 1, loc="upper right")


def degradation_figure(model: DegradationModel) -> bytes:
    """The estimated PSF and SRF (with the gains in the legend)."""
    def draw(fig):
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.4)})
        fig.subplots_adjust(left=0.04, right=0.98, bottom=0.12, top=0.86, wspace=0.2)
        psf_panel(fig, left, model)
        srf_panel(right, model)
    return png(draw, (12.0, 4.6))


def _bands_panel(ax, part: dict, x: np.ndarray, xlabel: str, title: str, bars: bool) -> None:
    residual, normal = np.asarray(part["residual_percent"]), np.asarray(part["normal_percent"])
    if bars:
        ax.bar(x, residual, color="C0", label="residual")
        ax.plot(x, normal, "k_", ms=14, mew=2, label="noise of the input (normal)")
        ax.set_xticks(x, part.get("bands") or [str(i + 1) for i in x], rotation=45, ha="right",
                      fontsize=7)
    else:
        ax.plot(x, residual, color="C0", label="residual")
        ax.plot(x, normal, color="k", ls="--", label="noise of the input (normal)")
        ax.set_xlabel(xlabel)
    finite = np.concatenate([residual[np.isfinite(residual)], normal[np.isfinite(normal)]])
    ax.set_ylim(0.0, 1.15 * float(np.percentile(finite, 98)) if finite.size else 1.0)
    ax.set_ylabel("RMS, % of the band's RMS")
    ax.set_title(title, fontsize=10, y=1.0)
    ax.legend(fontsize=8)


def consistency_figure(facts: dict, wavelengths: Optional[np.ndarray]) -> bytes:
    """Residuals per band against their normal values: vs the LR-HSI and vs the HR-MSI."""
    spatial, spectral = facts["spatial"], facts["spectral"]

    def draw(fig):
        left, right = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.2, top=0.9, wspace=0.25)
        x = wavelengths if wavelengths is not None else np.arange(len(spatial["noise_units"]))
        _bands_panel(left, spatial, x, "wavelength (nm)" if wavelengths is not None else "HSI band",
                     "Result blurred by the PSF vs LR-HSI", bars=False)
        _bands_panel(right, spectral, np.arange(len(spectral["noise_units"])), "",
                     "Result integrated by the SRF vs HR-MSI", bars=True)
    return png(draw, (12.0, 4.2))


def spectra_figure(samples: list[dict], wavelengths: Optional[np.ndarray],
                   msi_x: Optional[np.ndarray]) -> bytes:
    """Sample spectra before (LR-HSI) and after (result), with the HR-MSI at its band centres."""
    def draw(fig):
        axes = np.atleast_1d(fig.subplots(1, max(len(samples), 1)))
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.16, top=0.88, wspace=0.25)
        for ax, sample in zip(axes, samples):
            lr = np.asarray(sample["lr_hsi"])
            x = wavelengths if wavelengths is not None else np.arange(lr.size)
            ax.plot(x, lr, color="0.5", lw=2.5, label="LR-HSI (before)")
            ax.plot(x, sample["fused"], color="C0", lw=1.2, label="result (after)")
            if msi_x is not None:
                ax.plot(msi_x, sample["hr_msi"], "o", color="C3", ms=4, label="HR-MSI / gain")
            ax.set_title(f"LR pixel {tuple(sample['lr_pixel'])}", fontsize=9, y=1.0)
            ax.set_xlabel("wavelength (nm)" if wavelengths is not None else "band", fontsize=8)
        axes[0].legend(fontsize=7)
    return png(draw, (3.2 * max(len(samples), 1), 3.4))
