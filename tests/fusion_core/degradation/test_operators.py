"""The degradation operators in the Fourier domain agree with the convolution that defines them,
which gives the same result and gradients whether it convolves the bands at once or a few at a time."""

import torch

from fusion_core.degradation import alias_mean, blur_spectrum, motion_psf, operators, sensor_psf, spatial_degrade


def _fourier_degrade(x: torch.Tensor, psf, scale: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    return torch.fft.ifft2(alias_mean(torch.fft.fft2(x) * blur_spectrum(psf, scale, h, w, x), scale)).real


def test_blur_and_sampling_in_fourier_equal_spatial_degrade_for_a_psf_of_the_ratio():
    x = torch.rand(2, 24, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    psf = sensor_psf(3, 2.0, size=3)
    assert torch.allclose(_fourier_degrade(x, psf, 3), spatial_degrade(x[None], psf, 3)[0], atol=1e-12)


def test_a_larger_psf_differs_only_where_it_reads_past_the_border():
    x = torch.rand(1, 40, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    psf = motion_psf(10, 6.0, 30.0, width_fwhm=2.0)  # reads 3 HR pixels past its block
    periodic, reflected = _fourier_degrade(x, psf, 4), spatial_degrade(x[None], psf, 4)[0]
    assert torch.allclose(periodic[:, 1:-1, 1:-1], reflected[:, 1:-1, 1:-1], atol=1e-12)
    assert not torch.allclose(periodic, reflected, atol=1e-3)


def test_the_bands_convolved_a_few_at_a_time_give_the_result_and_gradient_of_one_batch(monkeypatch):
    x = torch.rand(2, 7, 30, 36, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    psf = torch.as_tensor(motion_psf(7, 4.0, 20.0, width_fwhm=1.5)).requires_grad_()

    def degraded_and_gradient(batch_bytes: int) -> tuple[torch.Tensor, torch.Tensor]:
        monkeypatch.setattr(operators, "CONV_BATCH_BYTES", batch_bytes)
        psf.grad = None
        out = spatial_degrade(x, psf, 3)
        (out ** 2).sum().backward()
        return out.detach(), psf.grad.clone()

    whole = degraded_and_gradient(2**30)
    three_at_a_time = degraded_and_gradient(3 * 30 * 36 * 8)  # 14 images in batches of 3 and 2
    assert whole[0].shape == (2, 7, 10, 12)
    assert torch.allclose(three_at_a_time[0], whole[0], rtol=1e-12, atol=1e-14)
    assert torch.allclose(three_at_a_time[1], whole[1], rtol=1e-10)
