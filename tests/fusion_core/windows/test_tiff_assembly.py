"""Tests of fusion_core.windows.tiff_assembly: region files written apart join into one GeoTIFF,
read back exactly, without decoding them; a region file of another layout is refused before the
output is touched."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from fusion_core.windows.tiff_assembly import Assembly, assemble, read_layout

PROFILE = dict(driver="GTiff", count=3, dtype="float32", tiled=True, blockxsize=64, blockysize=64,
               interleave="band", bigtiff="yes", sparse_ok=True, compress="zstd", nodata=float("nan"),
               crs="EPSG:32633")
ORIGIN = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4000000.0)


def _write(path: Path, data: np.ndarray, row0: int = 0, col0: int = 0, **changes) -> Path:
    profile = dict(PROFILE, width=data.shape[2], height=data.shape[1],
                   transform=ORIGIN * Affine.translation(col0, row0), **changes)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


def _empty_output(path: Path, shape: tuple[int, int, int]) -> Path:
    with rasterio.open(path, "w", **dict(PROFILE, width=shape[2], height=shape[1], transform=ORIGIN)) as ds:
        ds.descriptions = ("B1", "B2", "B3")
    return path


def _scene() -> np.ndarray:
    data = np.random.default_rng(0).normal(size=(3, 150, 200)).astype(np.float32)
    data[:, :64, :64] = np.nan  # one tile of nodata in every band: sparse in the region file
    return data


def test_regions_written_apart_join_into_the_scene_exactly(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    parts = []
    for row0 in (0, 128):
        for col0 in (0, 128):
            rows, cols = min(128, 150 - row0), min(128, 200 - col0)
            part = _write(tmp_path / f"r{row0}_{col0}.tif", data[:, row0:row0 + rows, col0:col0 + cols],
                          row0, col0)
            parts.append((part, (row0, col0, rows, cols)))
    placed = assemble(output, parts)
    with rasterio.open(output) as ds:
        np.testing.assert_array_equal(ds.read(), data)
        assert ds.descriptions == ("B1", "B2", "B3")
        assert ds.transform == ORIGIN
    tiles = 3 * 3 * 4  # bands × tile rows × tile columns
    assert placed == tiles - 3  # the nodata tile stays empty in each band
    assert read_layout(output).byte_counts.tolist().count(0) == 3


def test_regions_appended_as_they_come_are_pointed_at_only_when_the_assembly_finishes(tmp_path):
    # A run appends each region as its file is complete; until the end the output stays valid.
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    assembly = Assembly(output)
    assembly.add(_write(tmp_path / "left.tif", data[:, :, :128]), (0, 0, 150, 128))
    assert (tmp_path / "out.tif").stat().st_size > data[:, :, :128].nbytes / 2
    with rasterio.open(output) as ds:  # a run that dies here leaves an empty, readable output
        assert np.isnan(ds.read()).all()
    assembly.add(_write(tmp_path / "right.tif", data[:, :, 128:], 0, 128), (0, 128, 150, 72))
    assembly.finish()
    with rasterio.open(output) as ds:
        np.testing.assert_array_equal(ds.read(), data)


def test_a_region_file_of_another_codec_is_refused_and_the_output_left_as_it_was(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    before = output.read_bytes()
    good = _write(tmp_path / "a.tif", data[:, :128, :128])
    other = _write(tmp_path / "b.tif", data[:, :128, 128:], 0, 128, compress="deflate")
    with pytest.raises(ValueError, match="b.tif has tag 259"):
        assemble(output, [(good, (0, 0, 128, 128)), (other, (0, 128, 128, 72))])
    assert output.read_bytes() == before


def test_a_region_off_the_tile_grid_is_refused(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    part = _write(tmp_path / "a.tif", data[:, 10:74, :64], 10, 0)
    with pytest.raises(ValueError, match="does not fill whole output tiles"):
        assemble(output, [(part, (10, 0, 64, 64))])
