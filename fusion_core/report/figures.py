"""The report's pictures: images as PNG bytes, plots as inline SVG text.

Images (quick-looks, maps) are encoded straight from their pixels (``*_png``); the report's plots
(``*_figure``) are SVG (:mod:`.svg`), drawn in milliseconds where matplotlib took 0.5–0.7 s. The
matplotlib PSF and SRF panels (Agg canvas, no pyplot state) are the degradation plot of
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
from .svg import COLOURS, Plot

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


def _psf_plot(model: DegradationModel) -> Plot:
    """The PSF as an image, its LR block dashed and its centre of mass."""
    from matplotlib import colormaps

    psf, r = model.psf, model.scale
    k = psf.shape[0]
    fy, fx = psf_fwhm(psf)
    dy, dx = model.psf_offset
    plot = Plot(300, 300, f"PSF {k}×{k} HR px, FWHM {fy:.1f} × {fx:.1f} px", "column (HR px)", "row (HR px)",
                (-0.5, k - 0.5), (k - 0.5, -0.5))
    plot.image(image_png(colormaps["magma"](psf / max(float(psf.max()), 1e-30), bytes=True)))
    lo, hi = (k - r) / 2 - 0.5, (k - r) / 2 - 0.5 + r
    plot.line([lo, hi, hi, lo, lo], [lo, lo, hi, hi, lo], "#00e5ff", f"LR pixel ({r}×{r} HR px)", dashed=True)
    centre = block_centre(k, r)
    plot.points([centre + dx], [centre + dy], "#00e5ff", f"centre {dy:+.2f}, {dx:+.2f} px", size=4)
    return plot


def _srf_plot(model: DegradationModel) -> Plot:
    """The SRF curves against wavelength (or band), one colour per MSI band."""
    c, m = model.srf.shape
    known = model.hsi_wavelengths is not None
    x = np.asarray(model.hsi_wavelengths) if known else np.arange(1, c + 1)
    order = np.argsort(x)
    names = model.msi_band_names or [f"band {i + 1}" for i in range(m)]
    plot = Plot(560, 300, "SRF (each curve sums to 1)", "wavelength (nm)" if known else "LR-HSI band", "weight")
    for i in range(m):
        plot.line(x[order], model.srf[order, i], COLOURS[i % len(COLOURS)], names[i])
    return plot


def degradation_figure(model: DegradationModel) -> str:
    """The estimated PSF and SRF, as SVG."""
    return _psf_plot(model).svg() + _srf_plot(model).svg()


def consistency_figure(facts: dict, wavelengths: Optional[np.ndarray]) -> str:
    """The result's residual per LR-HSI band measured (``hsi_bands``) against its normal value
    (the LR-HSI's noise), SVG."""
    spatial = facts["spatial"]
    residual, normal = np.asarray(spatial["residual_percent"]), np.asarray(spatial["normal_percent"])
    bands = np.asarray(spatial.get("hsi_bands", range(residual.size)), int)
    x = np.asarray(wavelengths)[bands] if wavelengths is not None else bands + 1
    finite = np.concatenate([residual[np.isfinite(residual)], normal[np.isfinite(normal)]])
    top = 1.15 * float(np.percentile(finite, 98)) if finite.size else 1.0
    plot = Plot(900, 280, "Result blurred by the PSF vs LR-HSI",
                "wavelength (nm)" if wavelengths is not None else "HSI band", "RMS, % of the band's RMS",
                y_range=(0.0, top or 1.0))
    plot.line(x, residual, COLOURS[0], "residual")
    plot.line(x, normal, "#000000", "noise of the LR-HSI (normal)", dashed=True)
    return plot.svg()


def spectra_figure(samples: list[dict], wavelengths: Optional[np.ndarray],
                   msi_x: Optional[np.ndarray]) -> str:
    """Sample spectra before (LR-HSI) and after (result), with the HR-MSI at its band centres, SVG."""
    out = []
    for i, sample in enumerate(samples):
        lr = np.asarray(sample["lr_hsi"])
        x = wavelengths if wavelengths is not None else np.arange(lr.size)
        plot = Plot(270, 230, f"LR pixel {tuple(sample['lr_pixel'])}",
                    "wavelength (nm)" if wavelengths is not None else "band")
        plot.line(x, lr, "#808080", "LR-HSI (before)" if i == 0 else None, width=2.5)
        plot.line(x, sample["fused"], COLOURS[0], "result (after)" if i == 0 else None, width=1.2)
        if msi_x is not None:
            plot.points(msi_x, sample["hr_msi"], COLOURS[3], "HR-MSI / gain" if i == 0 else None)
        out.append(plot.svg())
    return "".join(out)
