"""Noise estimates of the LR-HSI and the HR-MSI against noise of known level."""

import numpy as np
import pytest
import torch

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair, spatial_degrade
from fusion_core.spectral import hsi_noise_std, msi_noise_std, sample_moments


def _low_rank_cube(bands: int, size: int, rank: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectra = np.cumsum(rng.standard_normal((bands, rank)), axis=0) / np.sqrt(bands) + 1.0
    abund = rng.uniform(0.0, 1.0, (rank, size, size))
    return np.einsum("cr,rhw->chw", spectra, abund)


def test_hsi_noise_recovers_known_band_levels():
    rng = np.random.default_rng(1)
    cube = _low_rank_cube(60, 40)
    sigma = np.linspace(0.005, 0.03, 60)
    noisy = cube + sigma[:, None, None] * rng.standard_normal(cube.shape)
    est = hsi_noise_std(torch.from_numpy(noisy)).numpy()
    assert np.median(est / sigma) == pytest.approx(1.0, rel=0.1)
    assert np.all((est / sigma > 0.7) & (est / sigma < 1.4))


def test_hsi_noise_of_a_clean_low_rank_cube_is_negligible():
    cube = _low_rank_cube(60, 40)
    est = hsi_noise_std(torch.from_numpy(cube)).numpy()
    assert est.max() < 1e-6 * cube.std()


def _msi_case(cube, srf, snr_db):
    model = DegradationModel(4, sensor_psf(4, 4.0), srf)
    lr, hr = simulate_pair(cube, model, snr_db=snr_db, seed=3)
    clean = simulate_pair(cube, model)[1]
    lr, hr = torch.from_numpy(lr).double(), torch.from_numpy(hr).double()
    lr_msi = spatial_degrade(hr[None], model.psf, 4)[0]
    est = msi_noise_std(hr, lr_msi, lr, hsi_noise_std(lr), torch.from_numpy(model.srf),
                        float((model.psf ** 2).sum()))
    true = (hr.numpy() - clean).reshape(hr.shape[0], -1).std(axis=1)
    return est.numpy(), true, clean.reshape(clean.shape[0], -1).std(axis=1)


def test_msi_noise_is_found_at_30_db(small_scene, six_band_srf):
    est, true, _ = _msi_case(small_scene.cube, six_band_srf(small_scene.wavelengths_nm), 30.0)
    assert np.all((est / true > 0.6) & (est / true < 1.5))


def test_msi_noise_of_an_exactly_simulated_pair_is_negligible(six_band_srf):
    srf = six_band_srf(np.linspace(420.0, 2450.0, 60))
    est, _, signal = _msi_case(_low_rank_cube(60, 48).astype(np.float32), srf, None)
    assert np.all(est < 1e-3 * signal)


def test_msi_noise_of_a_clean_msi_stays_well_below_30_db_noise(small_scene, six_band_srf):
    srf = six_band_srf(small_scene.wavelengths_nm)
    est, _, _ = _msi_case(small_scene.cube, srf, None)
    _, true30, _ = _msi_case(small_scene.cube, srf, 30.0)
    assert np.all(est < 0.7 * true30)


def test_hsi_noise_equals_each_bands_regression_on_the_pixels():
    """The C regressions solved from one Gram matrix equal the regressions on the pixels."""
    from fusion_core.spectral.linalg import principal_axes

    rng = np.random.default_rng(7)
    cube = _low_rank_cube(12, 20) + 0.01 * rng.standard_normal((12, 20, 20))
    y = torch.from_numpy(cube).reshape(12, -1)
    y = y - y.mean(1, keepdim=True)
    u = principal_axes(y)[0][:, :5]
    expected = []
    for band in range(12):
        start = min(max(band - 2, 0), 12 - 4 - 1)
        neighbours = [j for j in range(start, start + 5) if j != band]
        scores = (u.T @ y) - u[band][:, None] * y[band][None]
        regressors = torch.cat([y[neighbours], scores]).T
        coef = torch.linalg.lstsq(regressors, y[band]).solution
        rss = float(((y[band] - regressors @ coef) ** 2).sum())
        expected.append((rss / (y.shape[1] - 1 - 4 - 5)) ** 0.5)
    est = hsi_noise_std(torch.from_numpy(cube)).numpy()
    assert np.allclose(est, expected, rtol=1e-6)


def test_cross_sensor_noise_equals_the_regression_on_the_pixels(six_band_srf):
    """On a tiny HR-MSI (the cross-sensor estimate alone), the residual from the Gram matrices
    equals the residual of the regression on the pixels."""
    from fusion_core.spectral.linalg import principal_axes
    from fusion_core.spectral.noise import _pooled

    rng = np.random.default_rng(8)
    wavelengths = np.linspace(420.0, 2450.0, 30)
    srf = torch.from_numpy(six_band_srf(wavelengths))
    lr = torch.from_numpy(_low_rank_cube(30, 16) + 0.01 * rng.standard_normal((30, 16, 16)))
    lr_msi = torch.einsum("cm,chw->mhw", srf, lr) + 0.02 * torch.from_numpy(rng.standard_normal((6, 16, 16)))
    hr = lr_msi[:, :4, :4]
    sigma = hsi_noise_std(lr)
    y, z = lr.reshape(30, -1), lr_msi.reshape(6, -1)
    y, z = y - y.mean(1, keepdim=True), z - z.mean(1, keepdim=True)
    p = min(20, y.shape[1] // 4 - 6, 30)
    loadings = torch.cat([srf, principal_axes(y)[0][:, :p]], 1)
    regressors = (loadings.T @ y).T
    gram = regressors.T @ regressors
    gram = gram + 1e-10 * float(gram.diagonal().mean()) * torch.eye(gram.shape[0], dtype=gram.dtype)
    beta = torch.linalg.solve(gram, regressors.T @ z.T)  # the estimator's tiny ridge included
    dof = y.shape[1] - loadings.shape[1] - 1
    var = ((z.T - regressors @ beta) ** 2).sum(0) / dof
    propagated = ((loadings @ beta) ** 2 * (sigma ** 2)[:, None]).sum(0)
    expected = _pooled((var - propagated).clamp_min(0.0) / 0.5, hr)
    est = msi_noise_std(hr, lr_msi, lr, sigma, srf, 0.5)
    assert torch.allclose(est, expected, rtol=1e-6)


def test_sample_moments_are_the_centred_gram_matrix_and_leave_the_pixels_as_they_were():
    rng = np.random.default_rng(4)
    hsi = torch.from_numpy(rng.normal(5.0, 1.0, (6, 10, 12)))
    msi = torch.from_numpy(rng.normal(-2.0, 0.5, (3, 10, 12)))
    before = hsi.clone(), msi.clone()
    both = sample_moments(hsi, msi, every_pixel=True)
    alone = sample_moments(hsi, every_pixel=True)
    pixels = np.concatenate([hsi.reshape(6, -1).numpy(), msi.reshape(3, -1).numpy()])
    expected = np.cov(pixels, bias=True) * pixels.shape[1]
    assert np.allclose(both.gram.numpy(), expected, rtol=1e-12, atol=1e-9)
    assert np.allclose(alone.gram.numpy(), expected[:6, :6], rtol=1e-12, atol=1e-9)
    assert both.count == alone.count == 120 and both.bands == 6
    assert torch.equal(hsi, before[0]) and torch.equal(msi, before[1])
