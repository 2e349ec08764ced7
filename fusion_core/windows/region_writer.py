"""Output regions written by Dask workers into the output file itself, each recorded once it is in.

On a Dask cluster every worker blends and writes the output regions it owns itself, on storage
all workers and the client share, so no fused pixel crosses the network to the client (a
3000² × 198 scene is 7.1 GB of float32). A worker has GDAL encode its region as a small tiled
GeoTIFF with the output's tile size, codec, predictor and data type, copies those bytes into the
output file at a range handed out to it alone (``reserve``: one range at a time for the whole
cluster, :class:`~fusion_core.windows.distributed.FileRanges`), deletes its own file, and writes
a record of where the tiles are, ``<output>.regions/r<i>_<j>.json``, atomically, once they are
in. The client points the output's tile directory at them at the end
(:class:`~.tiff_assembly.Assembly`). Why this store and not another:

* each region's pages in the page cache are the output's, once: region files kept until the
  client copied them into the output put 6 GB more through the page cache on the 3000² scene,
  fresh pages each (about 20 CPU-s of system time on two cores, measured); a region's own file
  deleted as soon as it is copied gives its pages to the next one;
* many writers need no coordination beyond the range each is handed, and a region is done only
  when its record exists, so a resumed run (here or on another host) knows what is done by
  listing the records, and a worker that dies leaves bytes nothing points at, which TIFF allows;
* the user still gets one GeoTIFF in the format asked for (a COG or overviews are then made
  from it as for any run); GDAL's Zarr driver would also take many writers, but GDAL 3.6 cannot
  turn a Zarr store into a GeoTIFF without decoding and encoding every pixel again (33 s more
  for the scene above on two cores, measured), and QGIS users expect a GeoTIFF.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
from affine import Affine

from ..io import RasterGrid
from ..io.output_format import OutputOptions
from .output import TiledOutput
from .state import Key
from .tiff_assembly import TiffLayout, read_layout

__all__ = ["Placed", "RegionWriter", "aligned_end"]

Rect = tuple[int, int, int, int]
_NAME = re.compile(r"^r(\d+)_(\d+)\.json$")
#: Ranges handed out start on a page: two writers never share one (on a network file system
#: a page written by two hosts is not safe).
_ALIGN = 4096


@dataclass(frozen=True)
class Placed:
    """A region's tiles in the output file: its HR rectangle ``rect`` and the layout they were
    encoded with, ``layout.offsets`` counted from the start of the output."""

    rect: Rect
    layout: TiffLayout


@dataclass(frozen=True)
class RegionWriter:
    """How a run's regions are written into its partial output ``path`` (the output's grid,
    band count, tile edge and encoding, as plain tiled GeoTIFF: overviews and COG are made once,
    at the end) and where their records go, ``folder``."""

    path: Path
    folder: Path
    grid: RasterGrid
    count: int
    tile: int
    options: OutputOptions

    @classmethod
    def of(cls, output: TiledOutput, folder: Path) -> "RegionWriter":
        """The writer of ``output``'s regions, recorded in ``folder``."""
        plain = replace(output.options, format="GTiff", overviews=False)
        return cls(Path(output.path), Path(folder), output.grid, output.count, output.tile, plain)

    def record(self, region: Key) -> Path:
        return self.folder / f"r{region[0]}_{region[1]}.json"

    def done(self) -> dict[Key, Placed]:
        """The regions placed in this partial output, from their records (records of another
        partial file, left by a run whose output was lost, do not count)."""
        if not self.folder.is_dir():
            return {}
        placed = {}
        for entry in os.scandir(self.folder):
            found = _NAME.match(entry.name)
            if not found:
                continue
            raw = json.loads(Path(entry.path).read_text(encoding="utf-8"))
            if raw["partial"] == self.path.name:
                key = (int(found.group(1)), int(found.group(2)))
                placed[key] = Placed(tuple(raw["rect"]), TiffLayout.from_dict(raw["layout"]))
        return placed

    def write(self, region: Key, rect: Rect, data: np.ndarray, reserve: Callable[[int], int]) -> Placed:
        """Encode region ``region`` (HR rectangle ``rect`` of the output, ``data`` its physical
        values, NaN for nodata) on one thread (a worker's task owns one), append it to the
        output in the range ``reserve(size)`` hands out, then record it; where its tiles are.

        GDAL encodes it into a file of its own beside the records, copied into the output (in
        the kernel where it can) and deleted at once, so its pages serve the next region:
        encoded in memory (``/vsimem/``), a region of 432² × 198 took 0.5 s of system time
        instead of 0.17, the buffer growing into fresh pages each time (measured)."""
        transform = self.grid.transform * Affine.translation(rect[1], rect[0])
        grid = RasterGrid(self.grid.crs, transform, rect[3], rect[2])
        part = TiledOutput(self.folder / f".r{region[0]}_{region[1]}-{uuid.uuid4().hex[:8]}.tif", grid,
                           self.count, self.tile, options=self.options, threads=1)
        try:
            part.open()
            part.write((0, 0, rect[2], rect[3]), data)
            part.flush()  # checked complete (GDAL reports a full disk on its console only)
            part.close()
            layout = read_layout(part.path)
            size = part.path.stat().st_size
            base = reserve(_on_pages(size))
            _copy(part.path, self.path, base, size)
        finally:
            part.discard()
        placed = Placed(rect, replace(layout, offsets=layout.offsets + np.uint64(base)))
        self._save(region, placed)
        return placed

    def _save(self, region: Key, placed: Placed) -> None:
        """Write ``region``'s record atomically: under a temporary name, renamed when complete
        (into the folder the run made before its first window: a task still running when its
        run was cancelled and cleaned up leaves nothing)."""
        raw = {"partial": self.path.name, "rect": list(placed.rect), "layout": placed.layout.to_dict()}
        target = self.record(region)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        temporary.write_text(json.dumps(raw), encoding="utf-8")
        os.replace(temporary, target)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _copy(source: Path, target: Path, at: int, size: int) -> None:
    """Copy the ``size`` bytes of ``source`` into ``target`` at byte ``at`` (in the kernel,
    ``copy_file_range``, where the platform and file system have it)."""
    with open(source, "rb") as src, open(target, "r+b") as dst:
        copied = 0
        if hasattr(os, "copy_file_range"):
            try:
                while copied < size:
                    n = os.copy_file_range(src.fileno(), dst.fileno(), size - copied,
                                           offset_src=copied, offset_dst=at + copied)
                    if n == 0:
                        break
                    copied += n
            except OSError:  # another file system, or none that supports it: copy in user space
                copied = 0
        src.seek(copied)
        dst.seek(at + copied)
        shutil.copyfileobj(src, dst, 2**24)


def aligned_end(path: str | os.PathLike) -> int:
    """Where the first range appended to ``path`` may start: its end, on a page."""
    return _on_pages(os.path.getsize(path))


def _on_pages(size: int) -> int:
    """``size`` bytes rounded up to whole pages."""
    return -(-size // _ALIGN) * _ALIGN

