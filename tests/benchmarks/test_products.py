"""The product-like pairs are what they claim: metadata, nodata, grids, CRS, and a truth on the
HR-MSI's pixels."""

import numpy as np
import pytest
import rasterio

from benchmarks.product_geometry import degrade_blocks, read_physical, true_psf
from benchmarks.products import S2_10M, S2_ORDER, tiny_products, tiny_truth
from fusion_core.srf import load_preset
from fusion_core.srf.resample import resample_srf


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return tiny_products(tmp_path_factory.mktemp("products"))


def _profile(path):
    with rasterio.open(path) as ds:
        return ds.profile, ds.scales[0], ds.offsets[0], ds.tags(1), ds.crs, ds.transform


def test_the_tidy_pair_has_an_lr_hsi_of_about_12_pixels_at_ratio_3(products):
    with rasterio.open(products["stack_10m_only"].lr_path) as lr, \
            rasterio.open(products["stack_10m_only"].hr_path) as hr:
        assert (lr.width, lr.height) == (12, 12)
        assert (hr.width, hr.height) == (36, 36)
        assert lr.transform.a == 3 * hr.transform.a == 30.0


def test_enmap_product_is_scaled_int16_with_a_20_to_30_percent_nodata_swath(products):
    p = products["enmap_int16_swath"]
    profile, scale, offset, tags, _, _ = _profile(p.lr_path)
    assert (profile["dtype"], profile["nodata"], scale, offset) == ("int16", -32768, 1e-4, 0.0)
    assert "wavelength" in tags and "fwhm" in tags
    with rasterio.open(p.lr_path) as ds:
        share = (ds.read(1) == -32768).mean()
    assert 0.20 <= share <= 0.30
    assert share == pytest.approx(p.lr_nodata_share)


def test_sentinel2_product_is_dn_with_the_l2a_offset_and_a_nodata_corner(products):
    p = products["s2_dn_offset"]
    profile, scale, offset, _, _, _ = _profile(p.hr_path)
    assert (profile["dtype"], profile["nodata"], scale, offset) == ("uint16", 0, 1e-4, -0.1)
    with rasterio.open(p.hr_path) as ds:
        dn = ds.read()
    assert (dn == 0).all(axis=0).any() and (dn[dn > 0] > 1000).mean() > 0.99
    assert np.isnan(read_physical(p.hr_path)[0][:, 0, 0]).all()  # the corner reads as nodata


def test_half_pixel_offset_puts_the_lr_grid_5_m_off_the_hr_grid(products):
    p = products["half_pixel_offset"]
    lr, hr = _profile(p.lr_path)[5], _profile(p.hr_path)[5]
    assert (lr.c - hr.c) % hr.a == pytest.approx(5.0)
    assert (hr.f - lr.f) % hr.a == pytest.approx(5.0)
    assert _profile(products["stack_10m_only"].lr_path)[5].c % 10.0 == pytest.approx(0.0)


def test_utm_neighbour_delivers_the_lr_hsi_in_the_adjacent_zone(products):
    lr_crs = _profile(products["utm_neighbour"].lr_path)[4]
    hr_crs = _profile(products["utm_neighbour"].hr_path)[4]
    assert lr_crs != hr_crs and abs(lr_crs.to_epsg() - hr_crs.to_epsg()) == 1


def test_larger_extent_msi_reaches_beyond_the_lr_hsi_which_reaches_beyond_it_on_one_side(products):
    with rasterio.open(products["larger_extent"].lr_path) as lr, \
            rasterio.open(products["larger_extent"].hr_path) as hr:
        a, b = lr.bounds, hr.bounds
    assert b.left < a.left and b.top > a.top and b.bottom < a.bottom
    assert a.right > b.right


def test_stack_20m_adds_the_six_20m_bands_in_sentinel2_order(products):
    with rasterio.open(products["stack_20m"].hr_path) as ds:
        assert [d.split(" (")[0] for d in ds.descriptions] == list(S2_ORDER)  # "B2 (492.4 nm)"
        stack = ds.read()
    with rasterio.open(products["stack_10m_only"].hr_path) as ds:
        ten = ds.read()
    np.testing.assert_array_equal(stack[[S2_ORDER.index(b) for b in S2_10M]], ten)


def test_no_wavelengths_and_misregistration(products):
    assert "wavelength" not in _profile(products["no_wavelengths"].lr_path)[3]
    moved = _profile(products["misregistered"].hr_path)[5]
    tidy = _profile(products["stack_10m_only"].hr_path)[5]
    assert np.hypot(moved.c - tidy.c, moved.f - tidy.f) / 30.0 == pytest.approx(1.3)


@pytest.mark.parametrize("variant", ["stack_10m_only", "s2_dn_offset", "misregistered", "all_at_once"])
def test_truth_lies_on_the_hr_msi_pixels(products, variant):
    """The truth file has the HR-MSI's grid, and integrated by the SRF it is the HR-MSI up to its
    45 dB noise there, not one pixel off."""
    p = products[variant]
    truth, truth_grid = read_physical(p.truth_path)
    msi, msi_grid = read_physical(p.hr_path)
    assert truth_grid == msi_grid
    truth_spec = tiny_truth()
    srf = resample_srf(load_preset("sentinel-2a").select(S2_10M), truth_spec.wavelengths, truth_spec.fwhm)
    sim = np.einsum("cm,chw->mhw", srf, truth)

    def misfit(a, b):
        ok = np.isfinite(a).all(0) & np.isfinite(b).all(0)
        return np.sqrt(((a - b)[:, ok] ** 2).mean() / (b[:, ok] ** 2).mean())

    assert misfit(msi, sim) < 0.01
    assert misfit(msi[:, :, 1:], sim[:, :, :-1]) > 3 * misfit(msi, sim)


def test_the_psf_is_centred_where_the_lr_pixels_lie():
    """A ramp seen through a PSF moved by half an HR pixel averages to the LR pixels' true centres."""
    cols = np.arange(40) + 0.5
    ramp = np.broadcast_to(cols, (1, 40, 40)).astype(np.float64)
    lr = degrade_blocks(ramp, (6, 6), (8, 8), true_psf(3, 3.0, (0.0, 0.5)), 3)
    np.testing.assert_allclose(lr[0, 0], 6.5 + 3 * np.arange(8) + 1.5, atol=1e-4)  # tails cut far out
    assert np.isnan(degrade_blocks(ramp, (0, 0), (2, 2), true_psf(3, 3.0, (0.0, 0.0)), 3)).all()
