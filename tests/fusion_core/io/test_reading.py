"""Tests of fusion_core.io.reading: damaged files are named with the block GDAL failed on,
reading never writes anything beside the inputs, and a run's reads share open datasets."""

import threading

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from fusion_core.errors import InputError
from fusion_core.io import empty_bands, read_raster, read_raster_info
from fusion_core.io.reading import kept_open, open_raster


def test_a_truncated_geotiff_is_named_with_its_block_and_a_fix(tmp_path, dn):
    path = tmp_path / "cut.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=2, dtype="int16",
                       crs="EPSG:32633", transform=rasterio.Affine(30, 0, 0, 0, -30, 0),
                       tiled=True, blockxsize=16, blockysize=16, compress="deflate") as dst:
        dst.write(dn(2, height=64, width=64))
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size * 2 // 3)
    read_raster_info(path, "LR-HSI")  # the header is intact: the damage shows on read
    with pytest.raises(InputError, match=r"The LR-HSI raster .*cut\.tif cannot be read at band 1, "
                                         r"block \d+ across and \d+ down: GDAL says .*truncated or "
                                         r"corrupt: download or export it again"):
        read_raster(path, "LR-HSI")
    with pytest.raises(InputError, match=r"cut\.tif cannot be read"):
        empty_bands(path, "LR-HSI")


def test_reading_leaves_the_input_folder_unchanged(tmp_path, product, dn):
    stored = dn(3, dtype=np.uint16)
    stored[:, 0] = 0
    mask = np.ones(stored.shape[1:], bool)
    mask[2] = False
    product(tmp_path / "masked.tif", stored, nodata=0, scales=[1e-4] * 3, mask=mask,
            internal_mask=False)
    product(tmp_path / "rgba.tif", stored, alpha=np.full(stored.shape[1:], 65535, np.uint16))
    (tmp_path / "rgba.hdr").write_text("ENVI\nwavelength = {450, 550, 650}\n")
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    for name in ("masked.tif", "rgba.tif"):
        path = tmp_path / name
        read_raster_info(path)
        read_raster(path)
        read_raster(path, window=Window(2, 2, 5, 5))
        read_raster(path, out_shape=(3, 4))
        empty_bands(path)
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert after == before


def test_inside_kept_open_every_thread_reads_one_dataset_per_file_closed_when_the_block_ends(tmp_path, product, dn):
    path = product(tmp_path / "a.tif", dn(2))
    seen = []

    def read() -> None:
        with open_raster(path, "LR-HSI") as ds:
            seen.append(ds)
        read_raster(path, window=Window(0, 0, 4, 4))

    with kept_open():
        threads = [threading.Thread(target=read) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open_raster(path, "LR-HSI") as ds:
            assert all(s is ds for s in seen) and not ds.closed
    assert ds.closed
    with open_raster(path, "LR-HSI") as fresh:  # outside the block: opened and closed as before
        assert fresh is not ds
    assert fresh.closed


def test_a_file_replaced_inside_kept_open_is_opened_again(tmp_path, product, dn):
    path = product(tmp_path / "a.tif", dn(2))
    with kept_open():
        with open_raster(path, "LR-HSI") as first:
            pass
        product(path, dn(3, width=20))
        with open_raster(path, "LR-HSI") as second:
            assert second is not first and second.count == 3
