"""The scene scan folded into the writing of the result: residuals from each region as it is written.

The windows' result is written region by region (:class:`~fusion_core.windows.assemble.Assembler`),
each region final when written. :class:`RegionScan` takes every written region (its values as
fused, before the output's encoding: an int16 output rounds them by under 1e-4 of the signal)
and computes what :func:`.scan.scan_scene` computes by reading the whole result back, without
reading it:

* when asked for (the CONSISTENCY_MAP output; the report itself judges it on its tiles), the
  spectral residual on the region's HR pixels: per pixel, from the region and the HR-MSI under
  it (the SRF applied to every band of every pixel: 0.2 s a 1024² region on one thread);
* its share of the spatial residual, on the LR-HSI bands of :func:`.scan.spatial_bands`. The
  blur-and-decimate ``D`` is linear, so ``D(X)`` is the sum over regions of ``D`` applied to
  each region alone, zero elsewhere; the reflection that extends the image at its borders
  (:func:`~fusion_core.degradation.spatial_degrade`) is linear too, and each padded pixel
  belongs to the region its value is reflected from. Each region is placed, with the padded
  pixels it owns, in a zero frame over the LR pixels it reaches, blurred, decimated, and added
  to the partial sums of the LR blocks (the regions' LR pixels) it reaches; a block is final
  when every region that reaches it is in, and only then is its residual (the sum minus the
  LR-HSI) counted and mapped;
* the cross-sensor residual and the quick-looks, from the inputs under the region's LR block;
* a copy of the result and of the inputs over the report's tiles (:attr:`RegionScan.tile_values`,
  :attr:`RegionScan.tile_inputs`), for the figures computed on their mosaic (:mod:`.tiles`).

The inputs around a region are those the window that owns it read, handed over as it read them
(:meth:`RegionScan.keep`, from the windows fused in this process) and dropped once the region is
scanned; a region whose window was fused elsewhere (Dask) or read too little (a halo narrower
than :func:`.scan.scan_halo`) reads them again. The frames are built bands last, where torch's
depthwise convolution is several times faster than bands first, a strip of rows at a time
(:data:`STRIP_BYTES`, in memory reused from strip to strip): the strip is still in cache when it
is blurred, and a frame never costs a copy of the whole region.

The geometry the result is checked in (:func:`.consistency.choose_geometry`) is still decided
after the windows, on the tiles of the result, as before: the scan accumulates the residuals of
every candidate geometry (one unless the PSF is off centre; an HR-MSI moved by a shift is moved
per region with a margin of :func:`.scan.scan_halo` LR pixels, as the strips are) and
:meth:`RegionScan.result` gives the chosen one's. The noise the maps are expressed in comes from
the inputs alone, so it is measured before the windows. Memory beyond the maps: a strip of
frame, the partial sums of blocks not yet final, about one row of regions at ``1/r²`` of the
result's size, and the inputs
of the windows whose region is not yet written (counted in the windows' memory:
:func:`~fusion_core.windows.memory.input_copies`).

A run that sees only some regions (a resumed run: the earlier run's regions are not seen) is
not :attr:`~RegionScan.complete`; the report then reads the result back (:func:`.scan.scan_scene`).
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..degradation import DegradationModel
from ..degradation.operators import psf_padding
from ..io.pair import scaled_rect
from ..measure.consistency import Geometry, NoiseLevels, model_geometry, noise_units
from ..measure.disagreement import cross_normal, judged_cross_residual
from ..windows.task import ReadInputs, inputs_within
from .scan import BandSums, SceneScan, every, quicklook_steps, scan_halo, spatial_bands
from .tiles import Tiles

if TYPE_CHECKING:
    from ..windows.layout import Window

__all__ = ["RegionScan", "RegionMeasure", "RegionMeasures"]

Rect = tuple[int, int, int, int]
Key = tuple[int, int]

#: Bytes of a region's frame built at a time: a strip stays in cache from its copy to its blur,
#: and the memory it takes is reused from strip to strip and region to region. Small, because
#: memory touched the first time costs more than the copy on this VM (page faults): at 32 MiB a
#: 512² scene's one region built its frame in fresh memory, 0.18 of its 0.30 CPU s.
STRIP_BYTES = 2 ** 22


@dataclass(frozen=True)
class _Axis:
    """Where a region's pixels go along one axis of its frame, and the LR pixels ``[lr0, lr1)``
    its frame gives: runs ``(frame slice, region slice)`` (a region slice may run backwards, a
    reflection, or be one pixel repeated, a replication), and where the region itself starts."""

    lr0: int
    lr1: int
    runs: tuple[tuple[slice, slice], ...]
    offset: int

    def length(self, kernel: int, scale: int) -> int:
        """The frame's length: what a ``kernel``-wide PSF reads for LR pixels ``[lr0, lr1)``."""
        return (self.lr1 - self.lr0 - 1) * scale + kernel

    def gaps(self, length: int) -> list[slice]:
        """The positions of a frame of ``length`` that no run fills (the runs are in order)."""
        found, at = [], 0
        for into, _ in self.runs:
            if into.start > at:
                found.append(slice(at, into.start))
            at = into.stop
        return found + ([slice(at, length)] if at < length else [])


def _runs(into: np.ndarray, source: np.ndarray) -> tuple[tuple[slice, slice], ...]:
    """``frame[into[k]] <- region[source[k]]`` as runs of consecutive frame positions whose
    region indices step by one of +1, -1 or 0."""
    runs, start = [], 0
    for k in range(1, into.size + 1):
        if k < into.size and into[k] == into[k - 1] + 1:
            step = int(source[k] - source[k - 1])
            if abs(step) <= 1 and (k == start + 1 or step == int(source[start + 1] - source[start])):
                continue
        first, last = int(source[start]), int(source[k - 1])
        if last > first:
            taken = slice(first, last + 1)
        elif last < first:
            taken = slice(first, last - 1 if last else None, -1)
        else:                                   # one pixel, or one repeated (broadcast)
            taken = slice(first, first + 1)
        runs.append((slice(int(into[start]), int(into[k - 1]) + 1), taken))
        start = k
    return tuple(runs)


def _axis(start: int, stop: int, n: int, kernel: int, scale: int, reflect: bool) -> _Axis:
    """The pixels ``[start, stop)`` of an HR axis of ``n`` own, in the axis padded as
    :func:`~fusion_core.degradation.spatial_degrade` pads it (reflected, or replicated on a tiny
    image), and the LR pixels a ``kernel``-wide PSF reaches from them."""
    before, after = psf_padding(kernel, scale)
    t = np.arange(-before, n + after)
    if reflect:
        origin = np.where(t < 0, -t, np.where(t >= n, 2 * (n - 1) - t, t))
    else:
        origin = np.clip(t, 0, n - 1)
    owned = np.flatnonzero((origin >= start) & (origin < stop))
    lr0 = max(0, -(-(int(owned[0]) - kernel + 1) // scale))
    lr1 = min(n // scale, int(owned[-1]) // scale + 1)
    return _Axis(lr0, lr1, _runs(owned - lr0 * scale, origin[owned] - start), start + before - lr0 * scale)


def _bands_last(into: np.ndarray, values: np.ndarray, bands: list[int], spare: "_Memory") -> None:
    """``into[...] = values[bands].transpose(1, 2, 0)``. The ``bands`` are first gathered into
    ``spare`` memory (no copy of the whole region's bands), in planes a few floats longer than a
    multiple of 4 KiB apart: planes that far apart (a 512² region) put every band at the same
    cache set, and the bands-last copy runs four times slower."""
    _, rows, cols = values.shape
    plane = rows * cols + (16 if (rows * cols * 4) % 4096 == 0 else 0)
    staged = spare.take(len(bands) * plane).reshape(len(bands), plane)[:, :rows * cols].reshape(len(bands), rows, cols)
    for k, band in enumerate(bands):                 # (np.take into strided memory: 10× slower)
        staged[k] = values[band]
    into[...] = staged.transpose(1, 2, 0)


def _clip(into: slice, source: slice, lo: int, hi: int) -> Optional[tuple[slice, slice]]:
    """The part of a run ``frame[into] <- region[source]`` (:func:`_runs`) on frame positions
    ``[lo, hi)``, its positions counted from ``lo``; None when it has none there."""
    a, b = max(into.start, lo), min(into.stop, hi)
    if a >= b:
        return None
    skip, n = a - into.start, b - a
    if source.step == -1:
        first = source.start - skip
        source = slice(first, first - n if first >= n else None, -1)
    elif source.stop - source.start > 1:              # a forward run; one pixel stays as it is
        source = slice(source.start + skip, source.start + skip + n)
    return slice(a - lo, b - lo), source


def _overlap(a: Rect, b: Rect) -> Optional[Rect]:
    """The rectangle where ``a`` and ``b`` meet; None when they do not."""
    top, left = max(a[0], b[0]), max(a[1], b[1])
    bottom, right = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (top, left, bottom - top, right - left) if bottom > top and right > left else None


def _keep(tile: Rect, values: np.ndarray, rect: Rect, data: np.ndarray) -> None:
    """Copy into ``values``, the result over HR rectangle ``tile``, the part of the written
    region ``data`` at HR rectangle ``rect`` that lies in it."""
    both = _overlap(tile, rect)
    if both is not None:
        top, left, rows, cols = both
        values[:, top - tile[0]:top - tile[0] + rows, left - tile[1]:left - tile[1] + cols] = \
            data[:, top - rect[0]:top - rect[0] + rows, left - rect[1]:left - rect[1] + cols]


class _Memory:
    """A float32 buffer reused from call to call (fresh pages cost more than the copies)."""

    def __init__(self) -> None:
        self.buffer = np.empty(0, np.float32)

    def take(self, size: int) -> np.ndarray:
        if self.buffer.size < size:
            self.buffer = np.empty(size, np.float32)
        return self.buffer[:size]


@dataclass
class RegionMeasures:
    """What one written region gives the scan, measured where its values are (here, or on the
    Dask worker that wrote it): small beside the region (LR-sized maps of a few bands, the
    quick-look and tile pieces, per-band sums).

    Attributes:
        key: the region.
        cross: per-band sums of the cross-sensor residual on its LR block, and the block's map
            in noise units.
        looks: quick-look pieces ``name -> (pixels, row, col)``.
        tiles: the pieces of the report's tiles it covers: ``(tile, HR rect, result, LR rect,
            LR-HSI, HR rect, HR-MSI)``.
        spectral: per candidate geometry, the spectral residual's sums and its HR map (None
            when the scan measures none).
        blurred: per candidate, the region blurred and decimated over the LR pixels it reaches,
            bands last.
        lr_own: the LR-HSI of its own block on the scan's bands, bands last.
        seconds: time measuring took.
    """

    key: Key
    cross: tuple[BandSums, np.ndarray]
    looks: dict[str, tuple[np.ndarray, int, int]]
    tiles: list[tuple[int, Rect, np.ndarray, Rect, np.ndarray, Rect, np.ndarray]]
    spectral: list[Optional[tuple[BandSums, np.ndarray]]]
    blurred: list[np.ndarray]
    lr_own: np.ndarray
    seconds: float


def _piece(tile: Rect, rect: Rect, data: np.ndarray, copy: bool) -> Optional[tuple[Rect, np.ndarray]]:
    """The part of ``data`` (at rectangle ``rect``) inside ``tile``, with its rectangle (a copy,
    or a view when not ``copy``); None when they do not meet."""
    both = _overlap(tile, rect)
    if both is None:
        return None
    top, left, rows, cols = both
    return both, np.array(data[:, top - rect[0]:top - rect[0] + rows, left - rect[1]:left - rect[1] + cols],
                          copy=copy)


class RegionMeasure:
    """Measures a written region for the report's scan (:class:`RegionMeasures`), from its
    values and the inputs around it: what :class:`RegionScan` does per region, apart from
    adding it up, so that a Dask worker can do it where the region is written (it pickles
    without the scan's maps; its buffers are per thread).

    Args: as :class:`RegionScan`'s, and ``bounds`` the LR bounds of the grid's cores.
    """

    def __init__(self, source, bounds: tuple[list[int], list[int]], model: DegradationModel,
                 noise: NoiseLevels, rgb: tuple[list[int], list[int]], tiles: list[Rect], spectral: bool):
        self.source, self.bounds, self.model, self.noise = source, bounds, model, noise
        self.rgb, self.tiles, self.spectral = rgb, tiles, spectral
        r = model.scale
        rows, cols = source.lr_shape
        self.bands = spatial_bands(model.n_hsi_bands)
        self.geometries = model_geometry(model)
        self.weights = []
        for geometry in self.geometries:
            kernel = torch.from_numpy(np.asarray(geometry.psf, np.float32))
            self.weights.append(kernel.expand(len(self.bands), 1, *kernel.shape).contiguous(
                memory_format=torch.channels_last))
        kh, kw = model.psf.shape
        self.reflect = max(psf_padding(kh, r)) < rows * r and max(psf_padding(kw, r)) < cols * r
        self.halo = max(scan_halo(model, g) for g in self.geometries)
        self.steps = quicklook_steps((rows, cols), r)
        # torch's matmul, not numpy's: OpenBLAS's own threads would spin beside the windows'
        self.srf = torch.from_numpy(np.ascontiguousarray((model.srf * np.asarray(model.msi_gain)[None]).T,
                                                         np.float32))
        self._local = threading.local()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_local"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    @property
    def _memory(self) -> tuple[_Memory, _Memory]:
        """A strip of frame, and the copy's staging: this thread's."""
        memory = getattr(self._local, "memory", None)
        if memory is None:
            memory = self._local.memory = (_Memory(), _Memory())
        return memory

    def key_of(self, rect: Rect) -> Key:
        """The region at HR rectangle ``rect``."""
        r = self.model.scale
        return self.bounds[0].index(rect[0] // r), self.bounds[1].index(rect[1] // r)

    def lr_rect(self, key: Key) -> Rect:
        (rows, cols), (i, j) = self.bounds, key
        return rows[i], cols[j], rows[i + 1] - rows[i], cols[j + 1] - cols[j]

    def read_rect(self, key: Key) -> Rect:
        """The LR rectangle of inputs region ``key`` is measured on (its block and a halo)."""
        y0, x0, h, w = self.lr_rect(key)
        halo, (rows, cols) = self.halo, self.source.lr_shape
        a0, b0 = max(0, y0 - halo), max(0, x0 - halo)
        return a0, b0, min(rows, y0 + h + halo) - a0, min(cols, x0 + w + halo) - b0

    def read(self, rect: Rect) -> tuple[np.ndarray, np.ndarray]:
        """The LR-HSI over LR ``rect`` and the HR-MSI under it, read from the source."""
        return self.source.read_lr(rect), self.source.read_hr(scaled_rect(rect, self.model.scale))

    def frames(self, key: Key) -> tuple[_Axis, _Axis]:
        y0, x0, h, w = self.lr_rect(key)
        r = self.model.scale
        (rows, cols), (kh, kw) = self.source.lr_shape, self.model.psf.shape
        return (_axis(y0 * r, (y0 + h) * r, rows * r, kh, r, self.reflect),
                _axis(x0 * r, (x0 + w) * r, cols * r, kw, r, self.reflect))

    def __call__(self, rect: Rect, data: np.ndarray, window_inputs: Optional[ReadInputs] = None,
                 copies: bool = True) -> RegionMeasures:
        """Measure the region at HR rectangle ``rect`` ``(row0, col0, rows, cols)``, its values
        ``data`` ``(bands, rows, cols)`` (NaN: nodata; only the source's ``lr_bands`` are used),
        on the inputs over :meth:`read_rect`: cut from ``window_inputs`` (those its window
        read) where they cover it, else read. ``copies``: the tile pieces are copies, which do
        not keep the region and its inputs alive (not needed when the measures are taken at
        once: :meth:`RegionScan.add`)."""
        t0 = time.perf_counter()
        if self.source.lr_bands is not None:
            data = data[list(self.source.lr_bands)]
        r = self.model.scale
        key = self.key_of(rect)
        y0, x0, h, w = self.lr_rect(key)
        read = self.read_rect(key)
        inputs = inputs_within(window_inputs, read, r) if window_inputs is not None else None
        lr, hr = inputs if inputs is not None else self.read(read)
        a0, b0 = read[0], read[1]
        inner = (slice(None), slice(y0 - a0, y0 - a0 + h), slice(x0 - b0, x0 - b0 + w))
        inner_hr = (slice(None), slice((y0 - a0) * r, (y0 - a0 + h) * r),
                    slice((x0 - b0) * r, (x0 - b0 + w) * r))
        cross = judged_cross_residual(lr, hr, self.model)[inner]
        cross_sums = BandSums(cross.shape[0])
        cross_sums.add(cross)
        hsi_rgb, msi_rgb = self.rgb
        looks = {"lr": self._look(0, lr[hsi_rgb][inner], y0, x0),
                 "hr": self._look(1, hr[msi_rgb][inner_hr], y0 * r, x0 * r),
                 "fused": self._look(1, data[hsi_rgb], y0 * r, x0 * r)}
        tiles = []
        for k, tile in enumerate(self.tiles):
            fused = _piece(tile, rect, data, copies)
            if fused is None:
                continue
            lr_piece = _piece((tile[0] // r, tile[1] // r, tile[2] // r, tile[3] // r), read, lr, copies)
            hr_piece = _piece(tile, scaled_rect(read, r), hr, copies)
            assert lr_piece is not None and hr_piece is not None
            tiles.append((k, *fused, *lr_piece, *hr_piece))
        frames = self.frames(key)
        spectral: list[Optional[tuple[BandSums, np.ndarray]]] = [None] * len(self.geometries)
        if self.spectral:                  # bands first, row by row: no copy of a strided region
            integrated = torch.matmul(self.srf, torch.from_numpy(data).permute(1, 0, 2)).permute(1, 0, 2).numpy()
            for k, geometry in enumerate(self.geometries):
                residual = integrated - geometry.move(hr)[inner_hr]
                sums = BandSums(residual.shape[0])
                sums.add(residual)
                spectral[k] = (sums, noise_units(residual, self.noise.msi_normal))
        cross_units = noise_units(cross, cross_normal(self.noise, self.model))
        return RegionMeasures(key, (cross_sums, cross_units), looks, tiles, spectral,
                              self._blurred(data, frames),
                              np.ascontiguousarray(lr[self.bands][inner].transpose(1, 2, 0)),
                              time.perf_counter() - t0)

    def _look(self, which: int, image: np.ndarray, row0: int, col0: int) -> tuple[np.ndarray, int, int]:
        step = self.steps[which]
        i, j = every(row0, step), every(col0, step)
        return np.array(image[:, i::step, j::step]), (row0 + i) // step, (col0 + j) // step

    def _blurred(self, data: np.ndarray, frames: tuple[_Axis, _Axis]) -> list[np.ndarray]:
        """The region ``data``'s :attr:`bands` blurred and decimated by each candidate's PSF over
        the LR pixels its frame reaches, bands last. The frame is built a strip of
        :data:`STRIP_BYTES` at a time."""
        rows, cols = frames
        (kh, kw), r = self.model.psf.shape, self.model.scale
        width, bands = cols.length(kw, r), len(self.bands)
        outputs = rows.lr1 - rows.lr0
        step = max(1, STRIP_BYTES // (4 * r * width * bands))      # LR rows a strip gives
        blurred = [np.empty((outputs, cols.lr1 - cols.lr0, bands), np.float32) for _ in self.geometries]
        for i0 in range(0, outputs, step):
            i1 = min(outputs, i0 + step)
            frame = self._frame(data, frames, i0 * r, (i1 - 1) * r + kh)
            for weight, out in zip(self.weights, blurred):
                out[i0:i1] = F.conv2d(torch.from_numpy(frame).permute(2, 0, 1)[None], weight,
                                      stride=r, groups=bands)[0].permute(1, 2, 0).numpy()
        return blurred

    def _frame(self, data: np.ndarray, frames: tuple[_Axis, _Axis], lo: int, hi: int) -> np.ndarray:
        """Rows ``[lo, hi)`` of the region ``data`` (its :attr:`bands`) with the padded pixels it
        owns, in a zero frame over the LR pixels it reaches, bands last ``(hi - lo, cols, S)``."""
        rows, cols = frames
        (kh, kw), r = self.model.psf.shape, self.model.scale
        shape = (hi - lo, cols.length(kw, r), len(self.bands))
        memory = self._memory
        frame = memory[0].take(shape[0] * shape[1] * shape[2]).reshape(shape)
        for gap in rows.gaps(rows.length(kh, r)):
            top, bottom = max(gap.start, lo), min(gap.stop, hi)
            if bottom > top:
                frame[top - lo:bottom - lo].fill(0.0)
        for gap in cols.gaps(shape[1]):
            frame[:, gap].fill(0.0)
        for run in rows.runs:
            part = _clip(*run, lo, hi)
            if part is None:
                continue
            into_rows, from_rows = part
            for into_cols, from_cols in cols.runs:
                _bands_last(frame[into_rows, into_cols], data[:, from_rows, from_cols], self.bands, memory[1])
        return frame


class _Candidate:
    """The residuals of one candidate geometry, accumulated region by region."""

    def __init__(self, geometry: Geometry, lr_shape: tuple[int, int], scale: int, bands: tuple[int, int],
                 spectral: bool):
        rows, cols = lr_shape
        self.geometry = geometry
        self.partial: dict[Key, np.ndarray] = {}
        self.spatial_map = np.full((rows, cols), np.nan, np.float32)
        self.spectral_map = np.full((rows * scale, cols * scale) if spectral else (0, 0), np.nan, np.float32)
        self.spatial = BandSums(bands[0])
        self.spectral = BandSums(bands[1])


class RegionScan:
    """The report's scan of a scene, fed with the regions of the result as they are written.

    Args:
        source: the pair (:class:`~fusion_core.windows.source.Source`).
        grid: the run's :class:`~fusion_core.windows.layout.WindowGrid` (its cores are the regions).
        model: the degradation model of the run.
        noise: the inputs' noise levels.
        rgb: (HSI bands, MSI bands) shown as red, green and blue.
        spectral: whether to measure the spectral residual over the whole scene (else
            :attr:`SceneScan.spectral_units` is empty and its band RMS None).
        tiles: the HR rectangles of the report's tiles: the result over them is kept as
            :attr:`tile_values` ``[(C, rows, cols)]``, the inputs as :attr:`tile_inputs`
            (LR-HSI ``[(C, rows / r, cols / r)]``, HR-MSI ``[(M, rows, cols)]``).
        layout: the :class:`~.tiles.Tiles` whose :meth:`~.tiles.Tiles.rects` ``tiles`` are: the
            tiles are then kept in place in their mosaics (:attr:`mosaics`: LR-HSI, HR-MSI,
            result), which need no stitching (None: each tile apart, :attr:`mosaics` None).

    A region is measured (:attr:`measure`, a :class:`RegionMeasure`) and its measures added up
    (:meth:`take`): :meth:`add` does both here; on a Dask cluster the worker that writes a
    region measures it and this process only takes the measures.
    """

    def __init__(self, source, grid, model: DegradationModel, noise: NoiseLevels,
                 rgb: tuple[list[int], list[int]], tiles: list[Rect], spectral: bool = True,
                 layout: Optional[Tiles] = None):
        self.source, self.model, self.noise, self.rgb, self.tiles = source, model, noise, rgb, tiles
        self.seconds = 0.0
        r = model.scale
        rows, cols = source.lr_shape
        c, m = model.n_hsi_bands, model.n_msi_bands
        self.bounds = (list(grid.rows.bounds), list(grid.cols.bounds))
        self.measure = RegionMeasure(source, self.bounds, model, noise, rgb, tiles, spectral)
        self.bands = self.measure.bands
        self.spectral = spectral
        self.candidates = [_Candidate(g, (rows, cols), r, (len(self.bands), m), spectral)
                           for g in self.measure.geometries]
        self.steps = self.measure.steps
        self.cross_map = np.full((rows, cols), np.nan, np.float32)
        self.mosaics: Optional[tuple[np.ndarray, ...]] = None
        if layout is not None:
            rows_lr, cols_lr = layout.lr_pixels
            mosaics = tuple(np.full((bands, rows_lr * f, cols_lr * f), np.nan, np.float32)
                            for bands, f in ((c, 1), (m, r), (c, r)))
            lr_parts, hr_parts, self.tile_values = (layout.parts(mosaic, f)
                                                    for mosaic, f in zip(mosaics, (1, r, r)))
            self.mosaics = mosaics
            self.tile_inputs = (lr_parts, hr_parts)
        else:
            self.tile_values = [np.full((c, tile[2], tile[3]), np.nan, np.float32) for tile in tiles]
            self.tile_inputs = ([np.full((c, t[2] // r, t[3] // r), np.nan, np.float32) for t in tiles],
                                [np.full((m, t[2], t[3]), np.nan, np.float32) for t in tiles])
        self.cross = BandSums(m)
        self.looks = {name: np.full((3, -(-rows * f // step), -(-cols * f // step)), np.nan,
                                  np.float32)
                      for name, f, step in (("lr", 1, self.steps[0]), ("hr", r, self.steps[1]),
                                            ("fused", r, self.steps[1]))}
        self.waiting: dict[Key, int] = {}
        for key in self._keys():
            for block in self._reached(self.measure.frames(key)):
                self.waiting[block] = self.waiting.get(block, 0) + 1
        self.seen: set[Key] = set()
        self.handed: dict[Key, tuple[Rect, np.ndarray, np.ndarray]] = {}

    @property
    def complete(self) -> bool:
        """Whether every region of the scene was added."""
        return len(self.seen) == (len(self.bounds[0]) - 1) * (len(self.bounds[1]) - 1)

    def _keys(self):
        for i in range(len(self.bounds[0]) - 1):
            for j in range(len(self.bounds[1]) - 1):
                yield i, j

    def _reached(self, frames: tuple[_Axis, _Axis]) -> list[Key]:
        """The LR blocks a region's frames reach."""
        found = []
        for axis, bounds in zip(frames, self.bounds):
            first = bisect.bisect_right(bounds, axis.lr0) - 1
            last = bisect.bisect_left(bounds, axis.lr1) - 1
            found.append(range(first, last + 1))
        return [(i, j) for i in found[0] for j in found[1]]

    def keep(self, window: "Window", lr: np.ndarray, hr: np.ndarray) -> None:
        """Take the inputs a window read, ``lr`` over its ``lr_read`` and ``hr`` over its
        ``hr_read``, for the region it owns (:data:`~fusion_core.windows.task.KeepInputs`;
        called from the windows' threads)."""
        self.handed[window.key] = (window.lr_read, lr, hr)

    def add(self, rect: Rect, data: np.ndarray) -> None:
        """Take the written region at HR rectangle ``rect`` ``(row0, col0, rows, cols)``, its
        values ``(bands, rows, cols)`` (NaN: nodata; only the source's ``lr_bands`` are used)."""
        self.take(self.measure(rect, data, self.handed.pop(self.measure.key_of(rect), None), copies=False))

    def take(self, measures: RegionMeasures) -> None:
        """Add up a region's measures (:class:`RegionMeasure`, here or on a Dask worker)."""
        t0 = time.perf_counter()
        key = measures.key
        y0, x0, h, w = self.measure.lr_rect(key)
        sums, units = measures.cross
        self.cross.total += sums.total
        self.cross.count += sums.count
        self.cross_map[y0:y0 + h, x0:x0 + w] = units
        for name, (part, y, x) in measures.looks.items():
            self.looks[name][:, y:y + part.shape[1], x:x + part.shape[2]] = part
        for k, rect, fused, lr_rect, lr, hr_rect, hr in measures.tiles:
            tile, r = self.tiles[k], self.model.scale
            _keep(tile, self.tile_values[k], rect, fused)
            _keep((tile[0] // r, tile[1] // r, tile[2] // r, tile[3] // r), self.tile_inputs[0][k], lr_rect, lr)
            _keep(tile, self.tile_inputs[1][k], hr_rect, hr)
        frames = self.measure.frames(key)
        r = self.model.scale
        for candidate, spectral, blurred in zip(self.candidates, measures.spectral, measures.blurred):
            if spectral is not None:
                candidate.spectral.total += spectral[0].total
                candidate.spectral.count += spectral[0].count
                candidate.spectral_map[y0 * r:(y0 + h) * r, x0 * r:(x0 + w) * r] = spectral[1]
            self._spread(candidate, blurred, frames, key, measures.lr_own)
        for block in self._reached(frames):
            self.waiting[block] -= 1
            if not self.waiting[block]:
                for candidate in self.candidates:
                    self._finish(candidate, block)
        self.seen.add(key)
        self.seconds += measures.seconds + time.perf_counter() - t0

    def _spread(self, candidate: _Candidate, blurred: np.ndarray, frames: tuple[_Axis, _Axis],
                key: Key, lr_own: np.ndarray) -> None:
        """Add the region's frame ``blurred`` and decimated (bands last) to the LR blocks it
        reaches, and subtract the LR-HSI ``lr_own`` (bands last) from its own block."""
        rows, cols = frames
        own = self._partial(candidate, key)
        own -= lr_own
        for block in self._reached(frames):
            b0, c0, bh, bw = self.measure.lr_rect(block)
            top, left = max(b0, rows.lr0), max(c0, cols.lr0)
            bottom, right = min(b0 + bh, rows.lr1), min(c0 + bw, cols.lr1)
            self._partial(candidate, block)[top - b0:bottom - b0, left - c0:right - c0] += blurred[
                top - rows.lr0:bottom - rows.lr0, left - cols.lr0:right - cols.lr0]

    def _partial(self, candidate: _Candidate, block: Key) -> np.ndarray:
        """The partial sum of ``block``, bands last ``(rows, cols, C)`` (zeros when new)."""
        part = candidate.partial.get(block)
        if part is None:
            _, _, h, w = self.measure.lr_rect(block)
            part = candidate.partial[block] = np.zeros((h, w, len(self.bands)), np.float32)
        return part

    def _finish(self, candidate: _Candidate, block: Key) -> None:
        """Count and map a block whose spatial residual is final."""
        residual = candidate.partial.pop(block).transpose(2, 0, 1)
        candidate.spatial.add(residual)
        y0, x0, h, w = self.measure.lr_rect(block)
        candidate.spatial_map[y0:y0 + h, x0:x0 + w] = noise_units(residual, self.noise.hsi_normal[self.bands])

    def result(self, geometry: Geometry) -> SceneScan:
        """The scan of the whole scene in ``geometry`` (one of the model's candidates)."""
        chosen = next(c for c in self.candidates if c.geometry.name == geometry.name)
        return SceneScan(chosen.spatial_map, chosen.spectral_map, self.cross_map, chosen.spatial.rms(),
                         chosen.spectral.rms() if self.spectral else None, self.cross.rms(), self.bands,
                         dict(self.looks))
