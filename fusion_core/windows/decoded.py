"""The inputs decoded once: the scene scan's strips kept raw for the windows to read.

The scan (:func:`fusion_core.measure.scene_pass.scan_scene`) reads every pixel of both inputs
before the windows are fused; then each window read them again and decoded the compressed
tiles under its halo that its neighbours decode too (GDAL's block cache does not keep them: the
output's tiles pass through it between two windows). Here the scan's strips are kept as they
were read (float32 physical values, NaN for nodata, the bands used, the HR-MSI's sharpening
applied) in a raw scratch file beside the output, and the windows copy their rectangles from it:
a read from the page cache instead of decoding. On the 3000² benchmark scene (1.2 GB decoded)
the 36 windows' reads took 9.1 CPU-s decoding and 1.3 from the copy; the scan 11.8 before and
8.0 with the copy written and its datasets kept open (:func:`~fusion_core.io.reading.kept_open`).

The copy is rows of all bands (band-interleaved by line), so a strip is one write and a window
one read per few rows. Its objects are small and picklable, and every transfer opens the file,
so any process that sees it may use it: in this process, and on Dask workers of this machine,
whose scan tasks write the strips and whose windows read them (on the embedded cluster the 3000²
scene's windows took 72.5 instead of 85 CPU-s). Workers on other machines decode the inputs
themselves: the copy would travel through shared storage, which costs no less than decoding.
The copy lives as long as the run (:func:`decoded_copy`); a run killed before
deleting it leaves it to the next run of the same output (which holds the output's lock).
"""

from __future__ import annotations

import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from ..io.pair import Rect
from .source import Source

__all__ = ["RawRows", "DecodedSource", "DecodedCopy", "decoded_copy"]

#: Bytes of rows a window reads from the copy at a time (its buffer: 16 rows of a
#: 1000-column, 198-band image are 13 MB).
_CHUNK_BYTES = 16 * 2**20


@dataclass(frozen=True)
class RawRows:
    """A ``(bands, rows, cols)`` float32 image in a file, row after row, all bands of a row
    together. Each transfer opens the file, so any process that sees it may use it."""

    path: str
    bands: int
    rows: int
    cols: int

    @property
    def row_bytes(self) -> int:
        return self.bands * self.cols * 4

    def create(self) -> None:
        """Make the file at its full size (strips written by several processes at their offsets)."""
        with open(self.path, "xb") as f:
            f.truncate(self.rows * self.row_bytes)

    def store(self, row0: int, data: np.ndarray) -> None:
        """Keep ``data`` ``(bands, n, cols)`` as rows ``row0 …``."""
        rows = np.ascontiguousarray(data.transpose(1, 0, 2), dtype=np.float32)
        with open(self.path, "r+b", buffering=0) as f:
            f.seek(row0 * self.row_bytes)
            _transfer(f.write, rows, self.path)

    def holds(self, rect: Rect) -> bool:
        row0, col0, rows, cols = rect
        return row0 >= 0 and col0 >= 0 and row0 + rows <= self.rows and col0 + cols <= self.cols

    def read(self, rect: Rect) -> np.ndarray:
        """Pixels ``rect`` ``(row0, col0, rows, cols)``, ``(bands, rows, cols)``."""
        row0, col0, rows, cols = rect
        out = np.empty((self.bands, rows, cols), np.float32)
        step = max(1, _CHUNK_BYTES // self.row_bytes)
        buffer = np.empty((min(step, rows), self.bands, self.cols), np.float32)
        with open(self.path, "rb", buffering=0) as f:
            f.seek(row0 * self.row_bytes)
            for a in range(0, rows, step):
                view = buffer[:min(step, rows - a)]
                _transfer(f.readinto, view, self.path)
                out[:, a:a + len(view)] = view[:, :, col0:col0 + cols].transpose(1, 0, 2)
        return out


def _transfer(move, data: np.ndarray, path: str) -> None:
    done = move(memoryview(data.data).cast("B"))
    if done != data.nbytes:
        raise OSError(f"{path}: {done} of {data.nbytes} bytes transferred")


@dataclass(frozen=True)
class DecodedSource:
    """A :data:`~.source.Source` over the copies ``lr`` and ``hr``: while ``recording`` (the
    scan), full-width reads of the wrapped source are kept; otherwise (the windows) reads come
    from the copies wherever they lie inside them. Everything else is the wrapped source's
    (copies with other bands, plan or sharpening are the wrapped source's, undecoded)."""

    inner: Source
    lr: RawRows
    hr: RawRows
    recording: bool

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("inner", "lr", "hr", "recording"):
            raise AttributeError(name)  # not set yet: unpickling
        return getattr(self.inner, name)

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return self._read(self.lr, self.inner.read_lr, rect, self.inner.lr_shape)

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return self._read(self.hr, self.inner.read_hr, rect, self.inner.hr_shape)

    def _read(self, copy: RawRows, read, rect: Optional[Rect], shape: tuple[int, int]) -> np.ndarray:
        rect = rect if rect is not None else (0, 0, *shape)
        if not self.recording and copy.holds(rect):
            return copy.read(rect)
        data = read(rect)
        if self.recording and rect[1] == 0 and rect[3] == shape[1] and copy.holds(rect):
            copy.store(rect[0], data)
        return data


@dataclass(frozen=True)
class DecodedCopy:
    """The source the scan reads through (``recording``) and, once it has read every row, the
    source the windows read (``reading``)."""

    recording: Source
    reading: Source


def free_bytes(folder: Path) -> int:
    """Free space on ``folder``'s disk."""
    return shutil.disk_usage(folder).free


@contextmanager
def decoded_copy(source: Source, output: Path, output_bytes: int) -> Iterator[DecodedCopy]:
    """The copies of ``source``'s inputs beside ``output``, for the block's length; none (both
    sources ``source`` itself) where the folder lacks room for them beside ``output_bytes``
    (the output's size uncompressed) and as much again."""
    stem = f".{output.name}.decoded-"
    for leftover in output.parent.glob(f"{stem}*"):  # a killed run's, of this output
        leftover.unlink(missing_ok=True)
    (rows, cols), (hr_rows, hr_cols) = source.lr_shape, source.hr_shape
    token = uuid.uuid4().hex[:8]
    lr = RawRows(str(output.with_name(f"{stem}{token}.lr")), len(source.read_lr((0, 0, 1, 1))), rows, cols)
    hr = RawRows(str(output.with_name(f"{stem}{token}.hr")), len(source.read_hr((0, 0, 1, 1))), hr_rows, hr_cols)
    size = lr.rows * lr.row_bytes + hr.rows * hr.row_bytes
    if free_bytes(output.parent) < 2 * size + output_bytes:
        yield DecodedCopy(source, source)
        return
    try:
        lr.create()
        hr.create()
        yield DecodedCopy(DecodedSource(source, lr, hr, True), DecodedSource(source, lr, hr, False))
    finally:
        for copy in (lr, hr):
            Path(copy.path).unlink(missing_ok=True)
