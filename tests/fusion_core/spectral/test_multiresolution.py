"""Recognising HR-MSI bands resampled from coarser pixels, whatever the resampling."""

import numpy as np
from scipy import ndimage

from fusion_core.spectral.multiresolution import block_factor, coarse_bands, fit_sharpening


def _scene(size: int = 64, bands: int = 6, seed: int = 0, blur: float = 0.5) -> np.ndarray:
    """Textured bands (noise smoothed by a Gaussian of ``blur`` pixels) with a little noise."""
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.standard_normal((3, size, size)), blur)
    mix = rng.uniform(0.2, 1.0, (bands, 3))
    return np.einsum("bk,khw->bhw", mix, base) + 0.01 * rng.standard_normal((bands, size, size))


def _nearest(band: np.ndarray, k: int, phase: int) -> np.ndarray:
    """``band`` as ``gdal_translate -tr`` gives it from k× coarser pixels whose grid starts
    ``phase`` pixels before the image: each block mean repeated k×k."""
    padded = np.pad(band, ((phase, k), (phase, k)), mode="edge")
    rows, cols = padded.shape[0] // k, padded.shape[1] // k
    means = padded[:rows * k, :cols * k].reshape(rows, k, cols, k).mean(axis=(1, 3))
    return np.kron(means, np.ones((k, k)))[phase:phase + band.shape[0], phase:phase + band.shape[1]]


def test_a_band_repeated_in_blocks_is_found_at_its_block_size_whatever_the_phase():
    band = _scene()[0]
    valid = np.ones(band.shape, bool)
    assert block_factor(band, valid) == 1
    assert block_factor(_nearest(band, 2, 1), valid) == 2
    assert block_factor(_nearest(band, 6, 4), valid) == 6


def test_nearest_stacked_bands_are_coarse_and_the_sharp_ones_stay_sharp():
    """Repeated blocks carry as much power at the finest scale as sharp bands: before, the
    spectral test took a sharp band for coarse beside them and missed the stacked ones."""
    hr = _scene()
    for b in (3, 4, 5):
        hr[b] = _nearest(hr[b], 2, 0)
    assert coarse_bands(hr) == {3: 2, 4: 2, 5: 2}


def test_interpolated_bands_are_coarse_with_their_block_size_left_to_the_fit():
    hr = _scene()
    means = hr[4].reshape(32, 2, 32, 2).mean(axis=(1, 3))
    hr[4] = ndimage.zoom(means, 2, order=3, grid_mode=True, mode="grid-mirror")
    assert coarse_bands(hr) == {4: None}


def test_a_readers_native_resolution_beats_detection():
    hr = _scene()
    assert coarse_bands(hr, known={1: 2}) == {1: 2}
    hr[2] = _nearest(hr[2], 2, 0)
    assert coarse_bands(hr, known={2: 1}) == {}          # said native: not judged


def test_the_detail_injection_restores_a_nearest_stacked_band():
    hr = _scene(seed=1, blur=1.0)
    sharp = hr[5].copy()
    hr[5] = _nearest(sharp, 2, 1)
    found = fit_sharpening(hr)
    assert found is not None and [(b.band, b.factor) for b in found.bands] == [(5, 2)]

    def error(x):
        return float(np.sqrt(np.mean((x - sharp)[4:-4, 4:-4] ** 2)))

    assert error(found.apply(hr)[5]) < 0.6 * error(hr[5])
