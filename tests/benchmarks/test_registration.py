"""The one registration of a benchmark row: measured from the two inputs as the default measures
it, and given to every method (a method left unregistered, or registered otherwise, fails)."""

import re

import numpy as np
import pytest
import torch

from benchmarks.product_geometry import read_physical
from benchmarks.products import make_product, tiny_truth
from benchmarks.real_products import bicubic, evaluate, ridge_true, score
from benchmarks.registration import Registration, moved_psf
from benchmarks.run_methods import run_one, scored_window
from benchmarks.scenes import SimulatedScene
from fusion_core import FusionRequest, fuse_arrays
from fusion_core.degradation import DegradationModel, sensor_psf, spatial_degrade
from fusion_core.metrics import quality_metrics
from fusion_core.sample import make_sample_scene


@pytest.fixture(scope="module")
def misregistered(tmp_path_factory):
    """A product whose HR-MSI is georeferenced 36 m east, 15 m south of its content, evaluated."""
    folder = tmp_path_factory.mktemp("misregistered")
    product = make_product(tiny_truth(), "misregistered", folder)
    row, _ = evaluate(product, folder)
    return product, row


def _logged_shift(log: list[str]) -> tuple[float, float]:
    """The (row, column) misregistration the default run logged."""
    line = next(line for line in log if line.startswith("Misregistration between the images"))
    x, y = (float(v) for v in re.findall(r"([+-]\d+\.\d+)", line)[:2])
    return y, x


def test_the_default_run_measures_the_registration_the_other_methods_are_given(misregistered):
    _, row = misregistered
    assert np.allclose(_logged_shift(row["log"]), row["registration_hr_px"], atol=0.006)
    assert np.allclose(row["registration_hr_px"], (1.5, 3.6), atol=0.1)   # 15 m south, 36 m east


def test_bicubic_and_ridge_of_a_product_row_are_given_that_registration(misregistered):
    product, row = misregistered
    truth, grid = read_physical(str(product.truth_path))

    def psnr(estimate):
        return score(truth, estimate, product.score_mask, product.scale)["PSNR"]

    assert row["bicubic"]["PSNR"] > psnr(bicubic(product, grid)) + 3.0
    unregistered = ridge_true(product, Registration((0.0, 0.0)))
    assert row["ridge"]["PSNR"] > psnr(unregistered) + 5.0
    assert abs(row["ridge"]["PSNR"] - psnr(ridge_true(product))) < 0.5   # the truth's own nesting


def test_a_moved_psf_has_the_offset_asked_for_and_its_shape():
    psf = sensor_psf(3, 3.0, size=5)
    moved = moved_psf(psf, 3, (0.4, -1.3))
    assert np.allclose(DegradationModel(3, moved, np.ones((1, 1))).psf_offset, (0.4, -1.3), atol=0.03)
    assert np.isclose(moved.sum(), 1.0) and moved.min() >= 0.0


@pytest.fixture(scope="module")
def shifted_pair():
    """A pair whose HR-MSI shows the scene 0.6 rows, 1.4 columns from where the LR-HSI places it;
    the reference lies on the LR-HSI's geometry."""
    scene = make_sample_scene(72, 72, 30, seed=1)
    reference = scene.cube.astype(np.float64)
    srf = np.abs(np.random.default_rng(0).normal(size=(30, 4)))
    model = DegradationModel(3, sensor_psf(3, 3.0, size=5), srf, scene.wavelengths_nm)
    lr = spatial_degrade(torch.from_numpy(reference)[None], model.psf, 3)[0].numpy()
    on_msi = Registration((-0.6, -1.4)).array(reference.astype(np.float32)).astype(np.float64)
    msi = np.einsum("cm,chw->mhw", model.srf, np.where(np.isfinite(on_msi), on_msi, reference))
    return SimulatedScene("shifted", 3, reference.astype(np.float32), lr.astype(np.float32),
                          msi.astype(np.float32), model)


@pytest.mark.parametrize("degradation", ["true", "estimated"])
def test_run_one_pairs_and_moves_the_ridge_by_the_registration(shifted_pair, degradation):
    """Given the pair's true shift, the ridge scores far better than given none or the opposite
    one: the registration reaches its pairing and where its result lies."""
    def psnr(shift):
        return run_one("ridge", "-", degradation, shifted_pair, torch.device("cpu"), 0,
                       Registration(shift))["PSNR"]

    right = psnr((0.6, 1.4))
    assert right > psnr((0.0, 0.0)) + 5.0
    assert right > psnr((-0.6, -1.4)) + 5.0


def test_run_one_places_the_default_where_the_pipeline_places_it(shifted_pair):
    """Given the registration the pipeline measures, the default's row is the pipeline's own
    result on the LR-HSI's geometry (GEOMETRY=hsi), scored on the same window."""
    own = fuse_arrays(FusionRequest(geometry="hsi"), shifted_pair.lr_hsi, shifted_pair.hr_msi)
    registration = Registration(tuple(own.model.diagnostics["misregistration_hr_px"]))
    assert np.allclose(registration.shift_hr_px, (0.6, 1.4), atol=0.05)
    window = (slice(None), *scored_window(own.fused.shape[1:], registration))
    expected = quality_metrics(shifted_pair.reference[window], own.fused[window], 3)["PSNR"]
    row = run_one("sscf", "fast", "estimated", shifted_pair, torch.device("cpu"), 0, registration)
    assert row["PSNR"] == pytest.approx(expected, abs=1e-3)


def test_bicubic_is_left_on_the_lr_hsi_geometry(shifted_pair):
    scores = [run_one("bicubic", "-", "-", shifted_pair, torch.device("cpu"), 0, Registration(shift))["PSNR"]
              for shift in ((0.6, 1.4), (0.0, 0.0))]
    assert abs(scores[0] - scores[1]) < 0.2   # the same result, scored on the registration's window
