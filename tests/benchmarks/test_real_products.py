"""The harness of REAL_PRODUCTS.md: refusals are reported, baselines see the true geometry,
scores count the valid area only."""

from dataclasses import replace

import numpy as np
import pytest

from benchmarks.product_geometry import read_physical, true_psf
from benchmarks.products import tiny_products
from benchmarks.real_products import bicubic, ridge_true, run_plugin, score


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return tiny_products(tmp_path_factory.mktemp("products"),
                         ["half_pixel_offset", "utm_neighbour", "enmap_int16_swath"])


def _psnr(product, estimate):
    truth, _ = read_physical(product.truth_path)
    return score(truth, estimate, product.score_mask, product.scale)["PSNR"]


def test_a_refused_run_is_reported_with_its_message(tmp_path):
    outcome = run_plugin(tmp_path / "missing_lr.tif", tmp_path / "missing_hr.tif", tmp_path / "out.tif")
    assert outcome.output is None
    assert outcome.refused.startswith("refused: lr_hsi (") and "missing_lr.tif) does not exist" in outcome.refused


def test_ridge_is_given_the_psf_centred_where_the_lr_pixels_lie(products):
    """On the half-pixel grid, the ridge with the true (offset) PSF beats the same ridge with a PSF
    centred on the blocks, and both beat bicubic."""
    p = products["half_pixel_offset"]
    centred = replace(p, psf=true_psf(3, 3.0, (0.0, 0.0)))
    _, grid = read_physical(p.truth_path)
    assert _psnr(p, ridge_true(p)) > _psnr(centred, ridge_true(centred)) + 2.0
    assert _psnr(centred, ridge_true(centred)) > _psnr(p, bicubic(p, grid)) + 5.0


@pytest.mark.parametrize("variant", ["utm_neighbour", "enmap_int16_swath"])
def test_baselines_run_on_products_with_nodata_and_another_crs(products, variant):
    p = products[variant]
    _, grid = read_physical(p.truth_path)
    assert _psnr(p, ridge_true(p)) > _psnr(p, bicubic(p, grid)) + 3.0


def test_scores_count_only_the_valid_area_and_say_how_much_was_covered(products):
    p = products["enmap_int16_swath"]
    truth, _ = read_physical(p.truth_path)
    estimate = np.where(p.score_mask, truth, 0.0)
    assert score(truth, estimate, p.score_mask, 3)["PSNR"] == np.inf
    holes = estimate.copy()
    holes[:, p.score_mask.nonzero()[0][0]] = np.nan
    assert 0.5 < score(truth, holes, p.score_mask, 3)["covered"] < 1.0
