"""Per-pixel Cholesky factors and solves with maps as elements, against torch.linalg.solve."""

import pytest
import torch

from fusion_core.spectral.linalg import cholesky_maps_, cholesky_solve_maps_


def _systems(m: int, h: int, w: int, seed: int = 0) -> torch.Tensor:
    """``(M, M, h, w)`` symmetric positive definite matrices, badly scaled (cond ~1e6)."""
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(h, w, m, 2 * m, generator=gen, dtype=torch.float64)
    scale = torch.logspace(0, 3, m, dtype=torch.float64)[:, None]
    spd = (scale * a) @ (scale * a).transpose(-1, -2) + 1e-3 * torch.eye(m, dtype=torch.float64)
    return spd.permute(2, 3, 0, 1).contiguous()


@pytest.mark.parametrize("tile_bytes", [1, 1 << 22])  # one row of pixels per tile, and all of them
def test_solve_matches_torch_solve_pixel_by_pixel(tile_bytes):
    system = _systems(6, 5, 7)
    rhs = torch.randn(3, 6, 5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    expected = torch.linalg.solve(system.permute(2, 3, 0, 1), rhs.permute(2, 3, 1, 0))  # (h, w, M, K)
    factor = cholesky_maps_(system.clone())
    x = cholesky_solve_maps_(factor, rhs.clone(), tile_bytes)
    assert torch.allclose(x.permute(2, 3, 1, 0), expected, rtol=1e-8, atol=1e-10 * float(expected.abs().max()))


def test_factor_is_the_lower_cholesky_factor():
    system = _systems(4, 3, 2, seed=2)
    factor = cholesky_maps_(system.clone()).permute(2, 3, 0, 1).tril()
    assert torch.allclose(factor, torch.linalg.cholesky(system.permute(2, 3, 0, 1)), rtol=1e-10, atol=1e-12)


def test_single_precision_right_hand_sides_are_solved_in_the_factors_precision():
    system = _systems(5, 4, 4, seed=3)
    rhs = torch.randn(2, 5, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    factor = cholesky_maps_(system.clone())
    exact = cholesky_solve_maps_(factor, rhs.clone())
    single = cholesky_solve_maps_(factor, rhs.float())
    assert single.dtype == torch.float32
    assert torch.allclose(single.double(), exact, rtol=1e-6, atol=1e-6 * float(exact.abs().max()))


def test_a_singular_matrix_gives_finite_values():
    system = torch.zeros(3, 3, 2, 2, dtype=torch.float64)
    x = cholesky_solve_maps_(cholesky_maps_(system), torch.zeros(1, 3, 2, 2, dtype=torch.float64))
    assert torch.isfinite(x).all()
