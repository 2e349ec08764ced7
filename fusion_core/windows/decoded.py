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
one read per few rows. It lives as long as the run (:func:`decoded_copy`), and a run killed
before deleting it leaves it to the next run of the same output (which holds the output's lock).
"""

from __future__ import annotations

import shutil
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from ..io.pair import Rect
from .source import Source

__all__ = ["DecodedSource", "decoded_copy"]

#: Rows of a window read from the copy at a time (bounds the read buffer: 16 rows of a
#: 1000-column, 198-band image are 13 MB).
_CHUNK_BYTES = 16 * 2**20


class _RawRows:
    """A ``(bands, rows, cols)`` float32 image stored row after row, all bands of a row together,
    with the rows written so far."""

    def __init__(self, path: Path, bands: int, rows: int, cols: int):
        self.path, self.bands, self.rows, self.cols = path, bands, rows, cols
        self.row_bytes = bands * cols * 4
        self.done = np.zeros(rows, bool)
        self.file = open(path, "x+b", buffering=0)  # noqa: SIM115 - closed by close()
        self.lock = threading.Lock()  # one seek-and-transfer at a time (os.pread is not on Windows)

    def _transfer(self, offset: int, data: np.ndarray, write: bool) -> None:
        with self.lock:
            self.file.seek(offset)
            view = memoryview(data.data).cast("B")
            done = self.file.write(view) if write else self.file.readinto(view)
        if done != data.nbytes:
            raise OSError(f"{self.path}: {done} of {data.nbytes} bytes {'written' if write else 'read'}")

    def store(self, row0: int, data: np.ndarray) -> None:
        """Keep ``data`` ``(bands, n, cols)``, rows ``row0 …`` (those not kept yet)."""
        todo = np.flatnonzero(~self.done[row0:row0 + data.shape[1]])
        if todo.size == 0:
            return
        # from the first row missing to the last (a strip's overlap with the one before is kept
        # already: the scan goes down the scene; rows kept in between would be written again)
        first, last = int(todo[0]), int(todo[-1]) + 1
        rows = np.ascontiguousarray(data[:, first:last].transpose(1, 0, 2), dtype=np.float32)
        self._transfer((row0 + first) * self.row_bytes, rows, write=True)
        self.done[row0 + first:row0 + last] = True

    def holds(self, rect: Rect) -> bool:
        row0, col0, rows, cols = rect
        return (row0 >= 0 and col0 >= 0 and row0 + rows <= self.rows and col0 + cols <= self.cols
                and bool(self.done[row0:row0 + rows].all()))

    def read(self, rect: Rect) -> np.ndarray:
        """Pixels ``rect`` ``(row0, col0, rows, cols)``, ``(bands, rows, cols)``."""
        row0, col0, rows, cols = rect
        out = np.empty((self.bands, rows, cols), np.float32)
        step = max(1, _CHUNK_BYTES // self.row_bytes)
        buffer = np.empty((min(step, rows), self.bands, self.cols), np.float32)
        for a in range(0, rows, step):
            n = min(step, rows - a)
            view = buffer[:n]
            self._transfer((row0 + a) * self.row_bytes, view, write=False)
            out[:, a:a + n] = view[:, :, col0:col0 + cols].transpose(1, 0, 2)
        return out

    def close(self) -> None:
        """Delete the copy; later reads go to the wrapped source."""
        self.done[:] = False
        self.file.close()
        self.path.unlink(missing_ok=True)


class DecodedSource:
    """A :data:`~.source.Source` whose full-width reads (the scene scan's strips) are kept, and
    whose reads of rectangles already kept come from the copy; everything else is the wrapped
    source's. Copies with other bands, plan or sharpening are the wrapped source's (undecoded)."""

    def __init__(self, inner: Source, lr: _RawRows, hr: _RawRows):
        self.inner, self._lr, self._hr = inner, lr, hr

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return self._read(self._lr, self.inner.read_lr, rect, self.inner.lr_shape)

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return self._read(self._hr, self.inner.read_hr, rect, self.inner.hr_shape)

    @staticmethod
    def _read(copy: _RawRows, read, rect: Optional[Rect], shape: tuple[int, int]) -> np.ndarray:
        rect = rect if rect is not None else (0, 0, *shape)
        if copy.holds(rect):
            return copy.read(rect)
        data = read(rect)
        if rect[1] == 0 and rect[3] == shape[1] and 0 <= rect[0] and rect[0] + rect[2] <= shape[0]:
            copy.store(rect[0], data)
        return data


@contextmanager
def decoded_copy(source: Source, output: Path) -> Iterator[Source]:
    """``source`` as a :class:`DecodedSource` whose copy lies beside ``output`` for the block's
    length; ``source`` itself where the folder lacks the room (twice the copy's size free)."""
    stem = f".{output.name}.decoded-"
    for leftover in output.parent.glob(f"{stem}*"):  # a killed run's, of this output
        leftover.unlink(missing_ok=True)
    lr_bands = len(source.read_lr((0, 0, 1, 1)))
    hr_bands = len(source.read_hr((0, 0, 1, 1)))
    (rows, cols), (hr_rows, hr_cols) = source.lr_shape, source.hr_shape
    size = 4 * (lr_bands * rows * cols + hr_bands * hr_rows * hr_cols)
    if shutil.disk_usage(output.parent).free < 2 * size:
        yield source
        return
    token = uuid.uuid4().hex[:8]
    lr = _RawRows(output.with_name(f"{stem}{token}.lr"), lr_bands, rows, cols)
    try:
        hr = _RawRows(output.with_name(f"{stem}{token}.hr"), hr_bands, hr_rows, hr_cols)
    except BaseException:
        lr.close()
        raise
    try:
        yield DecodedSource(source, lr, hr)
    finally:
        lr.close()
        hr.close()
