"""The window grid of a windowed fusion: core tiles on the LR grid, halos and blending ramps.

Each axis of the LR-HSI is cut into *cores* ``[b_k, b_{k+1})`` whose HR edges ``r b_k`` fall on
the output's tile grid, so every core region of the output is a whole number of tiles and is
written once, complete. Window ``k`` owns its core with weight one, except where it hands over to
window ``k + 1``: a *ramp* of ``ramp`` LR pixels just after ``b_{k+1}``, where window ``k``'s
weight falls linearly from one to zero and window ``k + 1``'s rises from zero to one. Window ``k``
reads its core, the ramp after it, and a *halo* of ``halo`` LR pixels on each side, so that no
pixel with a non-zero weight lies within ``halo`` LR pixels of a window border (a border the
method cannot see past). HR windows are ``r`` times the LR windows.

Because the ramp sits after each core edge, output core region ``(i, j)`` depends only on
windows ``{i - 1, i} × {j - 1, j}``: it can be written as soon as those four are done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

from ..errors import InputError

__all__ = ["AxisLayout", "WindowGrid", "Window", "psf_halo"]


def psf_halo(psf_size: int, scale: int) -> int:
    """LR pixels beyond its block that the degradation operator reads (PSF support)."""
    reach = max(0, (psf_size - scale + 1) // 2)
    return math.ceil(reach / scale)


@dataclass(frozen=True)
class AxisLayout:
    """The cut of one LR axis of length ``n`` into cores, with halo and ramp widths (LR pixels)."""

    n: int
    bounds: tuple[int, ...]
    halo: int
    ramp: int

    @classmethod
    def build(cls, n: int, core: int, halo: int, ramp: int) -> "AxisLayout":
        """Cores of ``core`` LR pixels (the last one takes the remainder)."""
        if core < 1 or n < 1:
            raise InputError(f"Cannot cut an axis of {n} pixels into cores of {core}.")
        if n > core and core < ramp:
            raise InputError(f"Window cores of {core} LR pixels are narrower than the blend ramp ({ramp}).")
        bounds = tuple(range(0, n, core)) + (n,)
        return cls(n, bounds, halo, ramp)

    @property
    def count(self) -> int:
        return len(self.bounds) - 1

    def core(self, k: int) -> tuple[int, int]:
        """LR interval ``[start, stop)`` owned by window ``k``."""
        return self.bounds[k], self.bounds[k + 1]

    def support(self, k: int) -> tuple[int, int]:
        """LR interval where window ``k`` has a non-zero weight (its core plus the ramp after it)."""
        start, stop = self.core(k)
        return start, min(self.n, stop + self.ramp) if k + 1 < self.count else stop

    def extent(self, k: int) -> tuple[int, int]:
        """LR interval that window ``k`` reads: its support plus the halo, inside the image."""
        start, stop = self.support(k)
        return max(0, start - self.halo), min(self.n, stop + self.halo)

    def contributors(self, k: int) -> tuple[int, ...]:
        """Windows whose weights are non-zero inside core ``k``."""
        return (k - 1, k) if k > 0 and self.ramp > 0 else (k,)

    def receivers(self, k: int) -> tuple[int, ...]:
        """Cores that window ``k`` contributes to."""
        return (k, k + 1) if k + 1 < self.count and self.ramp > 0 else (k,)


@dataclass(frozen=True)
class Window:
    """One window: its index ``(row, col)`` in the grid and its LR / HR rectangles.

    Rectangles are ``(row0, col0, rows, cols)``: ``lr_read`` what is read from the LR-HSI,
    ``hr_read`` from the HR-MSI (``r`` times it), ``hr_support`` the HR rectangle where its
    weight is non-zero (inside ``hr_read``).
    """

    row: int
    col: int
    lr_read: tuple[int, int, int, int]
    hr_read: tuple[int, int, int, int]
    hr_support: tuple[int, int, int, int]

    @property
    def key(self) -> tuple[int, int]:
        return self.row, self.col


@dataclass(frozen=True)
class WindowGrid:
    """The windows of a scene: one :class:`AxisLayout` per axis and the scale ratio."""

    rows: AxisLayout
    cols: AxisLayout
    scale: int
    core: int

    @classmethod
    def build(cls, lr_height: int, lr_width: int, scale: int, core: int, halo: int,
              ramp: int) -> "WindowGrid":
        """Windows with cores of ``core`` LR pixels, ``halo`` and ``ramp`` LR pixels wide."""
        return cls(AxisLayout.build(lr_height, core, halo, ramp),
                   AxisLayout.build(lr_width, core, halo, ramp), scale, core)

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.count, self.cols.count

    def __len__(self) -> int:
        return self.rows.count * self.cols.count

    def window(self, row: int, col: int) -> Window:
        """The window at ``(row, col)``."""
        (y0, y1), (x0, x1) = self.rows.extent(row), self.cols.extent(col)
        (s0, s1), (t0, t1) = self.rows.support(row), self.cols.support(col)
        r = self.scale
        return Window(row, col, (y0, x0, y1 - y0, x1 - x0),
                      (y0 * r, x0 * r, (y1 - y0) * r, (x1 - x0) * r),
                      (s0 * r, t0 * r, (s1 - s0) * r, (t1 - t0) * r))

    def __iter__(self) -> Iterator[Window]:
        for i in range(self.rows.count):
            for j in range(self.cols.count):
                yield self.window(i, j)

    def region(self, row: int, col: int) -> tuple[int, int, int, int]:
        """HR rectangle ``(row0, col0, rows, cols)`` of output core region ``(row, col)``."""
        (y0, y1), (x0, x1) = self.rows.core(row), self.cols.core(col)
        r = self.scale
        return y0 * r, x0 * r, (y1 - y0) * r, (x1 - x0) * r

    def region_contributors(self, row: int, col: int) -> list[tuple[int, int]]:
        """Windows that must be done before output region ``(row, col)`` can be written."""
        return [(i, j) for i in self.rows.contributors(row) for j in self.cols.contributors(col)]

    def window_receivers(self, row: int, col: int) -> list[tuple[int, int]]:
        """Output regions that window ``(row, col)`` contributes to."""
        return [(i, j) for i in self.rows.receivers(row) for j in self.cols.receivers(col)]

    def describe(self) -> dict:
        """Layout parameters (for logs and the resume state)."""
        return {"core_lr": self.core, "halo_lr": self.rows.halo, "ramp_lr": self.rows.ramp,
                "scale": self.scale, "windows": list(self.shape)}
