"""The arrow-structured QP solver (PSF on the simplex, SRF blocks non-negative) against a generic
NNLS on random problems."""

import numpy as np
import pytest
from scipy.optimize import nnls

from fusion_core.estimation.simplex_qp import ArrowQP, solve_arrow_qp


def random_problem(seed: int, n_k: int = 9, n_c: int = 7, n_m: int = 3, rows: int = 60):
    """Least squares ‖A_m k − Y s_m‖² summed over m, as the estimator builds it."""
    rng = np.random.default_rng(seed)
    a = rng.random((n_m, rows, n_k))
    y = rng.random((rows, n_c))
    hkk = sum(am.T @ am for am in a)
    cross = np.stack([-(am.T @ y) for am in a])
    qss = np.stack([y.T @ y] * n_m)
    return ArrowQP(hkk, cross, qss, np.zeros(n_k), np.zeros((n_m, n_c))), a, y


def reference_solution(a, y, srf_sum_one):
    """The same problem as one NNLS, the sum-to-one rows weighted heavily."""
    n_m, rows, n_k = a.shape
    n_c = y.shape[1]
    big = np.zeros((n_m * rows + n_m + 1, n_k + n_m * n_c))
    for m in range(n_m):
        big[m * rows:(m + 1) * rows, :n_k] = a[m]
        big[m * rows:(m + 1) * rows, n_k + m * n_c:n_k + (m + 1) * n_c] = -y
        big[n_m * rows + 1 + m, n_k + m * n_c:n_k + (m + 1) * n_c] = 1e4 * srf_sum_one
    big[n_m * rows, :n_k] = 1e4
    rhs = np.r_[np.zeros(n_m * rows), 1e4, np.full(n_m, 1e4 * srf_sum_one)]
    x, _ = nnls(big, rhs, maxiter=10000)
    return x[:n_k], x[n_k:].reshape(n_m, n_c).T


@pytest.mark.parametrize("srf_sum_one", [False, True])
def test_solution_matches_generic_nnls_and_satisfies_the_constraints(srf_sum_one):
    for seed in range(5):
        qp, a, y = random_problem(seed)
        qp.srf_sum_one = srf_sum_one
        sol = solve_arrow_qp(qp)
        k_ref, s_ref = reference_solution(a, y, srf_sum_one)
        assert np.all(sol.k >= 0) and np.all(sol.s >= 0)
        assert np.isclose(sol.k.sum(), 1.0)
        assert np.allclose(sol.s.sum(axis=0), 1.0) or not srf_sum_one
        assert np.allclose(sol.k, k_ref, atol=1e-5) and np.allclose(sol.s, s_ref, atol=1e-5)
        assert sol.ridge == 0.0


def test_psf_only_problem_is_a_simplex_least_squares():
    rng = np.random.default_rng(7)
    a = rng.random((40, 6))
    b = a @ np.array([0.5, 0.0, 0.3, 0.2, 0.0, 0.0]) + 0.01 * rng.standard_normal(40)
    qp = ArrowQP(a.T @ a, np.zeros((0, 6, 1)), np.zeros((0, 1, 1)), a.T @ b, np.zeros((0, 1)))
    sol = solve_arrow_qp(qp)
    assert sol.s.shape == (1, 0) or sol.s.size == 0
    assert np.isclose(sol.k.sum(), 1.0) and np.all(sol.k >= 0)
    assert np.abs(sol.k - [0.5, 0.0, 0.3, 0.2, 0.0, 0.0]).max() < 0.05
