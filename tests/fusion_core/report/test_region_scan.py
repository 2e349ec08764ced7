"""The scan fed region by region while the result is written gives what reading it back gives."""

import json

import numpy as np
import pytest

from fusion_core import FusionRequest, fuse_arrays
from fusion_core.degradation import sensor_psf
from fusion_core.report import assemble
from fusion_core.report.consistency import input_noise, model_geometry, spatial_residual
from fusion_core.report.region_scan import RegionScan
from fusion_core.report.scan import scan_scene
from fusion_core.windows.in_memory import ArraySource
from fusion_core.windows.layout import WindowGrid

RGB = ([0, 1, 2], [0, 1, 2])
FIELDS = ("spatial_units", "spectral_units", "cross_units", "spatial_rms", "spectral_rms", "cross_rms")


def _cut(image, rect):
    return image[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]]


@pytest.mark.parametrize("core", [5, 3, 16])     # uneven cores (a last one thinner than the PSF's
@pytest.mark.parametrize("off_centre", [False, True])  # reach), one region; one or two geometries
def test_regions_in_any_order_give_the_scan_of_the_whole_result(pair, core, off_centre):
    psf = np.roll(np.pad(sensor_psf(4, 4.0), 2), 1, axis=1) if off_centre else None
    p = pair(size=64, snr_db=30, psf=psf)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    grid = WindowGrid.build(16, 16, 4, core, 2, 2)
    regions = RegionScan(source, grid, p.model, noise, RGB, (8, 20, 40, 36))
    keys = [(i, j) for i in range(grid.shape[0]) for j in range(grid.shape[1])]
    np.random.default_rng(1).shuffle(keys)
    for key in keys:
        assert not regions.complete
        regions.add(grid.region(*key), _cut(fused, grid.region(*key)))
    assert regions.complete
    np.testing.assert_array_equal(regions.crop_values, fused[:, 8:48, 20:56])
    geometries = model_geometry(p.model)
    assert len(geometries) == (2 if off_centre else 1)
    for geometry in geometries:
        whole = scan_scene(source, lambda rect: _cut(fused, rect), p.model, geometry, noise, RGB, 2 ** 30)
        streamed = regions.result(geometry)
        for name in FIELDS:
            np.testing.assert_allclose(getattr(streamed, name), getattr(whole, name), rtol=2e-5,
                                       err_msg=f"{geometry.name} {name}")
        for name, look in whole.quicklooks.items():
            np.testing.assert_array_equal(streamed.quicklooks[name], look)


def test_a_run_with_several_windows_reports_the_whole_image_residuals(pair, tmp_path, monkeypatch):
    def no_reading_back(*args, **kwargs):
        raise AssertionError("the result was read back")

    monkeypatch.setattr(assemble, "scan_scene", no_reading_back)
    p = pair(size=96, snr_db=35)
    result = fuse_arrays(FusionRequest(window_size=32, report=str(tmp_path / "r.html")),
                         p.lr_hsi, p.hr_msi, model=p.model, wavelengths=p.model.hsi_wavelengths)
    facts = json.loads((tmp_path / "r.json").read_text())
    assert facts["consistency"]["geometry"] == "HR-MSI's"
    residual = spatial_residual(result.fused, p.lr_hsi, p.model.psf, 4)
    rms = np.sqrt(np.mean(np.square(residual, dtype=np.float64), axis=(1, 2)))
    np.testing.assert_allclose(facts["consistency"]["spatial"]["residual_rms"], rms, rtol=1e-4)
    assert facts["run"]["report_seconds"]["scan"] > 0
