"""A given degradation model brings the shift its pair was matched at: the run matches there again."""

from dataclasses import replace

from fusion_core.pipeline.align import coregister
from fusion_core.progress import Progress
from fusion_core.request import FusionRequest
from fusion_core.windows.in_memory import ArraySource


def test_a_given_models_matched_shift_is_applied_without_measuring(pair):
    p = pair(size=64, bands=12)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)
    hr_shape = p.hr_msi.shape[1:]

    moved, shift = coregister(FusionRequest(), source, (0, 0, 16, 16), hr_shape,
                              replace(p.model, matched_shift=(4, -8)), Progress())

    assert shift == (4, -8)
    assert moved.plan == source.plan.moved(4, -8, hr_shape)


def test_a_given_model_matched_in_place_leaves_the_pair_as_it_is(pair):
    p = pair(size=64, bands=12)
    source = ArraySource.whole(p.lr_hsi, p.hr_msi, 4)

    same, shift = coregister(FusionRequest(), source, (0, 0, 16, 16), p.hr_msi.shape[1:], p.model, Progress())

    assert shift == (0, 0) and same.plan == source.plan
