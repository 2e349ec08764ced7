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


def test_work_beside_the_report_stops_when_its_caller_fails_or_is_cancelled():
    import threading
    import time

    from fusion_core.errors import Cancelled
    from fusion_core.progress import Progress
    from fusion_core.report.assemble import _beside

    def until_stopped(quiet):
        for _ in range(1000):
            quiet.update(0.5)                    # raises Cancelled once asked to stop
            time.sleep(0.01)
        return "not stopped"

    with pytest.raises(ValueError):
        with _beside(Progress(), until_stopped) as work:
            raise ValueError("the caller failed")
    with pytest.raises(Cancelled):
        work.result(timeout=0)
    asked = threading.Event()
    with _beside(Progress(is_cancelled=asked.is_set), until_stopped) as work:
        asked.set()
        with pytest.raises(Cancelled):
            work.result(timeout=5)
    shown = []
    with _beside(Progress(report=lambda *a: shown.append(a)), lambda quiet: quiet.update(1.0, "x")) as work:
        work.result(timeout=5)
    assert shown == []                          # shows nothing of its own
