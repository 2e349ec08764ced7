"""The report's mosaics: NaN and infinities handled as np.nan_to_num handles them."""

import numpy as np
import pytest

from fusion_core.report.assemble import _finite


@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf, "overflow"])
def test_a_mosaic_is_made_finite_as_nan_to_num_makes_it(bad):
    mosaic = np.random.default_rng(0).standard_normal((3, 8, 8)).astype(np.float32)
    if bad == "overflow":                        # every value finite, their sum is not
        mosaic[:] = np.finfo(np.float32).max
    elif bad is not None:
        mosaic[1, 2, 3] = bad
    expected = np.nan_to_num(mosaic)
    got = _finite(mosaic.copy())
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
