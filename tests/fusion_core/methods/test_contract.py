"""What every method of the catalog promises, whatever it does inside.

Each method fuses a 32×32 simulated pair (30 bands, r = 4) with a few iterations: the output
lies on the HR grid with the HSI's bands, on the inputs' device; a seed fixes the result; progress
runs to 100 %; cancel stops the run; a trained method leaves a valid PSF and SRF behind. The
method's own tests check what is particular to it (its stages, networks and presets).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.errors import Cancelled
from fusion_core.methods import CATALOG, load_method
from fusion_core.methods.common import TrainedMethod
from fusion_core.progress import Progress

from .conftest import run_method

#: A few iterations per stage: enough to move every weight, seconds on any machine.
TINY = {
    "sscf": {},
    "udaln": {"stage1_iters": 30, "stage2_iters": 60, "stage3_iters": 10},
    "m2unet": {"stage1_iters": 3, "stage2_iters": 3, "stage3_iters": 3, "width": 8},
    "stable_vae": {"em_iters": 30, "finetune_iters": 10},
    "ual": {"iterations": 5},
    "uao": {"outer_iters": 2, "inner_iters": 3},
    "glp_hs": {},
}
#: Options that would keep each trained method busy for hours: only cancel can end the run.
ENDLESS = {
    "sscf": {},
    "udaln": {"stage2_iters": 100_000},
    "m2unet": {"stage1_iters": 100_000, "width": 8},
    "stable_vae": {"em_iters": 100_000},
    "ual": {"iterations": 100_000},
    "uao": {"outer_iters": 100_000},
    "glp_hs": {},
}
#: UAO starts from meta-learned weights, so its seed only shows without them.
RANDOM_START = {"uao": {"pretrained": False}}
METHODS = [entry.id for entry in CATALOG]


def test_every_method_of_the_catalog_is_covered():
    assert set(TINY) == set(ENDLESS) == set(METHODS)


@pytest.mark.parametrize("method_id", METHODS)
def test_output_lies_on_the_hr_grid_with_the_hsi_bands_on_the_inputs_device(method_id, tmp_rasters, device):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    out, method = run_method(load_method(method_id), pair, options=TINY[method_id], device=device)

    assert out.shape == (30, 32, 32)
    assert out.device.type == device.type and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    if isinstance(method, TrainedMethod):
        learned = method.last_degradation
        assert learned.diagnostics["estimator"] == method_id
        assert learned.psf.sum() == pytest.approx(1.0) and learned.psf.min() >= 0
        assert learned.srf.sum(axis=0) == pytest.approx(np.ones(4), abs=1e-5)


@pytest.mark.parametrize("method_id", METHODS)
def test_the_seed_fixes_the_result(method_id, tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    options = {**TINY[method_id], **RANDOM_START.get(method_id, {})}

    def fused(seed: int) -> torch.Tensor:
        return run_method(load_method(method_id), pair, options=options, seed=seed)[0]

    assert torch.equal(fused(5), fused(5))
    if issubclass(type(load_method(method_id)), TrainedMethod):  # networks start from the seed
        assert not torch.equal(fused(5), fused(6))


@pytest.mark.parametrize("method_id", METHODS)
def test_progress_rises_to_the_end(method_id, tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    percents: list[float] = []

    run_method(load_method(method_id), pair, options=TINY[method_id],
               progress=Progress(report=lambda pct, msg: percents.append(pct)))

    assert percents == sorted(percents) and percents[-1] == pytest.approx(100.0)


@pytest.mark.parametrize("method_id", METHODS)
def test_cancel_stops_the_run_promptly(method_id, tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    reports: list[float] = []
    asked: list[int] = []  # how many reports there were when the method first saw the cancel

    def cancelled() -> bool:
        if len(reports) > 3 and not asked:
            asked.append(len(reports))
        return bool(asked)

    with pytest.raises(Cancelled):  # hours of work otherwise (ENDLESS)
        run_method(load_method(method_id), pair, options=ENDLESS[method_id],
                   progress=Progress(report=lambda pct, msg: reports.append(pct), is_cancelled=cancelled))

    assert len(reports) == asked[0]  # no step was reported after the cancel
