"""The signal subspace keeps the components above the noise and is orthonormal."""

import numpy as np
import torch

from fusion_core.spectral import signal_subspace


def _cube(rank: int, noise: float, bands: int = 50, size: int = 30) -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(0)
    spectra = np.linalg.qr(rng.standard_normal((bands, rank)))[0]
    coeffs = rng.standard_normal((rank, size * size)) * np.linspace(3.0, 1.0, rank)[:, None]
    clean = spectra @ coeffs
    noisy = clean + noise * rng.standard_normal(clean.shape)
    return torch.from_numpy(noisy.reshape(bands, size, size)), spectra


def test_noisy_low_rank_data_gives_its_rank():
    cube, spectra = _cube(rank=4, noise=0.05)
    basis = signal_subspace(cube, torch.full((50,), 0.05, dtype=torch.float64))
    assert basis.shape == (50, 4)
    assert torch.allclose(basis.T @ basis, torch.eye(4, dtype=torch.float64), atol=1e-10)
    # the basis spans the true spectra: projecting them loses almost nothing
    b = basis.numpy()
    assert np.linalg.norm(spectra - b @ (b.T @ spectra)) < 0.05 * np.linalg.norm(spectra)


def test_clean_data_keeps_more_components_up_to_the_cap():
    cube, _ = _cube(rank=4, noise=1e-3)
    wide = signal_subspace(cube, torch.full((50,), 1e-6, dtype=torch.float64))
    assert wide.shape[1] > 4
    assert signal_subspace(cube, torch.full((50,), 1e-6, dtype=torch.float64), max_dim=6).shape[1] == 6
