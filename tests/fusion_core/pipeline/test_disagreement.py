"""DISAGREEMENT_FROM_HSI (on by default): a change seen only by the HR-MSI is fused from the LR-HSI
alone, as if the HR-MSI were masked there, and the report says so; where only the HR-MSI has no
value the result is the LR-HSI alone, where the LR-HSI has none it is nodata."""

import json
import pickle

import numpy as np
import torch

from fusion_core import FusionRequest, fuse_arrays, fuse_files
from fusion_core.baselines import bicubic_upsample
from fusion_core.io import read_raster
from fusion_core.measure.scene_pass import measure_disagreement, scan_scene
from fusion_core.pipeline.disagreement import SceneMasks, hsi_fallback
from fusion_core.pipeline.provenance import BLENDED, EMPTY, FUSED, HSI_ONLY
from fusion_core.windows import WindowGrid, WindowJob
from fusion_core.windows.fallback import upsample_hsi
from fusion_core.windows.in_memory import ArraySource

from ...conftest import PLANTED


def _masks(pair, lr=None, hr=None):
    source = ArraySource.whole(pair.lr_hsi if lr is None else lr, pair.hr_msi if hr is None else hr, 4)
    scanned = scan_scene(source, pair.model, None, 2 ** 26)
    found = measure_disagreement(source, pair.model, 2 ** 26)
    return SceneMasks(scanned.lr_valid, scanned.hr_gaps, found)


def _weights(pair):
    masks = _masks(pair)
    fallback = hsi_fallback(masks, pair.model)
    return masks.disagreement, fallback.weights((0, 0, *pair.lr_hsi.shape[1:]), 4)


def _run(pair, lr=None, hr=None, **settings):
    return fuse_arrays(FusionRequest(**settings), pair.lr_hsi if lr is None else lr,
                       pair.hr_msi if hr is None else hr, model=pair.model)


def _fused(pair, **settings):
    return _run(pair, **settings).fused


def _rmse(fused, pair, where):
    return float(np.sqrt(np.mean((fused[(slice(None), *where)] - pair.reference[(slice(None), *where)]) ** 2)))


def test_a_planted_change_is_fused_from_the_lr_hsi_alone_by_default(planted_rasters):
    pair = planted_rasters()
    found, weight = _weights(pair)
    assert found.areas >= 1 and weight[PLANTED].min() == 1
    with_option, without = _run(pair), _run(pair, disagreement_from_hsi=False)
    assert not np.array_equal(with_option.fused[:, weight > 0], without.fused[:, weight > 0])
    alone = upsample_hsi(pair.lr_hsi, pair.model)
    assert np.allclose(with_option.fused[(slice(None), *PLANTED)], alone[(slice(None), *PLANTED)],
                       atol=1e-3 * np.abs(alone).max())
    # The truth there is the scene the LR-HSI sees: the option follows it, the method does not.
    assert _rmse(with_option.fused, pair, PLANTED) < 0.9 * _rmse(without.fused, pair, PLANTED)
    # The change is left out of the method's fits, as a mask is: the rest is no worse for it.
    rest = (weight == 0).nonzero()
    assert _rmse(with_option.fused, pair, rest) <= 1.02 * _rmse(without.fused, pair, rest)
    assert (with_option.provenance[PLANTED] == HSI_ONLY).all()
    assert (without.provenance == FUSED).all()


def test_a_consistent_pair_is_fused_as_without_the_option(tmp_rasters):
    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    assert np.array_equal(_fused(pair), _fused(pair, disagreement_from_hsi=False))


def test_the_report_shows_the_areas_that_were_replaced_and_says_so(planted_rasters, tmp_path):
    pair = planted_rasters()
    fuse_arrays(FusionRequest(report=str(tmp_path / "r.html"),
                              agreement_mask=str(tmp_path / "agree.tif")),
                pair.lr_hsi, pair.hr_msi, model=pair.model, wavelengths=pair.hsi_wavelengths)
    facts = json.loads((tmp_path / "r.json").read_text())
    found, _ = _weights(pair)
    assert facts["disagreement"]["fused_from_hsi"] is True
    assert facts["disagreement"]["areas"] == found.areas
    assert facts["run"]["parameters"]["DISAGREEMENT_FROM_HSI"] is True
    agree = read_raster(tmp_path / "agree.tif").data[0]
    assert np.array_equal(agree[::4, ::4] == 0, found.mask)            # the mask that was replaced
    page = (tmp_path / "r.html").read_text()
    assert "is the LR-HSI alone brought to the HR grid" in page and "yes: the outlined areas (gaps" in page


def test_files_in_several_windows_give_the_lr_hsi_alone_there_and_keep_nodata(planted_rasters, tmp_path):
    pair = planted_rasters()
    lr = pair.lr_hsi.copy()
    lr[:, 11, 11] = np.nan                                              # nodata inside the change
    from fusion_core.io import write_raster

    write_raster(pair.lr_path, lr, pair.lr_grid, [f"b{i}" for i in range(24)], pair.hsi_wavelengths)
    logged = []
    request = FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif"),
                            degradation=None, window_size=48)
    from fusion_core.progress import Progress

    fuse_files(request, Progress(log=logged.append))
    fused = read_raster(tmp_path / "f.tif").data
    assert any("the two images disagree in" in line for line in logged)
    assert np.isnan(fused[:, 44:48, 44:48]).all()
    core = (slice(None), slice(50, 62), slice(50, 62))                  # in the change, off the nodata
    alone = upsample_hsi(np.nan_to_num(pair.lr_hsi), pair.model)
    assert _rmse(fused, pair, core[1:]) < 1.5 * _rmse(alone, pair, core[1:])


def test_a_window_job_with_the_fallback_travels_to_a_worker(planted_rasters):
    pair = planted_rasters()
    masks = _masks(pair)
    fallback = hsi_fallback(masks, pair.model)
    assert (fallback.mask >= masks.disagreement.mask).all()             # gaps closed, nothing dropped
    job = WindowJob(ArraySource.whole(pair.lr_hsi, pair.hr_msi, 4), None, pair.model, None, 1.0,
                    WindowGrid.build(24, 24, 4, 24, 0, 0), fallback=fallback)
    assert np.array_equal(pickle.loads(pickle.dumps(job)).fallback.mask, fallback.mask)


def _psnr(image, pair, where):
    ref, est = pair.reference[:, where], image[:, where]
    peak = pair.reference.max(axis=(1, 2))
    return float(np.mean(10 * np.log10(peak ** 2 / np.mean((ref - est) ** 2, axis=1))))


def test_where_only_the_hr_msi_is_masked_the_result_is_the_lr_hsi_alone_without_a_seam(tmp_rasters):
    pair = tmp_rasters(size=96, n_hsi=24, n_msi=4, snr_db=35.0)
    hr = pair.hr_msi.copy()
    hr[:, 30:58, 34:66] = np.nan                                        # a cloud mask of the HR-MSI
    result = _run(pair, hr=hr)
    gap = np.zeros(hr.shape[1:], bool)
    gap[30:58, 34:66] = True
    assert np.isfinite(result.fused).all()                              # no nodata: the LR-HSI has values
    codes = result.provenance
    assert (codes[gap] == HSI_ONLY).all() and codes[~gap].min() >= FUSED
    ring = codes == BLENDED
    assert ring.any() and not (ring & gap).any()
    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4).numpy()
    assert _psnr(result.fused, pair, gap) >= _psnr(bicubic, pair, gap)  # at least bicubic there
    # No seam: across the ramp into the fused surroundings the result is no worse than either.
    assert _psnr(result.fused, pair, ring) >= min(_psnr(bicubic, pair, ring),
                                                  _psnr(_fused(pair), pair, ring))
    steps = np.abs(np.diff(result.fused - pair.reference, axis=2))      # error jumps between neighbours
    assert steps[:, 24:64, 26:72].max() <= 1.5 * steps.max(axis=(1, 2)).max()


def test_where_the_lr_hsi_is_masked_the_result_is_nodata(tmp_rasters):
    pair = tmp_rasters(size=96, n_hsi=24, n_msi=4, snr_db=35.0)
    lr = pair.lr_hsi.copy()
    lr[:, 8:12, 10:16] = np.nan
    result = _run(pair, lr=lr)
    assert np.isnan(result.fused[:, 32:48, 40:64]).all()
    assert (result.provenance[32:48, 40:64] == EMPTY).all()
    assert np.isfinite(result.fused[:, :32]).all() and (result.provenance[:32] != EMPTY).all()

