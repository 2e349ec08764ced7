"""The scan fed region by region while the result is written gives what reading it back gives."""

import json
from dataclasses import dataclass

import numpy as np
import pytest

from fusion_core import FusionRequest, fuse_arrays
from fusion_core.degradation import sensor_psf
from fusion_core.measure.consistency import input_noise, model_geometry, spatial_residual
from fusion_core.measure.disagreement import cross_normal
from fusion_core.measure.scene_pass import cross_units_map
from fusion_core.report import assemble, region_scan
from fusion_core.report.region_scan import RegionMeasure, RegionScan
from fusion_core.report.scan import SPATIAL_BANDS, scan_halo, scan_scene
from fusion_core.report.tiles import Tiles
from fusion_core.windows.in_memory import ArraySource
from fusion_core.windows.layout import WindowGrid

RGB = ([0, 1, 2], [0, 1, 2])
FIELDS = ("spatial_units", "spectral_units", "cross_units", "spatial_rms", "spectral_rms", "cross_rms")


def _cut(image, rect):
    return image[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]]


@pytest.mark.parametrize("core", [5, 3, 16])     # uneven cores (a last one thinner than the PSF's
@pytest.mark.parametrize("off_centre", [False, True])  # reach), one region; one or two geometries
@pytest.mark.parametrize("strip_bytes", [region_scan.STRIP_BYTES, 1])   # whole frames; a row at a time
def test_regions_in_any_order_give_the_scan_of_the_whole_result(pair, core, off_centre, strip_bytes,
                                                                 monkeypatch):
    monkeypatch.setattr(region_scan, "STRIP_BYTES", strip_bytes)
    psf = np.roll(np.pad(sensor_psf(4, 4.0), 2), 1, axis=1) if off_centre else None
    p = pair(size=64, snr_db=30, psf=psf)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    grid = WindowGrid.build(16, 16, 4, core, 2, 2)
    regions = RegionScan(source, grid, p.model, noise, RGB, [(8, 20, 40, 36), (0, 0, 4, 64)])
    keys = [(i, j) for i in range(grid.shape[0]) for j in range(grid.shape[1])]
    np.random.default_rng(1).shuffle(keys)
    for key in keys:
        assert not regions.complete
        regions.add(grid.region(*key), _cut(fused, grid.region(*key)))
    assert regions.complete
    np.testing.assert_array_equal(regions.tile_values[0], fused[:, 8:48, 20:56])
    np.testing.assert_array_equal(regions.tile_values[1], fused[:, :4])
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


def _scanned(source, grid, p, fused, handed_from=None, spectral=True):
    """A RegionScan of ``fused`` fed region by region; each window's inputs read from
    ``handed_from`` are handed to it first, as the windows do."""
    regions = RegionScan(source, grid, p.model, input_noise(p.lr_hsi, p.hr_msi, p.model), RGB,
                         [(0, 0, 16, 16)], spectral)
    for window in grid if handed_from is not None else ():
        regions.keep(window, handed_from.read_lr(window.lr_read), handed_from.read_hr(window.hr_read))
    for window in grid:
        regions.add(grid.region(*window.key), _cut(fused, grid.region(*window.key)))
    return regions


@dataclass(frozen=True)
class Unreadable(ArraySource):
    """A source whose pixels cannot be read."""

    def read_lr(self, rect=None):
        raise AssertionError("the LR-HSI was read again")

    def read_hr(self, rect=None):
        raise AssertionError("the HR-MSI was read again")


def test_the_inputs_the_windows_handed_over_are_used_not_read_again(pair):
    p = pair(size=64, snr_db=30)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    grid = WindowGrid.build(16, 16, 4, 5, 4, 2)         # a halo of 4 LR pixels: wider than the scan's
    assert grid.rows.halo >= scan_halo(p.model, model_geometry(p.model)[0])
    read = _scanned(source, grid, p, fused)
    handed = _scanned(Unreadable(p.lr_hsi, p.hr_msi, source.plan), grid, p, fused, handed_from=source)
    assert handed.complete and not handed.handed                 # each dropped once its region is in
    geometry = model_geometry(p.model)[0]
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(handed.result(geometry), name),
                                      getattr(read.result(geometry), name), err_msg=name)


def test_without_the_spectral_map_the_scan_gives_the_same_figures_and_keeps_the_tiles(pair):
    p = pair(size=64, snr_db=30)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    grid = WindowGrid.build(16, 16, 4, 5, 4, 2)
    geometry = model_geometry(p.model)[0]
    full, lean = (_scanned(source, grid, p, fused, spectral=s).result(geometry) for s in (True, False))
    assert lean.spectral_rms is None and lean.spectral_units.size == 0
    for name in ("spatial_units", "cross_units", "spatial_rms", "cross_rms"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name), err_msg=name)
    scan = _scanned(source, grid, p, fused, spectral=False)
    np.testing.assert_array_equal(scan.tile_inputs[0][0], p.lr_hsi[:, :4, :4])
    np.testing.assert_array_equal(scan.tile_inputs[1][0], p.hr_msi[:, :16, :16])


def test_a_window_that_read_less_than_the_scan_needs_is_read_again(pair):
    p = pair(size=64, snr_db=30)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    grid = WindowGrid.build(16, 16, 4, 5, 0, 2)         # no halo: the windows' reads are too small
    assert grid.rows.halo + grid.rows.ramp < scan_halo(p.model, model_geometry(p.model)[0])
    with pytest.raises(AssertionError, match="read again"):
        _scanned(Unreadable(p.lr_hsi, p.hr_msi, source.plan), grid, p, p.reference, handed_from=source)
    assert _scanned(source, grid, p, p.reference, handed_from=source).complete


def test_tiles_kept_in_place_make_the_mosaics_reading_them_makes(pair):
    p = pair(size=64, snr_db=30)
    fused = p.reference + 0.01 * np.random.default_rng(0).standard_normal(p.reference.shape).astype(np.float32)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    grid = WindowGrid.build(16, 16, 4, 5, 4, 2)
    layout = Tiles(((1, 4), (9, 5)), ((0, 3), (6, 4), (12, 4)))      # uneven, across regions
    regions = RegionScan(source, grid, p.model, input_noise(p.lr_hsi, p.hr_msi, p.model), RGB,
                         layout.rects(4), layout=layout)
    for window in grid:
        regions.add(grid.region(*window.key), _cut(fused, grid.region(*window.key)))
    assert regions.mosaics is not None
    for mosaic, image, factor in zip(regions.mosaics, (p.lr_hsi, p.hr_msi, fused), (1, 4, 4)):
        np.testing.assert_array_equal(mosaic, layout.read(lambda rect, image=image: _cut(image, rect), factor))


def test_the_cross_sensor_map_judges_the_pixels_the_estimations_check_judges(pair):
    p = pair(size=64, snr_db=30)
    lr, hr = p.lr_hsi.copy(), p.hr_msi.copy()
    lr[:, 3:6, 9:12] = np.nan                           # nodata in each image
    hr[:, 40:46, 20:23] = np.nan
    source = ArraySource.whole(lr, hr, 4)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    grid = WindowGrid.build(16, 16, 4, 5, 4, 2)
    regions = RegionScan(source, grid, p.model, noise, RGB, [(0, 0, 16, 16)])
    for window in grid:
        regions.add(grid.region(*window.key), _cut(p.reference, grid.region(*window.key)))
    judged = cross_units_map(source, p.model, cross_normal(noise, p.model), 2 ** 26)
    np.testing.assert_allclose(regions.cross_map, judged, rtol=1e-5)   # NaN at the same pixels
    unjudged = ~np.isfinite(judged)
    assert unjudged[0].all() and unjudged[:, -1].all()  # the PSF reaches past the scene's edge
    assert unjudged[3:6, 9:12].all() and unjudged[10:12, 5:6].all() and not unjudged[8, 8]


def test_a_run_with_several_windows_reports_the_whole_image_residuals(pair, tmp_path, monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("the result or an input was read again")

    monkeypatch.setattr(assemble, "scan_scene", no_reading)
    monkeypatch.setattr(RegionMeasure, "read", no_reading)   # the windows hand their inputs over
    p = pair(size=96, snr_db=35)
    result = fuse_arrays(FusionRequest(window_size=32, report=str(tmp_path / "r.html")),
                         p.lr_hsi, p.hr_msi, model=p.model, wavelengths=p.model.hsi_wavelengths)
    facts = json.loads((tmp_path / "r.json").read_text())
    assert facts["consistency"]["geometry"] == "HR-MSI's"
    bands = facts["consistency"]["spatial"]["hsi_bands"]
    assert len(bands) == SPATIAL_BANDS < p.lr_hsi.shape[0]         # measured on bands spread evenly
    residual = spatial_residual(result.fused[bands], p.lr_hsi[bands], p.model.psf, 4)
    rms = np.sqrt(np.mean(np.square(residual, dtype=np.float64), axis=(1, 2)))
    np.testing.assert_allclose(facts["consistency"]["spatial"]["residual_rms"], rms, rtol=1e-4)
    assert facts["run"]["report_seconds"]["scan"] > 0
