"""Tests of fusion_core.sample: the built-in scene looks like a real reflectance image."""

import re

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.sample import MATERIALS, make_sample_scene, pixel_noise_std, spectral_library, write_sample


@pytest.fixture(scope="module")
def scene():
    return make_sample_scene()


def band(scene, nm: float) -> np.ndarray:
    """The band of ``scene`` closest to ``nm``."""
    return scene.cube[np.argmin(np.abs(scene.wavelengths_nm - nm))].astype(np.float64)


def test_shapes_bands_and_grid(scene):
    assert scene.cube.shape == (120, 120, 120) and scene.cube.dtype == np.float32
    wl = scene.wavelengths_nm
    assert 400 < wl[0] < 450 and 2400 < wl[-1] < 2500
    assert np.all(np.diff(wl) > 0) and np.all(scene.fwhm_nm > 0)
    assert all(re.fullmatch(r"B\d{3} \(\d+\.\d nm\)", n) for n in scene.band_names)
    assert scene.band_names[0] == f"B001 ({wl[0]:.1f} nm)"
    assert scene.grid.crs.to_epsg() == 32633
    assert scene.grid.pixel_size == (10.0, 10.0)
    assert (scene.grid.width, scene.grid.height) == (120, 120)
    assert 166_000 < scene.grid.transform.c < 834_000  # a valid UTM easting
    assert "EPSG:32633" in scene.description


def test_default_size_nests_for_common_ratios(scene):
    for r in (2, 3, 4, 5, 6, 8, 10, 12):
        assert scene.cube.shape[1] % r == 0 and scene.cube.shape[2] % r == 0


def test_size_and_band_count_follow_the_arguments():
    small = make_sample_scene(height=32, width=48, n_bands=30, seed=1)
    assert small.cube.shape == (30, 32, 48)
    assert (small.grid.width, small.grid.height) == (48, 32)
    assert len(small.band_names) == len(small.fwhm_nm) == 30


def test_values_are_finite_reflectance(scene):
    cube = scene.cube
    assert np.isfinite(cube).all()
    assert cube.min() >= 0.0 and cube.max() <= 1.0
    assert 0.3 < cube.max() < 0.8 and 0.05 < cube.mean() < 0.4


def test_library_spectra_have_their_physical_features():
    wl = np.arange(420.0, 2451.0, 5.0)
    lib = dict(zip(MATERIALS, spectral_library(wl)))
    at = lambda name, nm: lib[name][np.argmin(np.abs(wl - nm))]  # noqa: E731
    veg = "green vegetation"
    assert at(veg, 850) / at(veg, 670) > 8  # red edge
    assert at(veg, 550) > at(veg, 670) and at(veg, 550) > at(veg, 470)  # green peak
    assert at(veg, 1450) < 0.6 * at(veg, 1650) and at(veg, 1940) < 0.5 * at(veg, 2200)  # leaf water
    assert at("water", 850) < 0.01 < at("water", 500)
    assert at("red tile roof", 700) > 2 * at("red tile roof", 470)
    assert at("asphalt", 850) < 0.1
    assert all(((s >= 0) & (s <= 1)).all() for s in lib.values())


def test_scene_contains_vegetation_and_open_water(scene):
    red, nir, blue = band(scene, 665), band(scene, 850), band(scene, 490)
    ratio = nir / np.maximum(red, 1e-3)
    assert np.percentile(ratio, 90) > 4  # dense green crops and trees
    water = (nir < 0.02) & (blue > nir)
    assert 0.01 < water.mean() < 0.3  # a river and a lake, not the whole scene


def test_water_vapour_bands_are_dim_noisy_but_finite(scene):
    for absorbed, window in ((1395, 1650), (1890, 2200)):
        dim, clear = band(scene, absorbed), band(scene, window)
        assert np.median(dim) < 0.3 * np.median(clear)
        roughness = lambda b: np.std(np.diff(b, axis=1)) / b.mean()  # noqa: E731
        assert roughness(dim) > 2 * roughness(clear)


def test_spatial_structure_is_smooth_but_not_constant(scene):
    nir = band(scene, 850)
    across = np.corrcoef(nir[:, :-1].ravel(), nir[:, 1:].ravel())[0, 1]
    down = np.corrcoef(nir[:-1].ravel(), nir[1:].ravel())[0, 1]
    assert 0.7 < across < 0.99 and 0.7 < down < 0.99
    assert nir.std() > 0.05


def test_several_distinct_materials_are_mixed(scene):
    c, h, w = scene.cube.shape
    blocks = scene.cube.reshape(c, h // 2, 2, w // 2, 2).mean(axis=(2, 4)).reshape(c, -1)  # less noise
    sv = np.linalg.svd(blocks - blocks.mean(axis=1, keepdims=True), compute_uv=False)
    assert (sv > 0.02 * sv[0]).sum() >= 4


def test_same_seed_same_scene_other_seed_other_scene():
    a, b = make_sample_scene(48, 48, 20, seed=3), make_sample_scene(48, 48, 20, seed=3)
    np.testing.assert_array_equal(a.cube, b.cube)
    other = make_sample_scene(48, 48, 20, seed=4)
    assert np.abs(other.cube - a.cube).mean() > 0.01


def test_too_small_or_too_few_bands_is_refused():
    with pytest.raises(InputError, match="at least 16×16 pixels"):
        make_sample_scene(8, 120)
    with pytest.raises(InputError, match="at least 4 bands"):
        make_sample_scene(n_bands=2)


def test_written_geotiff_keeps_grid_and_spectral_metadata(tmp_path):
    scene = make_sample_scene(48, 48, 24, seed=2)
    path = tmp_path / "sample.tif"
    write_sample(path, scene)
    back = read_raster(path)
    np.testing.assert_array_equal(back.data, scene.cube)
    assert back.grid.crs.to_epsg() == 32633
    assert back.grid.transform.almost_equals(scene.grid.transform)
    assert back.band_names == scene.band_names
    np.testing.assert_allclose(back.wavelengths, scene.wavelengths_nm, atol=1e-3)
    np.testing.assert_allclose(back.fwhm, scene.fwhm_nm, atol=1e-3)


def test_the_noisiest_bands_jitter_from_pixel_to_pixel_as_pixel_noise_std_says(scene):
    """In the water-vapour bands the scene's own pixel noise outweighs its texture: the robust
    spread of neighbouring pixels' differences is the stated noise (what a score against the
    scene takes out, as the demo does)."""
    std = pixel_noise_std(scene.wavelengths_nm)
    noisiest = np.argsort(std)[-5:]
    steps = np.diff(scene.cube[noisiest], axis=2)
    spread = np.median(np.abs(steps - np.median(steps, axis=(1, 2), keepdims=True)), axis=(1, 2)) / 0.6745 / np.sqrt(2)
    np.testing.assert_allclose(spread, std[noisiest], rtol=0.1)
