"""The disagreement map finds a planted change and stays quiet on a consistent pair."""

import numpy as np

from fusion_core.measure.consistency import input_noise
from fusion_core.measure.disagreement import MIN_UNITS, cross_units, find_disagreement


def _map(p, hr_msi):
    return find_disagreement(cross_units(p.lr_hsi, hr_msi, p.model, input_noise(p.lr_hsi, hr_msi, p.model)))


def test_a_consistent_pair_has_no_disagreement(pair):
    p = pair(snr_db=35)
    found = _map(p, p.hr_msi)
    assert found.areas == 0 and found.share == 0.0
    assert np.median(found.score) < 1.5             # about one noise unit everywhere


def test_a_planted_change_is_found_and_only_there(pair):
    p = pair(size=96, snr_db=35)
    other = pair(size=96, snr_db=35, seed=3)
    changed = p.hr_msi.copy()
    changed[:, 40:64, 40:64] = other.hr_msi[:, 8:32, 48:72]          # HR rows/cols 40–63
    found = _map(p, changed)
    planted = np.zeros_like(found.mask)
    planted[10:16, 10:16] = True                                     # the same area in LR pixels
    ring = np.zeros_like(found.mask)
    ring[8:18, 8:18] = True                                          # PSF and smoothing reach
    assert found.mask[planted].mean() > 0.8
    assert not (found.mask & ~ring).any()
    assert found.areas == 1 and found.threshold >= MIN_UNITS


def test_nodata_is_left_out_and_never_disagrees(pair):
    p = pair(size=96, snr_db=35)
    other = pair(size=96, snr_db=35, seed=3)
    changed = p.hr_msi.copy()
    changed[:, 40:64, 40:64] = other.hr_msi[:, 8:32, 48:72]
    # Ten times the noise everywhere (a model that misfits the whole scene): the threshold then
    # comes from the scene's spread, not from MIN_UNITS.
    units = 10 * cross_units(p.lr_hsi, changed, p.model, input_noise(p.lr_hsi, changed, p.model))
    whole = find_disagreement(units)
    assert whole.threshold > 3 * MIN_UNITS and whole.areas
    units[:, :4] = np.nan                                            # a nodata edge
    found = find_disagreement(units)
    assert np.isnan(found.score[:, :4]).all() and not found.mask[:, :4].any()
    assert abs(found.threshold - whole.threshold) < 0.1 * whole.threshold
    assert found.mask[10:16, 10:16].mean() > 0.8 and not found.mask[:, :8].any()   # the change, only
