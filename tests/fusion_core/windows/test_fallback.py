"""The LR-HSI alone where the inputs disagree: its weights, its upsampling, its blend in a window."""

import numpy as np
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel, sensor_psf, spatial_degrade
from fusion_core.sample import make_sample_scene
from fusion_core.windows import WindowGrid
from fusion_core.windows.fallback import HsiFallback, upsample_hsi, with_hsi_fallback


def _model(scale: int = 4) -> DegradationModel:
    return DegradationModel(scale, sensor_psf(scale, float(scale)), np.full((8, 2), 1 / 8))


def _mask(flagged: tuple[slice, slice], shape=(20, 20)) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[flagged] = True
    return mask


def test_weights_cover_the_flagged_blocks_and_the_psf_reach_then_ramp_to_zero():
    fallback = HsiFallback.build(_mask((slice(8, 10), slice(8, 10))), _model())
    weight = fallback.weights((0, 0, 20, 20), 4)
    assert weight.shape == (80, 80)
    assert (weight[32:40, 32:40] == 1).all()                            # the flagged blocks
    reach, feather = fallback.reach, fallback.feather
    assert (weight[36, 32 - reach:40 + reach] == 1).all()               # the PSF's reach
    ramp = weight[36, 39 + reach:40 + reach + feather]                  # from 1 down to 0
    assert ramp[0] == 1 and (np.diff(ramp) < 0).all() and ramp[-1] == 0
    assert weight[:, :33 - reach - feather].max() == 0 and weight[:33 - reach - feather].max() == 0


def test_hr_msi_gaps_are_replaced_on_their_blocks_alone_then_ramp_to_zero():
    """Around a gap of the HR-MSI (nodata, a cloud mask) its values are valid: no PSF reach."""
    none = np.zeros((20, 20), bool)
    fallback = HsiFallback.build(none, _model(), gaps=_mask((slice(8, 10), slice(8, 10))))
    weight = fallback.weights((0, 0, 20, 20), 4)
    assert (weight[32:40, 32:40] == 1).all()                            # the gap's blocks
    ramp = weight[36, 39:40 + fallback.feather]                         # at once from 1 down to 0
    assert ramp[0] == 1 and (np.diff(ramp) < 0).all() and ramp[-1] == 0
    assert weight[:, :32 - fallback.feather].max() == 0
    assert fallback.mask[8:10, 8:10].all() and fallback.mask.sum() == 4


def test_a_window_gets_the_weights_of_the_whole_scene_over_its_pixels():
    fallback = HsiFallback.build(_mask((slice(3, 6), slice(12, 20))), _model())
    whole = fallback.weights((0, 0, 20, 20), 4)
    assert np.array_equal(fallback.weights((5, 9, 10, 11), 4), whole[20:60, 36:80])
    assert not fallback.weights((12, 0, 8, 8), 4).any()                 # far from every flag


def test_the_replaced_mask_closes_gaps_of_one_pixel_and_fills_holes_and_keeps_the_rest():
    mask = _mask((slice(2, 5), slice(2, 9)), (13, 17))
    mask[2:5, 5] = False                                                # a gap of one pixel
    mask[8:12, 8:12] = True
    mask[9:11, 9:11] = False                                            # a hole
    mask[0, 16] = True                                                  # a lone pixel at the edge
    expected = _mask((slice(2, 5), slice(2, 9)), (13, 17)) | _mask((slice(8, 12), slice(8, 12)), (13, 17))
    expected[0, 16] = True
    assert np.array_equal(HsiFallback.build(mask, _model()).mask, expected)


def test_the_upsampled_lr_hsi_gives_the_lr_hsi_back_through_the_psf():
    model = _model()
    lr = make_sample_scene(16, 16, 8, seed=1).cube
    def back(hr):
        return spatial_degrade(torch.from_numpy(hr)[None], model.psf, 4)[0].numpy()
    up = upsample_hsi(lr, model)
    bicubic = bicubic_upsample(torch.from_numpy(lr), 4).numpy()
    assert up.shape == (8, 64, 64) and up.dtype == np.float32
    assert np.abs(back(up) - lr).max() < 0.05 * np.abs(back(bicubic) - lr).max()


def test_in_a_window_flagged_pixels_take_the_lr_hsi_alone_and_the_rest_is_untouched():
    model = _model()
    window = WindowGrid.build(40, 40, 4, 40, 0, 0).window(0, 0)
    lr = make_sample_scene(40, 40, 8, seed=2).cube
    fused = np.random.default_rng(3).random((8, 160, 160)).astype(np.float32)
    fused[:, 80, 80] = np.nan                                           # the HR-MSI had no value
    fallback = HsiFallback.build(_mask((slice(18, 22), slice(18, 22)), (40, 40)), model)
    weight = fallback.weights(window.lr_read, 4)
    out = with_hsi_fallback(fallback, fused.copy(), lr, window, model)
    alone = upsample_hsi(lr, model)                                     # of the whole image
    core, ramp, away = weight == 1, (weight > 0) & (weight < 1), weight == 0
    assert core[80, 80]
    tolerance = 1e-4 * np.abs(alone).max()
    assert np.allclose(out[:, core], alone[:, core], atol=tolerance)    # that pixel too
    expected = weight[ramp] * alone[:, ramp] + (1 - weight[ramp]) * fused[:, ramp]
    assert np.allclose(out[:, ramp], expected, atol=tolerance)
    assert np.array_equal(out[:, away], fused[:, away])
    assert with_hsi_fallback(None, fused, lr, window, model) is fused


def test_where_the_lr_hsi_has_no_value_the_result_is_nodata_even_where_flagged():
    model = _model()
    window = WindowGrid.build(40, 40, 4, 40, 0, 0).window(0, 0)
    lr = make_sample_scene(40, 40, 8, seed=2).cube
    lr[:, 19, 19] = np.nan
    fused = np.random.default_rng(3).random((8, 160, 160)).astype(np.float32)
    fallback = HsiFallback.build(_mask((slice(18, 22), slice(18, 22)), (40, 40)), model)
    out = with_hsi_fallback(fallback, fused, lr, window, model)
    assert np.isnan(out[:, 76:80, 76:80]).all()
    assert np.isfinite(out[:, 72:76, 72:76]).all() and np.isfinite(out[:, 80:88, 80:88]).all()


def test_the_hr_msi_is_blanked_over_the_flagged_blocks_only():
    fallback = HsiFallback.build(_mask((slice(8, 10), slice(8, 10))), _model())
    hr = np.ones((3, 40, 40), np.float32)                               # LR rows/cols 5 to 15
    blanked = fallback.blank(hr, (5, 5, 10, 10), 4)
    gone = np.isnan(blanked).all(axis=0)
    assert gone[12:20, 12:20].all() and gone.sum() == 64 and np.isfinite(hr).all()
    assert fallback.blank(hr, (0, 0, 5, 5), 4) is hr                    # nothing flagged there
