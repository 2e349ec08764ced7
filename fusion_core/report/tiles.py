"""Where the report's scene-level figures look: tiles spread evenly over the whole scene.

The reduced-resolution check, HQNR, the geometry the result is checked in and the sample spectra
were computed on one crop, the most textured of the scene: on a scene of mixed ground that crop
is its hardest part, and the quality estimate came out several dB pessimistic. They are now
computed on :data:`GRID` × :data:`GRID` tiles at the centres of an even grid over the scene, side
by side in one mosaic. The mosaic is fused once (a tile's edges are edges of the mosaic like any
other: both inputs and the reference are cut from the same places), so its cost is one in-memory
run of at most ``(GRID · TILE_RATIO)²`` LR pixels whatever the scene size. Along an axis no
longer than the mosaic the scene is taken whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["GRID", "TILE_RATIO", "Tiles", "scene_tiles"]

#: Tiles along each axis.
GRID = 4
#: Side of a tile in LR pixels, in units of the ratio: the reduced tile keeps this many LR pixels.
TILE_RATIO = 4

Rect = tuple[int, int, int, int]
Span = tuple[int, int]


@dataclass(frozen=True)
class Tiles:
    """The tiles of a scene: ``(start, length)`` LR spans along the rows and the columns; the
    tiles are every pair of them, row by row."""

    rows: tuple[Span, ...]
    cols: tuple[Span, ...]

    def rects(self, factor: int = 1) -> list[Rect]:
        """The tiles as rectangles ``(row0, col0, rows, cols)``, in LR pixels times ``factor``."""
        return [(r0 * factor, c0 * factor, h * factor, w * factor)
                for r0, h in self.rows for c0, w in self.cols]

    @property
    def lr_pixels(self) -> tuple[int, int]:
        """The mosaic's size in LR pixels."""
        return sum(h for _, h in self.rows), sum(w for _, w in self.cols)

    def scene_pixel(self, row: int, col: int) -> tuple[int, int]:
        """The scene's LR pixel ``(row, col)`` at the mosaic's LR pixel ``(row, col)``."""
        return _in_scene(self.rows, row), _in_scene(self.cols, col)

    def stitch(self, parts: list[np.ndarray]) -> np.ndarray:
        """The mosaic of ``parts`` ``(B, h, w)``, one per tile in :meth:`rects` order (a new array,
        each part copied once)."""
        n = len(self.cols)
        heights = [part.shape[1] for part in parts[::n]]
        widths = [part.shape[2] for part in parts[:n]]
        mosaic = np.empty((parts[0].shape[0], sum(heights), sum(widths)), np.result_type(*parts))
        for k, part in enumerate(parts):
            i, j = divmod(k, n)
            top, left = sum(heights[:i]), sum(widths[:j])
            mosaic[:, top:top + part.shape[1], left:left + part.shape[2]] = part
        return mosaic

    def parts(self, mosaic: np.ndarray, factor: int = 1) -> list[np.ndarray]:
        """The tiles' places in a ``mosaic`` ``(B, rows, cols)`` of LR pixels times ``factor``,
        as views, in :meth:`rects` order: a mosaic filled through them needs no :meth:`stitch`."""
        tops = np.cumsum([0] + [h * factor for _, h in self.rows])
        lefts = np.cumsum([0] + [w * factor for _, w in self.cols])
        return [mosaic[:, tops[i]:tops[i + 1], lefts[j]:lefts[j + 1]]
                for i in range(len(self.rows)) for j in range(len(self.cols))]

    def read(self, read: Callable[[Rect], np.ndarray], factor: int = 1) -> np.ndarray:
        """The mosaic of an image read tile by tile by ``read(rect)`` (rectangles in LR pixels
        times ``factor``)."""
        return self.stitch([read(rect) for rect in self.rects(factor)])


def _in_scene(spans: tuple[Span, ...], at: int) -> int:
    for start, length in spans:
        if at < length:
            return start + at
        at -= length
    raise IndexError("a pixel beyond the mosaic")


def _spans(length: int, side: int) -> tuple[Span, ...]:
    if length <= GRID * side:
        return ((0, length),)
    centres = (np.arange(GRID) + 0.5) * length / GRID
    return tuple((int(min(max(round(c - side / 2), 0), length - side)), side) for c in centres)


def scene_tiles(lr_shape: tuple[int, int], scale: int) -> Tiles:
    """The tiles of an LR-HSI of ``lr_shape`` (rows, cols) at ratio ``scale``."""
    side = TILE_RATIO * scale
    return Tiles(_spans(lr_shape[0], side), _spans(lr_shape[1], side))
