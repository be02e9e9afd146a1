"""Bounds on float32 round-off, so tests compare results of different summation orders (GEMM
shapes, kernels, CPUs) strictly but without depending on one machine's bits.

Each of two float32 evaluations of the same sum of n products is within gamma_n * sum|terms|
of the exact value (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5), so they
differ by at most 2 * gamma_n * sum|terms|, whatever order or blocking each used.
"""
from __future__ import annotations

import numpy as np

U32 = 2.0 ** -24  # unit round-off of float32


def dot_bound(n_terms: int, magnitude) -> np.ndarray:
    """Largest difference of two float32 evaluations of sums of `n_terms` products whose
    absolute values sum to `magnitude`."""
    gamma = n_terms * U32 / (1 - n_terms * U32)
    return 2 * gamma * np.asarray(magnitude, 'float64') + 1e-30


def linear_magnitude(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k |x[i, k]| |w[k, j]| in float64: what `x @ w` sums."""
    return np.abs(x.astype('float64')) @ np.abs(w.astype('float64'))


def assert_within(got, ref, bound, what: str = 'values') -> None:
    excess = np.abs(np.asarray(got, 'float64') - np.asarray(ref, 'float64')) - bound
    assert excess.max() <= 0, f'{what}: off by more than float32 round-off allows ' \
                              f'(worst excess {excess.max():.3g})'
