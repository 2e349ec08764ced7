"""Tests of fusion_core.windows.tiff_assembly: regions encoded apart and placed in one GeoTIFF's
file are read back exactly once its directory points at them, without decoding them; a region
of another layout is refused before the directory changes."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from fusion_core.windows.tiff_assembly import Assembly, TiffLayout, read_layout

PROFILE = dict(driver="GTiff", count=3, dtype="float32", tiled=True, blockxsize=64, blockysize=64,
               interleave="band", bigtiff="yes", sparse_ok=True, compress="zstd", nodata=float("nan"),
               crs="EPSG:32633")
ORIGIN = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4000000.0)


def _encoded(path: Path, data: np.ndarray, row0: int = 0, col0: int = 0, **changes) -> Path:
    """A region's GeoTIFF, as a worker encodes it."""
    profile = dict(PROFILE, width=data.shape[2], height=data.shape[1],
                   transform=ORIGIN * Affine.translation(col0, row0), **changes)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


def _placed(output: Path, encoded: Path) -> TiffLayout:
    """Append ``encoded`` to ``output`` as a worker writes it; its layout, offsets in ``output``."""
    with open(output, "ab") as f:
        base = f.tell()
        f.write(encoded.read_bytes())
    layout = read_layout(encoded)
    return TiffLayout(layout.tags, {}, layout.offsets + np.uint64(base), layout.byte_counts)


def _empty_output(path: Path, shape: tuple[int, int, int]) -> Path:
    with rasterio.open(path, "w", **dict(PROFILE, width=shape[2], height=shape[1], transform=ORIGIN)) as ds:
        ds.descriptions = ("B1", "B2", "B3")
    return path


def _scene() -> np.ndarray:
    data = np.random.default_rng(0).normal(size=(3, 150, 200)).astype(np.float32)
    data[:, :64, :64] = np.nan  # one tile of nodata in every band: sparse in the region's file
    return data


def test_a_layout_is_the_same_after_a_regions_record_keeps_it(tmp_path):
    layout = read_layout(_encoded(tmp_path / "a.tif", _scene()))
    again = TiffLayout.from_dict(layout.to_dict())
    assert again.tags == layout.tags and again.shape == (3, 150, 200)
    assert again.offsets.tolist() == layout.offsets.tolist()
    assert again.byte_counts.tolist() == layout.byte_counts.tolist()


def test_regions_placed_apart_join_into_the_scene_exactly(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    assembly = Assembly(output)
    for row0 in (0, 128):
        for col0 in (0, 128):
            rows, cols = min(128, 150 - row0), min(128, 200 - col0)
            part = data[:, row0:row0 + rows, col0:col0 + cols]
            layout = _placed(output, _encoded(tmp_path / f"r{row0}_{col0}.tif", part, row0, col0))
            assembly.place(layout, (row0, col0, rows, cols), f"r{row0}_{col0}")
    assert assembly.finish() == 3 * 3 * 4 - 3  # bands × tile rows × columns; the nodata tile stays empty
    with rasterio.open(output) as ds:
        np.testing.assert_array_equal(ds.read(), data)
        assert ds.descriptions == ("B1", "B2", "B3")
        assert ds.transform == ORIGIN
    assert read_layout(output).byte_counts.tolist().count(0) == 3


def test_placed_tiles_are_pointed_at_only_when_the_assembly_finishes(tmp_path):
    # Workers place each region as it is done; until the end the output stays valid.
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    assembly = Assembly(output)
    left = _placed(output, _encoded(tmp_path / "left.tif", data[:, :, :128]))
    assembly.place(left, (0, 0, 150, 128), "left")
    with rasterio.open(output) as ds:  # a run that dies here leaves an empty, readable output
        assert np.isnan(ds.read()).all()
    right = _placed(output, _encoded(tmp_path / "right.tif", data[:, :, 128:], 0, 128))
    assembly.place(right, (0, 128, 150, 72), "right")
    assembly.finish()
    with rasterio.open(output) as ds:
        np.testing.assert_array_equal(ds.read(), data)


def test_a_region_of_another_codec_is_refused_and_the_directory_left_as_it_was(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    directory = read_layout(output)
    other = _placed(output, _encoded(tmp_path / "b.tif", data[:, :128, 128:], 0, 128, compress="deflate"))
    with pytest.raises(ValueError, match="region b has tag 259"):
        Assembly(output).place(other, (0, 128, 128, 72), "b")
    assert read_layout(output).offsets.tolist() == directory.offsets.tolist()


def test_a_region_off_the_tile_grid_is_refused(tmp_path):
    data = _scene()
    output = _empty_output(tmp_path / "out.tif", data.shape)
    part = _placed(output, _encoded(tmp_path / "a.tif", data[:, 10:74, :64], 10, 0))
    with pytest.raises(ValueError, match="does not fill whole output tiles"):
        Assembly(output).place(part, (10, 0, 64, 64), "a")
