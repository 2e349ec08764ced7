"""The data-consistency solver: exact adjoint, CG, the closed form in the Fourier domain, and a
correction that reproduces the residual."""

import torch

from fusion_core.degradation import motion_psf, sensor_psf, spatial_degrade
from fusion_core.methods.sscf.solver import (
    conjugate_gradient,
    consistency_correction,
    fourier_correction,
    neg_laplacian,
    spatial_adjoint,
)


def test_adjoint_matches_the_operator_for_a_psf_larger_than_the_ratio():
    psf = motion_psf(9, 6.0, 30.0)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 24, 24, generator=gen, dtype=torch.float64)
    y = torch.randn(1, 2, 8, 8, generator=gen, dtype=torch.float64)
    lhs = (spatial_degrade(x, psf, 3) * y).sum()
    rhs = (x * spatial_adjoint(y, psf, 3)).sum()
    assert torch.isclose(lhs, rhs, rtol=1e-12)


def test_neg_laplacian_is_symmetric_and_kills_constants():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 10, 12, generator=gen, dtype=torch.float64)
    assert torch.isclose((neg_laplacian(a) * b).sum(), (a * neg_laplacian(b)).sum())
    assert neg_laplacian(torch.ones(5, 5)).abs().max() == 0


def test_conjugate_gradient_solves_each_channel_on_its_own():
    scales = torch.tensor([1.0, 10.0], dtype=torch.float64)[None, :, None, None]
    rhs = torch.ones(1, 2, 6, 6, dtype=torch.float64)
    x, its = conjugate_gradient(lambda v: scales * v + 0.5 * neg_laplacian(v), rhs, iters=50)
    assert torch.allclose(x, rhs / scales)
    assert its < 50


def test_correction_reproduces_the_residual_after_degradation():
    psf = sensor_psf(2, 2.0)
    gen = torch.Generator().manual_seed(2)
    residual = torch.randn(3, 8, 8, generator=gen, dtype=torch.float64)
    delta = consistency_correction(residual, psf, 2, smoothness=1e-4,
                                   damping=torch.zeros(3), iters=300, tol=1e-10)
    assert delta.shape == (3, 16, 16)
    again = spatial_degrade(delta[None], psf, 2)[0]
    assert torch.allclose(again, residual, atol=1e-3 * float(residual.abs().max()))


def test_damping_shrinks_a_noisy_channel_towards_zero():
    psf = sensor_psf(2, 2.0)
    residual = torch.ones(2, 4, 4, dtype=torch.float64)
    delta = consistency_correction(residual, psf, 2, 0.1, torch.tensor([0.0, 1e3]), iters=100)
    assert float(delta[1].abs().max()) < 1e-2 * float(delta[0].abs().max())


def _smooth_residual(channels: int, side: int, scale: int, psf) -> torch.Tensor:
    from fusion_core.baselines import bicubic_upsample

    coarse = torch.randn(channels, side // 4 + 2, side // 4 + 2, generator=torch.Generator().manual_seed(3),
                         dtype=torch.float64)
    fine = bicubic_upsample(coarse, 4 * scale)[None, :, :side * scale, :side * scale]
    return spatial_degrade(fine, psf, scale)[0]


def test_fourier_solve_equals_conjugate_gradients_for_a_psf_of_the_ratio():
    psf = sensor_psf(3, 3.0, size=3)
    residual = _smooth_residual(3, 40, 3, psf)
    damping = torch.tensor([0.0, 0.05, 1.0])
    exact = consistency_correction(residual, psf, 3, 0.16, damping, iters=1000, tol=1e-11)
    fast = fourier_correction(residual, psf, 3, 0.16, damping)
    assert fast.shape == exact.shape == (3, 120, 120)
    assert torch.allclose(fast, exact, atol=1e-6 * float(exact.abs().max()))


def test_fourier_solve_of_a_larger_psf_agrees_a_few_lr_pixels_from_the_border():
    psf = motion_psf(10, 6.0, 30.0, width_fwhm=2.0)
    residual = _smooth_residual(2, 40, 4, psf)
    damping = torch.zeros(2)
    exact = consistency_correction(residual, psf, 4, 0.16, damping, iters=1000, tol=1e-11)
    fast = fourier_correction(residual, psf, 4, 0.16, damping)
    inner = (slice(None), slice(32, -32), slice(32, -32))  # 8 LR pixels in
    assert torch.allclose(fast[inner], exact[inner], atol=1e-4 * float(exact.abs().max()))
    again = spatial_degrade(fast[None], psf, 4)[0]
    assert torch.allclose(again[:, 8:-8, 8:-8], residual[:, 8:-8, 8:-8], atol=1e-2 * float(residual.abs().max()))


def test_fourier_solve_a_few_channels_at_a_time_equals_all_at_once(monkeypatch):
    from fusion_core.methods.sscf import solver

    psf = sensor_psf(3, 3.0, size=3)
    residual = _smooth_residual(5, 30, 3, psf).float()
    damping = torch.tensor([0.0, 0.05, 0.3, 1.0, 0.01])
    whole = fourier_correction(residual, psf, 3, 0.16, damping)
    close = 1e-6 * float(whole.abs().max())  # the FFTs of a batch round a little differently
    monkeypatch.setattr(solver, "_BLOCK_BYTES", 1)  # one channel at a time
    assert torch.allclose(fourier_correction(residual, psf, 3, 0.16, damping), whole, rtol=0, atol=close)
    # two at a time, then the last alone: the mirrored residual is 48² LR pixels, 144² at HR
    monkeypatch.setattr(solver, "_BLOCK_BYTES", 2 * 4 * 144 ** 2)
    assert torch.allclose(fourier_correction(residual, psf, 3, 0.16, damping), whole, rtol=0, atol=close)
