"""DISAGREEMENT_FROM_HSI: a change seen only by the HR-MSI is fused from the LR-HSI alone, the
rest of the scene exactly as without the option, and the report says so."""

import json
import pickle

import numpy as np

from fusion_core import FusionRequest, fuse_arrays, fuse_files
from fusion_core.io import read_raster
from fusion_core.pipeline.disagreement import hsi_fallback, measure_disagreement
from fusion_core.windows import WindowGrid, WindowJob
from fusion_core.windows.fallback import upsample_hsi
from fusion_core.windows.in_memory import ArraySource

from ...conftest import PLANTED


def _weights(pair):
    found = measure_disagreement(ArraySource.whole(pair.lr_hsi, pair.hr_msi, 4), pair.model, 2 ** 26)
    fallback = hsi_fallback(found, pair.model)
    return found, fallback.weights((0, 0, *pair.lr_hsi.shape[1:]), 4)


def _fused(pair, **settings):
    return fuse_arrays(FusionRequest(**settings), pair.lr_hsi, pair.hr_msi, model=pair.model).fused


def _rmse(fused, pair, where):
    return float(np.sqrt(np.mean((fused[(slice(None), *where)] - pair.reference[(slice(None), *where)]) ** 2)))


def test_a_planted_change_is_fused_from_the_lr_hsi_alone_and_the_rest_is_untouched(planted_rasters):
    pair = planted_rasters()
    found, weight = _weights(pair)
    assert found.areas >= 1 and weight[PLANTED].min() == 1
    with_option, without = _fused(pair, disagreement_from_hsi=True), _fused(pair)
    assert np.array_equal(with_option[:, weight == 0], without[:, weight == 0])
    assert not np.array_equal(with_option[:, weight > 0], without[:, weight > 0])
    alone = upsample_hsi(pair.lr_hsi, pair.model)
    assert np.allclose(with_option[(slice(None), *PLANTED)], alone[(slice(None), *PLANTED)],
                       atol=1e-3 * np.abs(alone).max())
    # The truth there is the scene the LR-HSI sees: the option follows it, the method does not.
    assert _rmse(with_option, pair, PLANTED) < 0.9 * _rmse(without, pair, PLANTED)


def test_a_consistent_pair_is_fused_as_without_the_option(tmp_rasters):
    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    assert np.array_equal(_fused(pair, disagreement_from_hsi=True), _fused(pair))


def test_the_report_shows_the_areas_that_were_replaced_and_says_so(planted_rasters, tmp_path):
    pair = planted_rasters()
    fuse_arrays(FusionRequest(disagreement_from_hsi=True, report=str(tmp_path / "r.html"),
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
                            degradation=None, window_size=48, disagreement_from_hsi=True)
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
    found, _ = _weights(pair)
    fallback = hsi_fallback(found, pair.model)
    assert (fallback.mask >= found.mask).all()                          # gaps closed, nothing dropped
    job = WindowJob(ArraySource.whole(pair.lr_hsi, pair.hr_msi, 4), None, pair.model, None, 1.0,
                    WindowGrid.build(24, 24, 4, 24, 0, 0), fallback=fallback)
    assert np.array_equal(pickle.loads(pickle.dumps(job)).fallback.mask, fallback.mask)
