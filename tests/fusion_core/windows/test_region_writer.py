"""Tests of fusion_core.windows.region_writer: regions encoded apart are written once into the
output's partial file, each in its own range, and recorded; the records tell a resumed run what
is done, and pointed at, the output reads back exactly."""

import itertools

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

from fusion_core.io import RasterGrid, read_raster
from fusion_core.io.output_format import OutputOptions
from fusion_core.windows.output import TiledOutput
from fusion_core.windows.region_writer import RegionWriter, aligned_end
from fusion_core.windows.tiff_assembly import Assembly

GRID = RasterGrid(CRS.from_epsg(32633), Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4000000.0), 80, 72)
RECTS = {(0, 0): (0, 0, 48, 48), (0, 1): (0, 48, 48, 32), (1, 0): (48, 0, 24, 48), (1, 1): (48, 48, 24, 32)}


class Counter:
    """Hands out ranges one after the other, as the cluster's scheduler does."""

    def __init__(self, start: int):
        self.end, self.given = start, []

    def __call__(self, size: int) -> int:
        start, self.end = self.end, self.end + size
        self.given.append((start, size))
        return start


def _opened(tmp_path, options=None) -> TiledOutput:
    output = TiledOutput(tmp_path / "fused.tif", GRID, 5, 16, options=options)
    output.open()
    output.close()  # the workers write into it
    return output


def _scene() -> np.ndarray:
    data = np.random.default_rng(1).normal(size=(5, 72, 80)).astype(np.float32)
    data[:, 50:, :20] = np.nan
    return data


def test_regions_written_in_any_order_read_back_exactly_once_pointed_at(tmp_path):
    data = _scene()
    output = _opened(tmp_path)
    writer = RegionWriter.of(output, tmp_path / "fused.tif.regions")
    writer.folder.mkdir()
    ranges = Counter(aligned_end(output.path))
    for key in [(1, 1), (0, 0), (1, 0), (0, 1)]:
        y, x, h, w = RECTS[key]
        writer.write(key, RECTS[key], data[:, y:y + h, x:x + w], ranges)
    assert all(start % 4096 == 0 and size % 4096 == 0 for start, size in ranges.given)
    assert all(a[0] + a[1] <= b[0] for a, b in itertools.pairwise(ranges.given))  # no range overlaps another
    placed = writer.done()
    assert set(placed) == set(RECTS)
    assembly = Assembly(output.path)
    for key, where in placed.items():
        assembly.place(where.layout, where.rect, str(key))
    assembly.finish()
    with rasterio.open(output.path) as ds:
        np.testing.assert_array_equal(ds.read(), data)


def test_a_scaled_int16_region_is_placed_as_the_output_encodes_it(tmp_path):
    data = np.clip(_scene(), -3, 3)
    options = OutputOptions(dtype="int16", codec="DEFLATE").with_data_scale(3.0)
    output = _opened(tmp_path, options)
    writer = RegionWriter.of(output, tmp_path / "regions")
    writer.folder.mkdir()
    where = writer.write((0, 0), (0, 0, 72, 80), data, Counter(aligned_end(output.path)))
    assembly = Assembly(output.path)
    assembly.place(where.layout, where.rect, "r0_0")
    assembly.finish()
    with rasterio.open(output.path) as ds:
        assert ds.dtypes[0] == "int16"
    np.testing.assert_allclose(read_raster(output.path, "fused").data, data, atol=1e-3)


def test_records_of_another_partial_file_do_not_count(tmp_path):
    data = _scene()
    first = _opened(tmp_path)
    writer = RegionWriter.of(first, tmp_path / "regions")
    writer.folder.mkdir()
    writer.write((0, 0), RECTS[(0, 0)], data[:, :48, :48], Counter(aligned_end(first.path)))
    assert set(writer.done()) == {(0, 0)}
    second = _opened(tmp_path)  # the first partial file was lost: the run starts a new one
    assert RegionWriter.of(second, tmp_path / "regions").done() == {}


def test_a_task_still_running_after_its_run_was_cleaned_up_leaves_nothing(tmp_path):
    output = _opened(tmp_path)
    writer = RegionWriter.of(output, tmp_path / "regions")
    writer.folder.mkdir()
    writer.remove()
    with pytest.raises(OSError):  # no folder to write in
        writer.write((0, 0), RECTS[(0, 0)], _scene()[:, :48, :48], Counter(aligned_end(output.path)))
    assert not writer.folder.exists()
