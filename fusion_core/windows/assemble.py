"""Blend finished windows into output regions and write each region once all its windows are in.

Windows may finish in any order (Dask). Each finished window's weighted result is cut into its
contributions to the output core regions it overlaps; a region is summed and written as soon as
every window it depends on is done, into the contribution of the window that owns it (no other
copy of the region), the others added in window order, so the result is the same bit for bit
whatever the order of completion. Contributions to regions not yet written are
also kept in the resume stash, so an interrupted run loses no finished window. Each written
region is also handed, with its values, to ``on_region`` when given (the report's scan:
:class:`~fusion_core.report.region_scan.RegionScan`), so nothing has to read the result back.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .layout import WindowGrid
from .output import TiledOutput
from .state import Key, ResumeState

__all__ = ["Assembler", "cut_piece", "blend_region"]


def _intersect(a: tuple[int, int, int, int], b: tuple[int, int, int, int]):
    y0, x0 = max(a[0], b[0]), max(a[1], b[1])
    y1, x1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return y0, x0, y1 - y0, x1 - x0


def cut_piece(grid: WindowGrid, window: Key, weighted: np.ndarray, region: Key) -> np.ndarray:
    """Window ``window``'s contribution to output region ``region`` (a view of ``weighted``, its
    weighted result over its HR support)."""
    support = grid.window(*window).hr_support
    y0, x0, h, w = _intersect(support, grid.region(*region))
    return weighted[:, y0 - support[0]:y0 - support[0] + h, x0 - support[1]:x0 - support[1] + w]


def blend_region(grid: WindowGrid, region: Key, pieces: dict[Key, np.ndarray]) -> np.ndarray:
    """Output region ``region`` from its windows' contributions ``pieces``: summed into the piece
    of the window that owns it (which covers it whole: its core plus the ramps of the windows
    before it), the others added in window order, so the sum does not depend on the order the
    windows finished in, nor on where it is made (here or on a Dask worker)."""
    rect = grid.region(*region)
    pieces = dict(pieces)
    total = pieces.pop(region)
    if not total.flags.writeable:  # e.g. received from a Dask worker
        total = np.array(total)
    for window, piece in sorted(pieces.items()):
        y0, x0, h, w = _intersect(grid.window(*window).hr_support, rect)
        total[:, y0 - rect[0]:y0 - rect[0] + h, x0 - rect[1]:x0 - rect[1] + w] += piece
    return total


class Assembler:
    """Collects window results for ``grid`` and writes completed regions into ``output``."""

    def __init__(self, grid: WindowGrid, output: TiledOutput, state: ResumeState, n_bands: int,
                 on_region: Optional[Callable[[tuple[int, int, int, int], np.ndarray], None]] = None):
        self.grid = grid
        self.on_region = on_region
        self.output = output
        self.state = state
        self.n_bands = n_bands
        self.pending: dict[Key, dict[Key, np.ndarray]] = {}
        for window in sorted(state.done):
            wanted = [region for region in grid.window_receivers(*window) if region not in state.written]
            pieces = {region: piece for region in wanted
                      if (piece := state.stashed_piece(window, region)) is not None}
            if len(pieces) < len(wanted):
                state.done.discard(window)  # lost by an interrupted run: fuse that window again
                continue
            for region, piece in pieces.items():
                self.pending.setdefault(region, {})[window] = piece

    def todo(self) -> list[Key]:
        """Windows still to fuse, in raster order."""
        return [w.key for w in self.grid if w.key not in self.state.done]

    def add(self, key: Key, weighted: np.ndarray) -> int:
        """Take window ``key``'s weighted result (over its HR support); returns regions written."""
        for region in self.grid.window_receivers(*key):
            if region in self.state.written:
                continue
            piece = cut_piece(self.grid, key, weighted, region)
            if not self._ready(region, extra=key):  # kept until its region's other windows are in
                piece = np.array(piece)
                self.state.stash_piece(key, region, piece)
            self.pending.setdefault(region, {})[key] = piece
        self.state.done.add(key)
        written = [region for region in self.grid.window_receivers(*key)
                   if region not in self.state.written and self._ready(region)]
        for region in written:
            self._write(region)
        if written:
            self.output.flush()
        self.state.save()
        for region in written:
            self.state.drop_pieces(region, self.grid.region_contributors(*region))
        return len(written)

    def _ready(self, region: Key, extra: Key | None = None) -> bool:
        done = self.state.done | ({extra} if extra else set())
        return all(w in done for w in self.grid.region_contributors(*region))

    def _write(self, region: Key) -> None:
        """Blend ``region`` (:func:`blend_region`) and write it."""
        rect = self.grid.region(*region)
        total = blend_region(self.grid, region, self.pending.pop(region))
        self.output.write(rect, total)
        if self.on_region is not None:
            self.on_region(rect, total)
        self.state.written.add(region)
