"""A whole run on products as delivered: an EnMAP L2A ZIP and a Sentinel-2 L2A SAFE ZIP, given to
the command line as downloaded, with default parameters."""

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from benchmarks.delivered import SCALE, Scene, _enmap, _safe, bicubic, regions, simulate
from benchmarks.products import tiny_truth
from benchmarks.real_products import score
from fusion_core.cli import main
from fusion_core.io import read_raster


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> tuple[Scene, Path, Path]:
    folder = tmp_path_factory.mktemp("delivered")
    scene = simulate(tiny_truth(96, 40))
    return scene, _enmap(scene, folder / "lr"), _safe(scene, folder / "hr")


@pytest.fixture(scope="module")
def fused(delivered, tmp_path_factory) -> tuple[np.ndarray, str]:
    scene, lr, hr = delivered
    out = tmp_path_factory.mktemp("fused") / "fused.tif"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["fuse", str(lr), str(hr), str(out)]) == 0
    return read_raster(out).data, err.getvalue()


def test_the_zips_fuse_onto_the_sentinel2_grid_with_the_enmap_bands(delivered, fused):
    scene, _, _ = delivered
    data, _ = fused
    assert data.shape == (scene.lr.shape[0], scene.msi_grid.height, scene.msi_grid.width)


def test_the_log_names_both_products_their_dates_and_masks(fused):
    _, log = fused
    assert "EnMAP L2A; acquired 2022-07-24T10:31:05Z" in log
    assert "Sentinel-2 L2A; acquired 2022-07-25T10:20:31Z" in log
    assert "QL_QUALITY_CLOUD" in log and "SCL classes" in log


def test_under_the_enmap_cloud_the_result_is_nodata(delivered, fused):
    scene, _, _ = delivered
    data, _ = fused
    under = regions(scene)["under the LR-HSI's cloud"]
    assert np.isnan(data[:, under]).all()


def test_clear_pixels_beat_bicubic(delivered, fused):
    scene, lr, _ = delivered
    data, _ = fused
    clear = regions(scene)["clear"]
    ours = score(scene.truth, data, clear, SCALE)
    assert ours["covered"] == 1.0
    assert ours["PSNR"] > score(scene.truth, bicubic(str(lr), scene.msi_grid), clear, SCALE)["PSNR"]


def test_under_the_sentinel2_cloud_the_result_follows_the_enmap_image(delivered, fused):
    scene, lr, _ = delivered
    data, _ = fused
    under = regions(scene)["under the HR-MSI's cloud"]
    ours = score(scene.truth, data, under, SCALE)
    assert ours["covered"] == 1.0
    assert ours["PSNR"] >= score(scene.truth, bicubic(str(lr), scene.msi_grid), under, SCALE)["PSNR"] - 0.5
