"""``kill -9`` at any moment, then the same run with RESUME: the result is bit for bit the one of
an uninterrupted run (on a CPU), in one process and on the embedded Dask cluster, and nothing of
the killed run is left once the resumed one completes. Moments: between windows, inside a flush
of the output (its tiles on disk, the state not saying so), inside a save of the state (the new
one written, not yet renamed), and from outside while a cluster fuses."""

import signal
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest

from fusion_core import FusionRequest, fuse_files
from fusion_core.io import read_raster
from fusion_core.windows import ResumeState

from ..fusion_core.windows.conftest import RidgeFusion
from .conftest import leftovers, start, wait_for

KILLED_RUN = Path(__file__).with_name("killed_run.py")


def killed(inputs, out, point, k=1, scheduler=""):
    """Run ``killed_run.py`` (it kills itself at ``point``) and check it died by SIGKILL."""
    child = start([sys.executable, str(KILLED_RUN), str(inputs.lr), str(inputs.hr), str(out),
                   point, str(k), scheduler])
    _, err = child.communicate(timeout=600)
    assert child.returncode == -signal.SIGKILL, err


def fused(inputs, out, resume):
    """The same run as ``killed_run.py``, here, to completion; returns the fused pixels."""
    fuse_files(FusionRequest(str(inputs.lr), str(inputs.hr), str(out), window_size=16,
                             resume=resume), method=RidgeFusion(adaptive=False))
    return read_raster(out).data


@pytest.mark.parametrize("point, k", [("window", 11), ("flush", 2), ("save", 6)])
def test_kill_9_then_resume_gives_the_uninterrupted_result_bit_for_bit(input_pair, tmp_path,
                                                                       point, k):
    inputs = input_pair(128)  # 16 windows of 32 HR px
    out, straight = tmp_path / "fused.tif", tmp_path / "straight.tif"
    killed(inputs, out, point, k)
    assert ResumeState.exists(out)
    np.testing.assert_array_equal(fused(inputs, out, resume=True), fused(inputs, straight, False))
    assert leftovers(tmp_path, {"inputs"}) == ["fused.tif", "fused_report.html", "fused_report.json",
                                               "fused_report.spectra.gpkg", "straight.tif",
                                               "straight_report.html", "straight_report.json",
                                               "straight_report.spectra.gpkg"]


def test_on_the_embedded_cluster_too(input_pair, tmp_path):
    inputs = input_pair(128)
    out = tmp_path / "fused.tif"
    child = start([sys.executable, str(KILLED_RUN), str(inputs.lr), str(inputs.hr), str(out),
                   "none", "0", "local"])
    regions = tmp_path / "fused.tif.regions"  # what the workers wrote

    def regions_done() -> int:
        return len(list(regions.glob("r*.json")))

    wait_for(lambda: regions_done() >= 3, child)
    family = psutil.Process(child.pid).children(recursive=True)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, "the killed run's Dask workers are still running"
    resumed = start([sys.executable, str(KILLED_RUN), str(inputs.lr), str(inputs.hr), str(out),
                     "none", "0", "local"])
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert "Resuming: " in err and "output regions were already written" in err
    np.testing.assert_array_equal(read_raster(out).data,
                                  fused(inputs, tmp_path / "straight.tif", False))
    assert leftovers(tmp_path, {"inputs"}) == ["fused.tif", "fused_report.html", "fused_report.json",
                                               "fused_report.spectra.gpkg", "straight.tif",
                                               "straight_report.html", "straight_report.json",
                                               "straight_report.spectra.gpkg"]


def test_the_saved_model_is_the_one_the_run_used(input_pair, tmp_path):
    """What makes it bit for bit: the model read back from the state is the model in memory,
    though building a model normalises its PSF and SRF again."""
    inputs = input_pair(32)
    from fusion_core.estimation import estimate_degradation

    pair = inputs.pair
    model = estimate_degradation(pair.lr_hsi, pair.hr_msi, 4)
    ResumeState(tmp_path / "fused.tif", "run", {}, 1.0, model).save()
    again = ResumeState.load(tmp_path / "fused.tif", "run").model
    for name in ("psf", "srf", "msi_gain"):
        np.testing.assert_array_equal(getattr(again, name), getattr(model, name))
