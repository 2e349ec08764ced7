"""Output regions written by Dask workers: one GeoTIFF per region beside the output, joined as each is complete.

On a Dask cluster every worker blends and writes the output regions it owns itself, to storage
all workers and the client share, so no fused pixel crosses the network to the client (a
3000² × 198 scene is 7.1 GB of float32). The store is one small GeoTIFF per output core region,
``<output>.regions/r<i>_<j>.tif``, each written atomically (under a temporary name, renamed when
complete and checked), with the output's tile size, codec, predictor and data type. Why this
store and not another:

* many writers need no coordination: each region is its own file, and a file is there only
  when complete, so a resumed run (here or on another host) knows what is done by listing the
  folder, and a worker that dies leaves nothing half-written;
* the user still gets one GeoTIFF in the format asked for, at almost no cost: the regions' tiles
  are already compressed as the output wants them, so :class:`~.tiff_assembly.Assembly` appends
  them to the output and points its tile directory at them (no decoding, no re-encoding; a COG
  or overviews are then made from that file as for any run);
* GDAL's Zarr driver would also take many writers, but GDAL 3.6 cannot turn a Zarr store into
  a GeoTIFF without decoding and encoding every pixel again (33 s more for the scene above on
  two cores, measured), and QGIS users expect a GeoTIFF.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from affine import Affine

from ..io import RasterGrid
from ..io.output_format import OutputOptions
from .output import TiledOutput
from .state import Key

__all__ = ["RegionFiles"]

_NAME = re.compile(r"^r(\d+)_(\d+)\.tif$")


@dataclass(frozen=True)
class RegionFiles:
    """Where and how a run's regions are written: ``folder``, the output's grid, band count, tile
    edge and encoding (as plain tiled GeoTIFF: overviews and COG are made once, at the end)."""

    folder: Path
    grid: RasterGrid
    count: int
    tile: int
    options: OutputOptions

    @classmethod
    def of(cls, output: TiledOutput, folder: Path) -> "RegionFiles":
        """The region files of ``output``, in ``folder``."""
        plain = replace(output.options, format="GTiff", overviews=False)
        return cls(Path(folder), output.grid, output.count, output.tile, plain)

    def path(self, region: Key) -> Path:
        return self.folder / f"r{region[0]}_{region[1]}.tif"

    def done(self) -> set[Key]:
        """The regions whose file is complete (a temporary file is not one)."""
        if not self.folder.is_dir():
            return set()
        found = (_NAME.match(entry.name) for entry in os.scandir(self.folder))
        return {(int(m.group(1)), int(m.group(2))) for m in found if m}

    def write(self, region: Key, rect: tuple[int, int, int, int], data: np.ndarray) -> Path:
        """Write region ``region`` (HR rectangle ``rect`` of the output, ``data`` its physical
        values, NaN for nodata) as its file, compressed on one thread (a worker's task owns
        one); returns the file's path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        transform = self.grid.transform * Affine.translation(rect[1], rect[0])
        grid = RasterGrid(self.grid.crs, transform, rect[3], rect[2])
        target = self.path(region)
        out = TiledOutput(target, grid, self.count, self.tile, options=self.options, threads=1)
        try:
            out.open()
            out.write((0, 0, rect[2], rect[3]), data)
            out.finish()
        except BaseException:
            out.discard()
            raise
        return target

    def read(self, region: Key) -> np.ndarray:
        """The physical values of a written region, float32 ``(C, rows, cols)``, NaN for nodata."""
        from ..io import read_raster

        return read_raster(self.path(region), "region file").data

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
