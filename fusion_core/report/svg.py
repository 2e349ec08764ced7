"""Line plots as inline SVG text: the report's plots in milliseconds, without matplotlib.

Drawing the report's three plots with matplotlib took 0.5–0.7 s, a tenth of a 512² run. A plot
here is a frame with round-numbered ticks, lines, points, an optional image (a PNG drawn under
the axes) and a legend, written as SVG elements that any browser shows in the page itself.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

__all__ = ["COLOURS", "Plot", "ticks"]

#: matplotlib's tab10 colours, which the report used before.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
_MARGIN = (28, 12, 40, 58)          # top, right, bottom, left, in pixels


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) within ``[lo, hi]``."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int(math.floor((hi - first) / step + 1e-9)) + 1)]


def _label(value: float) -> str:
    return f"{value:.4g}"


def _finite_range(values: Sequence[np.ndarray], pad: float) -> tuple[float, float]:
    finite = np.concatenate([np.ravel(v)[np.isfinite(np.ravel(v))] for v in values] or [np.zeros(0)])
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo or abs(hi) or 1.0
    return lo - pad * span, hi + pad * span


@dataclass
class Plot:
    """One plot ``width`` × ``height`` pixels; add lines and points, then :meth:`svg`.

    ``x_range``/``y_range``: the axes' limits (None: from the data, padded by 3 %).
    """

    width: int
    height: int
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    x_range: Optional[tuple[float, float]] = None
    y_range: Optional[tuple[float, float]] = None
    _series: list[tuple[str, np.ndarray, np.ndarray, str, Optional[str], str]] = field(default_factory=list)
    _under: str = ""

    def line(self, x, y, colour: str, label: Optional[str] = None, width: float = 1.5,
             dashed: bool = False) -> None:
        style = f'stroke-width="{width}"' + (' stroke-dasharray="5,3"' if dashed else "")
        self._series.append(("line", np.asarray(x, float), np.asarray(y, float), colour, label, style))

    def points(self, x, y, colour: str, label: Optional[str] = None, size: float = 3.0) -> None:
        self._series.append(("points", np.asarray(x, float), np.asarray(y, float), colour, label, f"{size}"))

    def image(self, png: bytes) -> None:
        """A PNG stretched over the axes (pixel centres at integer coordinates from 0)."""
        self._under = base64.b64encode(png).decode("ascii")

    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        xs = [s[1] for s in self._series] or [np.zeros(1)]
        ys = [s[2] for s in self._series] or [np.zeros(1)]
        return self.x_range or _finite_range(xs, 0.03), self.y_range or _finite_range(ys, 0.03)

    def svg(self) -> str:
        """The plot as an ``<svg>`` element."""
        (x0, x1), (y0, y1) = self._limits()
        top, right, bottom, left = _MARGIN
        w, h = self.width - left - right, self.height - top - bottom

        def px(x):
            return left + (np.asarray(x, float) - x0) / ((x1 - x0) or 1.0) * w

        def py(y):
            return top + h - (np.asarray(y, float) - y0) / ((y1 - y0) or 1.0) * h

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'font-family="sans-serif" font-size="11">']
        if self._under:
            out.append(f'<image x="{left}" y="{top}" width="{w}" height="{h}" preserveAspectRatio="none" '
                       f'style="image-rendering:pixelated" href="data:image/png;base64,{self._under}"/>')
        out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#444"/>')
        for t in ticks(x0, x1):
            x = float(px(t))
            out.append(f'<line x1="{x:.1f}" y1="{top + h}" x2="{x:.1f}" y2="{top + h + 4}" stroke="#444"/>'
                       f'<text x="{x:.1f}" y="{top + h + 15}" text-anchor="middle">{_label(t)}</text>')
        for t in ticks(y0, y1):
            y = float(py(t))
            out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#444"/>'
                       f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(t)}</text>')
        out.append(f'<svg x="{left}" y="{top}" width="{w}" height="{h}" viewBox="{left} {top} {w} {h}" '
                   'overflow="hidden">')
        for kind, xv, yv, colour, _, style in self._series:
            keep = np.isfinite(xv) & np.isfinite(yv)
            xs, ys = px(xv[keep]), py(yv[keep])
            if kind == "line":
                coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
                out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" {style}/>')
            else:
                out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{style}" fill="{colour}"/>'
                           for a, b in zip(xs, ys))
        out.append("</svg>")
        labelled = [(colour, label, kind, style) for kind, _, _, colour, label, style in self._series if label]
        for i, (colour, label, kind, style) in enumerate(labelled):
            y = top + 12 + 13 * i
            mark = (f'<line x1="{left + w - 150}" y1="{y - 4}" x2="{left + w - 132}" y2="{y - 4}" '
                    f'stroke="{colour}" {style}/>' if kind == "line" else
                    f'<circle cx="{left + w - 141}" cy="{y - 4}" r="3" fill="{colour}"/>')
            out.append(f'{mark}<text x="{left + w - 128}" y="{y}">{html.escape(label or "")}</text>')
        out.append(f'<text x="{left + w / 2:.0f}" y="{top - 10}" text-anchor="middle" font-size="12">'
                   f'{html.escape(self.title)}</text>')
        out.append(f'<text x="{left + w / 2:.0f}" y="{self.height - 6}" text-anchor="middle">'
                   f'{html.escape(self.xlabel)}</text>')
        out.append(f'<text transform="translate(14,{top + h / 2:.0f}) rotate(-90)" text-anchor="middle">'
                   f'{html.escape(self.ylabel)}</text></svg>')
        return "".join(out)
