"""The whole-scene scan: strips with a halo give what one pass over the whole image gives."""

import numpy as np

from fusion_core.measure.consistency import Geometry, input_noise, noise_units, spatial_residual
from fusion_core.report.scan import scan_scene
from fusion_core.windows.in_memory import ArraySource


def _scan(p, fused, budget):
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, p.model.scale)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)

    def read(rect):
        return fused[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]]

    return scan_scene(source, read, p.model, Geometry("HR-MSI's", p.model.psf), noise,
                      ([0, 1, 2], [0, 1, 2]), budget), noise


def test_strips_give_the_whole_image_residuals(pair):
    p = pair(size=64, snr_db=30)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    whole, noise = _scan(p, fused, 2 ** 30)
    strips, _ = _scan(p, fused, 1)                             # one LR row per strip
    for name in ("spatial_units", "spectral_units", "cross_units", "spatial_rms", "spectral_rms"):
        np.testing.assert_allclose(getattr(strips, name), getattr(whole, name), rtol=1e-5)
    bands = whole.spatial_bands                                 # the bands spread evenly
    direct = noise_units(spatial_residual(fused[bands], p.lr_hsi[bands], p.model.psf, 4), noise.hsi_normal[bands])
    np.testing.assert_allclose(whole.spatial_units, direct, rtol=1e-5)
    assert strips.quicklooks["fused"].shape == (3, 64, 64)
    np.testing.assert_array_equal(strips.quicklooks["lr"], whole.quicklooks["lr"])
