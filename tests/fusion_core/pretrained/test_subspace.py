"""The subspace layout: coefficients of the scene's own spectra, MSI guidance, decode."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.degradation import DegradationModel, add_noise, sensor_psf, simulate_pair
from fusion_core.errors import InputError
from fusion_core.metrics import psnr
from fusion_core.pretrained import DEFAULT_K, SubspaceAdapter
from fusion_core.sample import make_sample_scene


@pytest.fixture(scope="module")
def pair(six_band_srf):
    """A 48×48×60 sample scene at r = 4 (reference, LR-HSI, HR-MSI, model), no noise."""
    scene = make_sample_scene(48, 48, 60, seed=0)
    model = DegradationModel(4, sensor_psf(4, 4.0), six_band_srf(scene.wavelengths_nm), scene.wavelengths_nm)
    lr, hr = simulate_pair(scene.cube, model)
    return scene.cube.astype(np.float32), torch.from_numpy(lr), torch.from_numpy(hr), model


def test_coefficients_have_unit_spread_at_low_resolution(pair):
    _, lr, hr, model = pair

    adapter = SubspaceAdapter.fit(lr, hr, model.psf, 4)
    coeffs = adapter.encode(lr[None])

    assert coeffs.shape == (1, DEFAULT_K, 12, 12)
    assert torch.allclose(coeffs.std((0, 2, 3), unbiased=False)[: adapter.rank], torch.ones(adapter.rank), atol=0.05)
    assert torch.allclose(coeffs.mean((0, 2, 3)), torch.zeros(DEFAULT_K), atol=1e-4)


def test_decode_inverts_encode_on_the_subspace_and_keeps_most_of_the_scene(pair):
    reference, lr, hr, model = pair
    adapter = SubspaceAdapter.fit(lr, hr, model.psf, 4)
    ref = torch.from_numpy(reference)[None]

    coeffs = adapter.encode(ref)

    assert torch.allclose(adapter.encode(adapter.decode(coeffs)), coeffs, atol=1e-4)
    assert psnr(reference, adapter.decode(coeffs)[0].numpy()) > 40.0


def test_msi_guidance_is_close_to_the_references_coefficients(pair):
    reference, lr, hr, model = pair
    adapter = SubspaceAdapter.fit(lr, hr, model.psf, 4)

    guidance, upsampled = adapter.network_inputs(lr, hr)

    assert guidance.shape == upsampled.shape == (1, DEFAULT_K, 48, 48)
    guided = psnr(reference, adapter.decode(guidance)[0].numpy())
    bicubic = psnr(reference, adapter.decode(upsampled)[0].numpy())
    assert guided > bicubic + 5.0, (guided, bicubic)


def test_a_scene_with_few_components_gets_zero_columns_and_nothing_added_back(six_band_srf):
    rng = np.random.default_rng(0)
    spectra = rng.uniform(0.1, 0.9, (40, 3))
    abundances = rng.dirichlet(np.ones(3), (32, 32)).transpose(2, 0, 1)
    cube = np.einsum("cp,phw->chw", spectra, abundances)
    model = DegradationModel(4, sensor_psf(4, 4.0), six_band_srf(np.linspace(450, 2400, 40)))
    lr, hr = simulate_pair(cube, model)
    lr = add_noise(lr, 40.0, rng)

    adapter = SubspaceAdapter.fit(torch.from_numpy(lr), torch.from_numpy(hr), model.psf, 4, k=8)

    assert 3 <= adapter.rank < 8
    assert torch.all(adapter.basis[:, adapter.rank :] == 0)
    assert torch.all(adapter.outside(torch.from_numpy(lr), 4) == 0)


def test_a_full_subspace_adds_back_what_it_leaves_out(pair):
    reference, lr, hr, model = pair
    adapter = SubspaceAdapter.fit(lr, hr, model.psf, 4, k=3)

    outside = adapter.outside(lr, 4)

    assert adapter.rank == 3 and outside.shape == (1, 60, 48, 48)
    projected = adapter.decode(adapter.encode(torch.from_numpy(reference)[None]))[0].numpy()
    assert psnr(reference, projected + outside[0].numpy()) > psnr(reference, projected) + 1.0


def test_axes_are_signed_so_their_largest_entry_is_positive(pair):
    _, lr, hr, model = pair

    adapter = SubspaceAdapter.fit(lr, hr, model.psf, 4)
    basis = adapter.basis[:, : adapter.rank]

    peaks = basis.gather(0, basis.abs().argmax(0, keepdim=True))
    assert torch.all(peaks > 0)


def test_images_that_do_not_nest_are_rejected(pair):
    _, lr, hr, model = pair

    with pytest.raises(InputError, match=r"HR-MSI \(47×48\) is not the LR-HSI \(12×12\) times the ratio 4"):
        SubspaceAdapter.fit(lr, hr[:, :47], model.psf, 4)
    with pytest.raises(InputError, match="at least one coefficient"):
        SubspaceAdapter.fit(lr, hr, model.psf, 4, k=0)
